/**
 * What the hafilter programs share: the four classes of filtermstdb / filterrpldb and the
 * requests that report them (count and keys per class, printed by the program).
 */
import type { Database } from '../../src/node/database.js'
import { say } from '../common/child.js'
import type { SampleHandlers } from '../common/child.js'
import { inspectHandlers } from '../common/nodes.js'

export const CLASSES = ['T1', 'T2', 'T3', 'T4'] as const

/** The requests of a hafilter program: `inspectHandlers` plus `classes` (counts and keys). */
export function filterHandlers(db: Database, who: string): SampleHandlers {
  return {
    ...inspectHandlers(db),
    classes() {
      const result = db.read((tx) =>
        Object.fromEntries(
          CLASSES.map((cls) => {
            const keys = [...tx.range<{ key: number }>(cls, 'tkey', {})].map((o) => o.key)
            return [cls, keys]
          }),
        ),
      )
      const counts = CLASSES.map((cls) => `${cls}=${result[cls]?.length ?? 0}`)
      say(who, `objects per class: ${counts.join(' ')}`)
      return result
    },
  }
}

/**
 * The schema id stamped into segment and snapshot headers: 64 bits of a hash of every class's
 * shape (local classes too: the log keeps them). A log written with another dictionary is
 * refused on open instead of being read into the wrong layout.
 */
import { createHash } from 'node:crypto'
import type { LogEngine } from './log-engine.js'

/** The engine's schema id, or 0n (unchecked) when it has no dictionary. */
export function schemaIdOf(engine: LogEngine): bigint {
  if (engine.dictionary === undefined) return 0n
  const hash = createHash('sha256')
  for (const cls of engine.dictionary.classes) hash.update(`${cls.shapeHash}\n`)
  const id = hash.digest().readBigUInt64LE(0)
  return id === 0n ? 1n : id
}

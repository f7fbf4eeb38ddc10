/**
 * Pieces the sample programs share: the requests every program answers (content hash and
 * sequencer), a replica attach session that prints and reports what happens, and the
 * record workload of `hasample.mco` (populate, then create and delete objects).
 */
import type { Database } from '../../src/node/database.js'
import { HaReplica } from '../../src/node/ha-replica.js'
import type { HaReplicaOptions } from '../../src/node/ha-replica.js'
import type { WriteResult } from '../../src/txn/api.js'
import { TandemError } from '../../src/errors.js'
import { emit, say } from './child.js'
import type { SampleHandlers } from './child.js'
import { printingNotifier } from './notify.js'

/** The class of `hasample.mco`. */
const RECORD = 'Record'

/** The requests every sample program answers about its database: `hash` and `seq`. */
export function inspectHandlers(db: Database): SampleHandlers {
  return {
    hash: () => ({ hash: db.contentHash(), seq: db.getSequencer() }),
    seq: () => db.getSequencer(),
  }
}

/**
 * Starts an attach session of `db` to `connectionString`: prints its notifications as `who`
 * and reports `attached` / `attachFailed`, `synced` (with the sequencer) and `stopped` (with
 * the stop reason) to the runner.
 */
export function attachReplica(
  db: Database,
  who: string,
  connectionString: string,
  options: HaReplicaOptions = {},
): HaReplica {
  say(who, `attaching to ${connectionString}${options.forceSync ? ' (forceSync)' : ''}`)
  const replica = HaReplica.start(db, connectionString, {
    ...options,
    onNotify: printingNotifier(who),
  })
  replica.attached.then(
    () => emit('attached'),
    (error: unknown) => emit('attachFailed', errorFields(error)),
  )
  replica.synced.then(
    () => emit('synced', { seq: db.getSequencer() }),
    () => undefined,
  )
  void replica.stopped.then((info) => emit('stopped', { ...info, seq: db.getSequencer() }))
  return replica
}

function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof TandemError) return { code: error.code, message: error.message }
  return { code: 'TDB_INTERNAL', message: String(error) }
}

/** Inserts records `fromKey` .. `fromKey + count - 1` in transactions of `perTxn`. */
export function populate(db: Database, fromKey: number, count: number, perTxn = 100): void {
  for (let first = fromKey; first < fromKey + count; first += perTxn) {
    const last = Math.min(first + perTxn, fromKey + count)
    db.write((tx) => {
      for (let key = first; key < last; key++) tx.insert(RECORD, recordValues(key))
    })
  }
}

function recordValues(key: number): Record<string, unknown> {
  return { key, stamp: BigInt(key) * 7n, text: `record ${key}`, value: key / 8 }
}

/**
 * The master's churn: each transaction creates the record with the next key and deletes the
 * oldest live one, so that the number of live records stays `liveCount`.
 */
export class ChurnWriter {
  readonly #db: Database
  readonly #liveCount: number
  #nextKey: number

  /** Records `firstKey - liveCount` .. `firstKey - 1` are expected to be live. */
  constructor(db: Database, firstKey: number, liveCount: number) {
    this.#db = db
    this.#nextKey = firstKey
    this.#liveCount = liveCount
  }

  /** Commits one create-and-delete transaction. */
  step(): WriteResult<void> {
    const key = this.#nextKey++
    return this.#db.write((tx) => {
      tx.insert(RECORD, recordValues(key))
      const oldest = tx.findOid(RECORD, 'byKey', key - this.#liveCount)
      if (oldest !== undefined) tx.delete(RECORD, oldest)
    })
  }

  /**
   * Commits `count` transactions, yielding to the event loop between them so that the
   * replication traffic flows; `each` sees every commit's result.
   */
  async run(
    count: number,
    each?: (result: WriteResult<void>, index: number) => unknown,
  ): Promise<void> {
    for (let i = 0; i < count; i++) {
      const result = this.step()
      await each?.(result, i)
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
}

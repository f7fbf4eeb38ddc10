/**
 * The public embedded database: an in-memory engine opened from a dictionary. Writes are
 * synchronous functions that commit as one transaction; reads see a consistent state.
 *
 * @example
 * const db = await Database.open({ dictionary })
 * const { value: oid } = db.write((tx) => tx.insert('Item', { key: 1, name: 'one' }))
 * const item = db.read((tx) => tx.get('Item', oid))
 * await db.close()
 */
import type { Dictionary } from '../schema/dictionary.js'
import type { ReadTransaction, WriteOptions, WriteResult, WriteTransaction } from '../txn/api.js'
import { Engine } from '../txn/engine.js'
import type { LogOptions } from '../log/log-options.js'
import { TransactionLog } from '../log/transaction-log.js'

export interface DatabaseOptions {
  /** The compiled schema (from `loadDictionary` or a module made by `tandemdb compile`). */
  dictionary: Dictionary
  /** The memory size in bytes (default 64 MiB); `extend` raises it. */
  memorySize?: number
  /** The database name (default: the dictionary's). */
  name?: string
  /**
   * A transaction log on disk: the database is rebuilt from it on open, and every commit is
   * logged under its commit policy (`log.policy` is the default, 'sync-flush').
   */
  log?: LogOptions
}

export class Database {
  /** @internal The engine under this database, for the runtime layers (log, replication). */
  readonly engine: Engine
  readonly name: string

  readonly #log: TransactionLog | null

  private constructor(engine: Engine, name: string, log: TransactionLog | null) {
    this.engine = engine
    this.name = name
    this.#log = log
  }

  /** Opens a database. */
  static async open(options: DatabaseOptions): Promise<Database> {
    const defaultPolicy =
      options.log === undefined ? undefined : (options.log.policy ?? 'sync-flush')
    const engine = new Engine({
      dictionary: options.dictionary,
      memorySize: options.memorySize,
      defaultPolicy,
    })
    const log = options.log === undefined ? null : TransactionLog.open(engine, options.log)
    if (log !== null) engine.addHook(log)
    return new Database(engine, options.name ?? options.dictionary.name, log)
  }

  /** Runs `fn` as one write transaction; any throw rolls it back. */
  write<T>(fn: (tx: WriteTransaction) => T, options?: WriteOptions): WriteResult<T> {
    return this.engine.write(fn, options)
  }

  /** Runs `fn` as a read-only transaction. */
  read<T>(fn: (tx: ReadTransaction) => T): T {
    return this.engine.read(fn)
  }

  /** The sequencer: the number of the last committed write transaction. */
  getSequencer(): bigint {
    return this.engine.getSequencer()
  }

  /** Adds `bytes` to the memory size at run time. */
  extend(bytes: number): void {
    this.engine.extend(bytes)
  }

  /** A hash (hex) of the content: equal on two databases holding the same objects. */
  contentHash(): string {
    return this.engine.contentHash()
  }

  /** The memory size and the bytes in use. */
  get memory(): { readonly sizeBytes: number; readonly usedBytes: number } {
    return this.engine.memory
  }

  /** Resolves once every commit so far is on stable storage (at once without a log). */
  async flush(): Promise<void> {
    await this.#log?.flush()
  }

  /**
   * Writes a snapshot of the database now and drops the log segments it covers; resolves when
   * the snapshot is durable. Without a log there is nothing to checkpoint.
   */
  async checkpoint(): Promise<void> {
    await this.#log?.checkpoint()
  }

  /** Closes the database (flushing its log); further use throws TDB_CLOSED. */
  async close(): Promise<void> {
    this.engine.close()
    await this.#log?.close()
  }
}

/**
 * The systems of the core suite behind one small interface, so that each workload is written
 * once: tandemdb, better-sqlite3 in memory, LokiJS and a plain Map. Each method does exactly what
 * the workload counts as one operation (or one read transaction of a batch of them).
 */
import type BetterSqlite3 from 'better-sqlite3'
import type Loki from 'lokijs'
import { assert } from '../src/util/assert.js'
import { foldKey, recordOf, valueOf, type BenchRecord } from './dataset.js'
import { isSkipped, tryImport, type Skipped } from './harness.js'
import { memorySizeFor, openTandem, type TandemDatabase } from './tandem.js'

/** One system loaded with bench records. */
export interface CoreStore {
  /** Inserts one record in its own write transaction. */
  insert(record: BenchRecord): void
  /** Untimed bulk load of the records with these keys. */
  load(keys: Uint32Array): void
  /** Looks up keys[from..to) by key in one read transaction; returns the sum of their values. */
  sumValues(keys: Uint32Array, from: number, to: number): number
  /** Scans `length` keys from `start` in key order (one read transaction); folds key and value. */
  scan(start: number, length: number, checksum: number): number
  /** One write transaction: value += 1 of the record with `key`; returns the new value. */
  increment(key: number): number
  /** Every record in key order, folded as `scan` folds. */
  foldAll(): number
  /** The bytes the system itself says it uses, where it says (tandemdb: `db.memory`). */
  usedBytes?(): number
  close(): Promise<void>
}

/** Folds one record of a scan into the checksum: its key, then its value (exact in halves). */
export function foldRecord(checksum: number, key: number, value: number): number {
  return foldKey(foldKey(checksum, key), value * 2)
}

/** The fold of the records with keys start .. start+length-1, values raised by `added`. */
export function expectedFold(
  checksum: number,
  start: number,
  length: number,
  added: number,
): number {
  let folded = checksum
  for (let key = start; key < start + length; key++) {
    folded = foldRecord(folded, key, valueOf(key) + added)
  }
  return folded
}

function missing(system: string, key: number): never {
  assert(false, `${system}: no record with key ${key}`)
}

const LOAD_BATCH = 10_000

/** tandemdb; `lookupIndex` is the index `sumValues` goes through ('tkey' tree or 'hkey' hash). */
export async function tandemStore(
  records: number,
  lookupIndex: 'tkey' | 'hkey',
): Promise<CoreStore | Skipped> {
  const db = await openTandem({ memorySize: memorySizeFor(records) })
  if (isSkipped(db)) return db
  return new TandemStore(db, lookupIndex)
}

interface RecordValues {
  key: number
  value: number
}

class TandemStore implements CoreStore {
  readonly #db: TandemDatabase
  readonly #lookupIndex: 'tkey' | 'hkey'

  constructor(db: TandemDatabase, lookupIndex: 'tkey' | 'hkey') {
    this.#db = db
    this.#lookupIndex = lookupIndex
  }

  insert(record: BenchRecord): void {
    this.#db.write((tx) => tx.insert('Record', record))
  }

  load(keys: Uint32Array): void {
    for (let from = 0; from < keys.length; from += LOAD_BATCH) {
      this.#db.write((tx) => {
        const to = Math.min(keys.length, from + LOAD_BATCH)
        for (let i = from; i < to; i++) tx.insert('Record', recordOf(keys[i] as number))
      })
    }
  }

  sumValues(keys: Uint32Array, from: number, to: number): number {
    const index = this.#lookupIndex
    return this.#db.read((tx) => {
      let sum = 0
      for (let i = from; i < to; i++) {
        const key = keys[i] as number
        const found = tx.find<RecordValues>('Record', index, key) ?? missing('tandemdb', key)
        sum += found.value
      }
      return sum
    })
  }

  scan(start: number, length: number, checksum: number): number {
    return this.#db.read((tx) => {
      let folded = checksum
      const bounds = { ge: start, lt: start + length }
      for (const found of tx.range<RecordValues>('Record', 'tkey', bounds)) {
        folded = foldRecord(folded, found.key, found.value)
      }
      return folded
    })
  }

  increment(key: number): number {
    return this.#db.write((tx) => {
      const oid = tx.findOid('Record', 'tkey', key) ?? missing('tandemdb', key)
      const found = tx.get<RecordValues>('Record', oid) ?? missing('tandemdb', key)
      const value = found.value + 1
      tx.update('Record', oid, { value })
      return value
    }).value
  }

  foldAll(): number {
    return this.#db.read((tx) => {
      let folded = 0
      for (const found of tx.range<RecordValues>('Record', 'tkey', {})) {
        folded = foldRecord(folded, found.key, found.value)
      }
      return folded
    })
  }

  usedBytes(): number {
    return this.#db.memory.usedBytes
  }

  close(): Promise<void> {
    return this.#db.close()
  }
}

type SqliteModule = { default: typeof BetterSqlite3 }

/**
 * better-sqlite3 in memory. `key INTEGER PRIMARY KEY` makes the key the rowid, the fastest
 * table layout SQLite has for this shape (no separate index to maintain or walk).
 */
export async function sqliteStore(): Promise<CoreStore | Skipped> {
  const module = await tryImport<SqliteModule>('better-sqlite3')
  if (isSkipped(module)) return module
  const db = new module.default(':memory:')
  db.exec('CREATE TABLE record (key INTEGER PRIMARY KEY, name TEXT NOT NULL, value REAL NOT NULL)')
  return new SqliteStore(db)
}

class SqliteStore implements CoreStore {
  readonly #db: BetterSqlite3.Database
  readonly #insert: (record: BenchRecord) => void
  readonly #sumValues: (keys: Uint32Array, from: number, to: number) => number
  readonly #scan: BetterSqlite3.Statement<[number, number], RecordValues>
  readonly #increment: (key: number) => number
  readonly #all: BetterSqlite3.Statement<[], RecordValues>

  constructor(db: BetterSqlite3.Database) {
    this.#db = db
    const insert = db.prepare('INSERT INTO record (key, name, value) VALUES (@key, @name, @value)')
    this.#insert = db.transaction((record: BenchRecord) => void insert.run(record))
    const select = db.prepare<[number], RecordValues>('SELECT * FROM record WHERE key = ?')
    this.#sumValues = db.transaction((keys: Uint32Array, from: number, to: number) => {
      let sum = 0
      for (let i = from; i < to; i++) {
        const key = keys[i] as number
        sum += (select.get(key) ?? missing('better-sqlite3', key)).value
      }
      return sum
    })
    this.#scan = db.prepare('SELECT * FROM record WHERE key >= ? AND key < ? ORDER BY key')
    const update = db.prepare<[number], { value: number }>(
      'UPDATE record SET value = value + 1 WHERE key = ? RETURNING value',
    )
    this.#increment = db.transaction(
      (key: number) => (update.get(key) ?? missing('better-sqlite3', key)).value,
    )
    this.#all = db.prepare('SELECT * FROM record ORDER BY key')
  }

  insert(record: BenchRecord): void {
    this.#insert(record)
  }

  load(keys: Uint32Array): void {
    const insert = this.#db.prepare('INSERT INTO record (key, name, value) VALUES (?, ?, ?)')
    this.#db.transaction(() => {
      for (const key of keys) {
        const record = recordOf(key)
        insert.run(record.key, record.name, record.value)
      }
    })()
  }

  sumValues(keys: Uint32Array, from: number, to: number): number {
    return this.#sumValues(keys, from, to)
  }

  scan(start: number, length: number, checksum: number): number {
    let folded = checksum
    for (const row of this.#scan.all(start, start + length)) {
      folded = foldRecord(folded, row.key, row.value)
    }
    return folded
  }

  increment(key: number): number {
    return this.#increment(key)
  }

  foldAll(): number {
    let folded = 0
    for (const row of this.#all.iterate()) folded = foldRecord(folded, row.key, row.value)
    return folded
  }

  async close(): Promise<void> {
    this.#db.close()
  }
}

type LokiModule = { default: typeof Loki }

/**
 * LokiJS: a unique index on key (for lookups) and a binary index on key (for ranges). Loki
 * keeps the binary index sorted on every insert and update (its default, adaptive indices).
 */
export async function lokiStore(): Promise<CoreStore | Skipped> {
  const module = await tryImport<LokiModule>('lokijs')
  if (isSkipped(module)) return module
  const db = new module.default('bench.db', { autosave: false })
  const collection = db.addCollection<BenchRecord>('record', {
    unique: ['key'],
    indices: ['key'],
    disableMeta: true,
  })
  return new LokiStore(collection)
}

type BatchInsert = (docs: BenchRecord[], overrideAdaptiveIndices: boolean) => unknown

class LokiStore implements CoreStore {
  readonly #collection: Collection<BenchRecord>

  constructor(collection: Collection<BenchRecord>) {
    this.#collection = collection
  }

  insert(record: BenchRecord): void {
    this.#collection.insert(record)
  }

  load(keys: Uint32Array): void {
    // Loki's batch mode (a second argument its type declarations omit) sorts the binary index
    // once after the batch, instead of keeping it sorted through a million inserts.
    const insertBatch = this.#collection.insert as unknown as BatchInsert
    insertBatch.call(this.#collection, Array.from(keys, (key) => recordOf(key)), true)
  }

  #byKey(key: number): BenchRecord {
    return this.#collection.by('key', key) ?? missing('LokiJS', key)
  }

  sumValues(keys: Uint32Array, from: number, to: number): number {
    let sum = 0
    for (let i = from; i < to; i++) sum += this.#byKey(keys[i] as number).value
    return sum
  }

  scan(start: number, length: number, checksum: number): number {
    let folded = checksum
    const found = this.#collection.find({ key: { $between: [start, start + length - 1] } })
    for (const record of found) folded = foldRecord(folded, record.key, record.value)
    return folded
  }

  increment(key: number): number {
    const record = this.#byKey(key)
    record.value += 1
    this.#collection.update(record)
    return record.value
  }

  foldAll(): number {
    let folded = 0
    for (const record of this.#collection.chain().simplesort('key').data()) {
      folded = foldRecord(folded, record.key, record.value)
    }
    return folded
  }

  async close(): Promise<void> {
    this.#collection.clear()
  }
}

/**
 * The baseline: a Map from key to record object, and for ranges an array of the records sorted
 * by key, rebuilt (untimed, in `load`, or lazily) after inserts; a Map keeps no order itself.
 */
export function mapStore(): CoreStore {
  return new MapStore()
}

class MapStore implements CoreStore {
  readonly #records = new Map<number, BenchRecord>()
  #sorted: BenchRecord[] | null = null

  insert(record: BenchRecord): void {
    this.#records.set(record.key, record)
    this.#sorted = null
  }

  load(keys: Uint32Array): void {
    for (const key of keys) this.#records.set(key, recordOf(key))
    this.#sortedRecords()
  }

  #sortedRecords(): BenchRecord[] {
    this.#sorted ??= [...this.#records.values()].sort((a, b) => a.key - b.key)
    return this.#sorted
  }

  sumValues(keys: Uint32Array, from: number, to: number): number {
    let sum = 0
    for (let i = from; i < to; i++) {
      const key = keys[i] as number
      sum += (this.#records.get(key) ?? missing('Map', key)).value
    }
    return sum
  }

  scan(start: number, length: number, checksum: number): number {
    const sorted = this.#sortedRecords()
    let low = 0
    let high = sorted.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if ((sorted[middle] as BenchRecord).key < start) low = middle + 1
      else high = middle
    }
    let folded = checksum
    for (let i = low; i < sorted.length; i++) {
      const record = sorted[i] as BenchRecord
      if (record.key >= start + length) break
      folded = foldRecord(folded, record.key, record.value)
    }
    return folded
  }

  increment(key: number): number {
    const record = this.#records.get(key) ?? missing('Map', key)
    record.value += 1
    return record.value
  }

  foldAll(): number {
    let folded = 0
    for (const record of this.#sortedRecords()) {
      folded = foldRecord(folded, record.key, record.value)
    }
    return folded
  }

  async close(): Promise<void> {
    this.#records.clear()
  }
}

/**
 * The contract between the object store and its index structures. An index holds record ids
 * (`rid`, the slot number of an object within its class) and never copies of objects: it asks
 * a `KeyReader`, compiled by the store from the record layout, to compare and hash keys.
 * Index memory is charged to the database's `MemoryBudget`, so an index insert that would pass
 * the database size fails with TDB_OUT_OF_MEMORY before anything changes.
 */

/** A search key: one value per key part, in key order; fewer parts than the arity = a prefix. */
export type SearchKey = readonly unknown[]

export interface KeyReader {
  /** The number of key parts. */
  readonly arity: number
  /**
   * Orders two records by their keys in index order (each part asc or desc as declared).
   * Returns < 0, 0 or > 0. Records with equal keys compare 0; the index breaks ties by rid.
   */
  compareRecords(ridA: number, ridB: number): number
  /**
   * Orders a search key against a record's key, in index order. A key with fewer parts than
   * the arity compares only those parts (a prefix match compares 0).
   */
  compareKeyToRecord(key: SearchKey, rid: number): number
  /** A 32-bit hash of a record's full key; equal keys hash equal. */
  hashRecord(rid: number): number
  /** A 32-bit hash of a full search key, equal to `hashRecord` of a record with that key. */
  hashKey(key: SearchKey): number
  /**
   * Optional fast path, offered only for single-part keys that one number orders exactly
   * (integers up to 53 bits, float, double): the number whose ascending order is the index
   * order of the record's key (a `desc` key may return the negated value). Never NaN; two
   * records compare 0 exactly when their numbers are equal. An ordered index caches these
   * numbers next to its rids, so searches read no records. Offer both methods or neither.
   */
  numericKey?(rid: number): number
  /** The number of a one-part search key, on the same scale as `numericKey`. */
  numericSearchKey?(key: SearchKey): number
}

export interface MemoryBudget {
  /** Reserves `bytes`; throws StoreError TDB_OUT_OF_MEMORY (changing nothing) if they don't fit. */
  charge(bytes: number): void
  /** Gives back bytes reserved earlier. */
  release(bytes: number): void
}

/**
 * An ordered index (the DDL `tree`): a B+tree of rids ordered by key, then by rid. A position
 * is an opaque number valid until the next insert or remove on this index.
 */
export interface OrderedIndex {
  readonly unique: boolean
  readonly size: number
  /** Bumped by every insert and remove, so a cursor can tell that its position went stale. */
  readonly version: number
  /** Memory this index holds from the budget, in bytes. */
  readonly bytesCharged: number
  /** Adds a record; a unique index with an equal key throws TDB_DUPLICATE_KEY, no change. */
  insert(rid: number): void
  /** Removes a record that is in the index (asserted). */
  remove(rid: number): void
  /** The rid of a record with an equal key (the first in order), or -1. */
  findFirst(key: SearchKey): number
  /**
   * The position of the first record r with key(r) >= key (`inclusive`) or > key, or the end.
   * `seekLast` gives the last record with key(r) <= key (`inclusive`) or < key, or the start.
   */
  seekFirst(key: SearchKey, inclusive: boolean): IndexPosition
  seekLast(key: SearchKey, inclusive: boolean): IndexPosition
  /** The positions of the first and the last record (invalid when empty). */
  first(): IndexPosition
  last(): IndexPosition
}

/** A cursor position inside an ordered index. Moves return false when they leave the index. */
export interface IndexPosition {
  readonly valid: boolean
  /** The rid at this position (asserted valid). */
  readonly rid: number
  next(): boolean
  prev(): boolean
}

/** A hash index (the DDL `hash<k>[N]`): exact match only. */
export interface HashIndex {
  readonly unique: boolean
  readonly size: number
  /** Memory this index holds from the budget, in bytes. */
  readonly bytesCharged: number
  /** Adds a record; a unique index with an equal key throws TDB_DUPLICATE_KEY, no change. */
  insert(rid: number): void
  /** Removes a record that is in the index (asserted). */
  remove(rid: number): void
  /** The rid of a record with this exact full key (the first one found), or -1. */
  findFirst(key: SearchKey): number
  /** Every rid with this exact full key. */
  findAll(key: SearchKey): number[]
  /** Every rid in the index, in no particular order. */
  all(): Iterable<number>
}

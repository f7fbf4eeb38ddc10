/**
 * The transaction surface a user sees: plain objects in, plain objects out, keyed by the
 * dictionary. Generated accessors (`tandemdb compile`) wrap these with the types of a schema.
 */
import type { CommitPolicy, CommitStatus } from './commit-hook.js'

/** A class, by name or by dictionary id. */
export type ClassRef = string | number
/** An index of a class, by name or by its position in the class's index list. */
export type IndexRef = string | number
/** The database-wide object id (auto_oid) every object gets on insert. */
export type Oid = number
/** An object as field name → JS value (see the README for the type mapping). */
export type ObjectValues = Record<string, unknown>
/** A key: one value for a one-field index, an array of values for a compound one. */
export type KeyValue = unknown

/** Comparison operators of `search` (eXtremeDB MCO_LT ... MCO_GT). */
export type CompareOp = 'lt' | 'le' | 'eq' | 'ge' | 'gt'

/** Bounds of a range scan over an ordered (tree) index. Omitted bounds are open. */
export interface RangeOptions {
  readonly gt?: KeyValue
  readonly ge?: KeyValue
  readonly lt?: KeyValue
  readonly le?: KeyValue
  /** Walk from the high end down. */
  readonly reverse?: boolean
  /** At most this many objects. */
  readonly limit?: number
}

/**
 * A position in an index. A fresh cursor is not positioned: call `first()` or `last()`. Every
 * move returns whether the cursor now stands on an object. A cursor dies with its transaction.
 */
export interface Cursor<T = ObjectValues> extends Iterable<T> {
  first(): boolean
  last(): boolean
  next(): boolean
  prev(): boolean
  /** True while the cursor stands on an object. */
  readonly valid: boolean
  /** The oid of the object under the cursor (throws when not valid). */
  readonly oid: Oid
  /** The object under the cursor (throws when not valid). */
  value(): T
}

export interface ReadTransaction {
  /** The object with this oid, or undefined. */
  get<T = ObjectValues>(cls: ClassRef, oid: Oid): T | undefined
  /** The first object whose key equals `key` in a tree, hash or autoid index, or undefined. */
  find<T = ObjectValues>(cls: ClassRef, index: IndexRef, key: KeyValue): T | undefined
  /** Like `find`, but the oid. */
  findOid(cls: ClassRef, index: IndexRef, key: KeyValue): Oid | undefined
  /** Every object whose key equals `key` (for non-unique indexes). */
  findAll<T = ObjectValues>(cls: ClassRef, index: IndexRef, key: KeyValue): T[]
  /**
   * A cursor on an ordered index positioned at the first object (in index order) that satisfies
   * `op key`: for `lt`/`le` the nearest from below, for `eq`/`ge`/`gt` the nearest from above.
   */
  search<T = ObjectValues>(cls: ClassRef, index: IndexRef, op: CompareOp, key: KeyValue): Cursor<T>
  /** An unpositioned cursor over a tree, hash or list index. */
  cursor<T = ObjectValues>(cls: ClassRef, index: IndexRef): Cursor<T>
  /** The objects of an ordered index within bounds, in index order. */
  range<T = ObjectValues>(
    cls: ClassRef,
    index: IndexRef,
    options: RangeOptions,
  ): IterableIterator<T>
  /** The number of objects of a class. */
  count(cls: ClassRef): number
}

export interface WriteTransaction extends ReadTransaction {
  /** Inserts an object; missing fields take their zero value. Returns its new oid. */
  insert(cls: ClassRef, values: ObjectValues): Oid
  /** Changes the given fields of an object. */
  update(cls: ClassRef, oid: Oid, patch: ObjectValues): void
  /** Deletes an object. */
  delete(cls: ClassRef, oid: Oid): void
  /** Deletes every object of a class. */
  deleteAll(cls: ClassRef): void
}

export interface WriteOptions {
  /** The commit policy for this transaction (default: the database's). */
  readonly policy?: CommitPolicy
}

/**
 * What `write` returns: the commit is already visible to readers. `durable` resolves when its
 * policy's promise holds (log flushed, sync replicas acknowledged); it is made only when read.
 */
export interface WriteResult<T> {
  readonly value: T
  /** The sequencer value of this commit (unchanged when the function wrote nothing). */
  readonly seq: bigint
  readonly durable: Promise<CommitStatus>
}

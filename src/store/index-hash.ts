import { AssertionError, StoreError } from '../errors.js'
import { assert } from '../util/assert.js'
import type { HashIndex, KeyReader, MemoryBudget, SearchKey } from './index-contract.js'

const EMPTY = -1
/** A tombstone: the slot is free, but probe chains run on past it. */
const DELETED = -2
/** The fewest slots a table has. */
const HASH_MIN_CAPACITY = 16
/** The most slots a table may have (two Int32Array cells a slot stay below 2^31 cells). */
const HASH_MAX_CAPACITY = 2 ** 29
/** An estimate of what V8 spends on the table besides its arrays. */
const HASH_OBJECT_BYTES = 256

/** The smallest power of two >= 2 * entries (a load of at most 1/2 after a rehash). */
function capacityFor(entries: number): number {
  let capacity = HASH_MIN_CAPACITY
  while (capacity < entries * 2 && capacity < HASH_MAX_CAPACITY) capacity *= 2
  return capacity
}

function tableBytes(capacity: number): number {
  return HASH_OBJECT_BYTES + capacity * 8
}

/** A table of `capacity` empty cells: (rid, hash) pairs. */
function emptyTable(capacity: number): Int32Array {
  const table = new Int32Array(capacity * 2)
  for (let i = 0; i < table.length; i += 2) table[i] = EMPTY
  return table
}

/** Spreads a key hash over all 32 bits (murmur3 finaliser), so weak hashes probe well. */
function mixHash(hash: number): number {
  let h = hash | 0
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return h ^ (h >>> 16)
}

/**
 * A hash index (the DDL `hash<k>[N]`): exact-match lookups of rids by full key.
 *
 * Layout: open addressing with linear probing over a power-of-two table of cells, one
 * Int32Array of (rid, hash) pairs: `table[2i]` holds a rid, EMPTY or DELETED (a tombstone);
 * `table[2i + 1]` caches the mixed key hash of that rid, so probes skip other keys and a rehash
 * moves entries without reading records. The pair shares a cache line, so a probe of a random
 * cell costs one miss, not two. The table grows when slots in use (entries and tombstones) pass
 * 3/4 and shrinks when entries fall under 1/8, but never under the size declared in the
 * schema. Each new table is charged to the budget before it is built (TDB_OUT_OF_MEMORY changes
 * nothing), and the old one released after. A record must keep its key until it is removed.
 *
 * @example
 * const index = new HashTable(keys, false, 1000, budget)
 * index.insert(rid)
 * const rids = index.findAll(['smith'])
 */
export class HashTable implements HashIndex {
  readonly unique: boolean
  readonly #keys: KeyReader
  readonly #budget: MemoryBudget
  readonly #minCapacity: number
  /** (rid, hash) pairs; `#mask + 1` cells. */
  #table: Int32Array
  #mask: number
  #size = 0
  #deleted = 0
  #bytesCharged = 0

  constructor(keys: KeyReader, unique: boolean, initialSize: number, budget: MemoryBudget) {
    assert(Number.isSafeInteger(initialSize) && initialSize >= 0, 'hash index: bad initial size')
    this.#keys = keys
    this.unique = unique
    this.#budget = budget
    this.#minCapacity = capacityFor(initialSize)
    const bytes = tableBytes(this.#minCapacity)
    budget.charge(bytes)
    this.#bytesCharged = bytes
    this.#table = emptyTable(this.#minCapacity)
    this.#mask = this.#minCapacity - 1
  }

  get size(): number {
    return this.#size
  }

  get bytesCharged(): number {
    return this.#bytesCharged
  }

  /** The number of slots of the current table; for tests and statistics. */
  get capacity(): number {
    return this.#mask + 1
  }

  insert(rid: number): void {
    assert(rid === (rid | 0) && rid >= 0, 'hash insert: bad rid')
    const hash = mixHash(this.#keys.hashRecord(rid))
    this.#checkAbsent(rid, hash)
    const used = this.#size + this.#deleted + 1
    if (used * 4 > this.capacity * 3) this.#rehash(capacityFor(this.#size + 1))
    const table = this.#table
    const mask = this.#mask
    let i = hash & mask
    while ((table[2 * i] as number) >= 0) i = (i + 1) & mask
    if (table[2 * i] === DELETED) this.#deleted--
    table[2 * i] = rid
    table[2 * i + 1] = hash
    this.#size++
  }

  remove(rid: number): void {
    const hash = mixHash(this.#keys.hashRecord(rid))
    const table = this.#table
    const mask = this.#mask
    let i = hash & mask
    for (let slot = table[2 * i] as number; slot !== rid; slot = table[2 * i] as number) {
      if (slot === EMPTY) throw new AssertionError('hash remove: the rid is not in the index')
      i = (i + 1) & mask
    }
    this.#size--
    if (table[2 * ((i + 1) & mask)] !== EMPTY) {
      table[2 * i] = DELETED
      this.#deleted++
    } else {
      // The chain ends here: this cell and the tombstones right before it can all be empty.
      table[2 * i] = EMPTY
      for (i = (i - 1) & mask; table[2 * i] === DELETED; i = (i - 1) & mask) {
        table[2 * i] = EMPTY
        this.#deleted--
      }
    }
    const capacity = mask + 1
    if (this.#size * 8 < capacity && capacity > this.#minCapacity) this.#shrink()
  }

  findFirst(key: SearchKey): number {
    this.#checkKey(key)
    const hash = mixHash(this.#keys.hashKey(key))
    const table = this.#table
    const mask = this.#mask
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const slot = table[2 * i] as number
      if (slot === EMPTY) return -1
      if (slot >= 0 && table[2 * i + 1] === hash) {
        if (this.#keys.compareKeyToRecord(key, slot) === 0) return slot
      }
    }
  }

  findAll(key: SearchKey): number[] {
    this.#checkKey(key)
    const hash = mixHash(this.#keys.hashKey(key))
    const table = this.#table
    const mask = this.#mask
    const found: number[] = []
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const slot = table[2 * i] as number
      if (slot === EMPTY) return found
      if (slot >= 0 && table[2 * i + 1] === hash) {
        if (this.#keys.compareKeyToRecord(key, slot) === 0) found.push(slot)
      }
    }
  }

  /** Every rid, in table order. The index must not change while this is being iterated. */
  *all(): IterableIterator<number> {
    const table = this.#table
    for (let i = 0; i < table.length; i += 2) {
      const slot = table[i] as number
      if (slot >= 0) yield slot
    }
  }

  /**
   * Checks the table: every entry reachable from its hash, cached hashes right, counts and
   * charged bytes consistent. Throws AssertionError on the first broken invariant. For tests.
   */
  checkInvariants(): void {
    const table = this.#table
    const capacity = this.capacity
    assert(table.length === 2 * capacity, 'hash table length is not two cells a slot')
    let entries = 0
    let deleted = 0
    for (let i = 0; i < capacity; i++) {
      const slot = table[2 * i] as number
      if (slot === DELETED) deleted++
      if (slot < 0) continue
      entries++
      const hash = mixHash(this.#keys.hashRecord(slot))
      assert(table[2 * i + 1] === hash, `hash slot ${i}: stale cached hash`)
      for (let j = hash & this.#mask; j !== i; j = (j + 1) & this.#mask) {
        assert(table[2 * j] !== EMPTY, `hash slot ${i}: entry unreachable from its hash`)
      }
    }
    assert(entries === this.#size && deleted === this.#deleted, 'hash counts are wrong')
    assert(this.#size + this.#deleted < capacity, 'hash table has no empty slot')
    assert(this.#bytesCharged === tableBytes(capacity), 'hash charged bytes are wrong')
  }

  #checkKey(key: SearchKey): void {
    if (key.length === this.#keys.arity) return
    throw new StoreError(
      'TDB_INVALID_ARGUMENT',
      `a hash index needs a full key of ${this.#keys.arity} part(s), got ${key.length}`,
      { parts: key.length, arity: this.#keys.arity },
    )
  }

  /** Asserts the rid is not in the table; when unique, throws if its key already is. */
  #checkAbsent(rid: number, hash: number): void {
    const table = this.#table
    const mask = this.#mask
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const slot = table[2 * i] as number
      if (slot === EMPTY) return
      if (slot < 0 || table[2 * i + 1] !== hash) continue
      assert(slot !== rid, 'hash insert: the rid is already in the index')
      if (this.unique && this.#keys.compareRecords(rid, slot) === 0) {
        throw new StoreError(
          'TDB_DUPLICATE_KEY',
          `unique index already holds a record with the key of rid ${rid} (rid ${slot})`,
          { rid, existingRid: slot },
        )
      }
    }
  }

  /** Shrinks after removes; a refused charge keeps the larger table (removes never fail). */
  #shrink(): void {
    const capacity = Math.max(this.#minCapacity, capacityFor(this.#size))
    if (capacity >= this.capacity) return
    try {
      this.#rehash(capacity)
    } catch (error) {
      if (!(error instanceof StoreError && error.code === 'TDB_OUT_OF_MEMORY')) throw error
    }
  }

  /** Moves every entry into a new table of `capacity` slots, charged before it is built. */
  #rehash(capacity: number): void {
    capacity = Math.max(capacity, this.#minCapacity)
    assert(capacity > this.#size + 1, 'hash table would be full')
    const bytes = tableBytes(capacity)
    this.#budget.charge(bytes)
    const old = this.#table
    const table = emptyTable(capacity)
    const mask = capacity - 1
    for (let j = 0; j < old.length; j += 2) {
      const slot = old[j] as number
      if (slot < 0) continue
      const hash = old[j + 1] as number
      let i = hash & mask
      while (table[2 * i] !== EMPTY) i = (i + 1) & mask
      table[2 * i] = slot
      table[2 * i + 1] = hash
    }
    this.#budget.release(this.#bytesCharged)
    this.#bytesCharged = bytes
    this.#table = table
    this.#mask = mask
    this.#deleted = 0
  }
}

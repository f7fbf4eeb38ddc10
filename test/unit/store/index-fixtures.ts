/*
 * Test doubles for the index tests (DESIGN.md "Store and transactions"): a KeyReader over plain
 * arrays of key values, a MemoryBudget with a limit and a refusal countdown, and a dumb model
 * of an ordered index (a sorted array) to compare the real indexes with.
 */
import { StoreError } from '../../../src/errors.js'
import type { KeyReader, MemoryBudget, SearchKey } from '../../../src/store/index-contract.js'
import { seededRandom } from '../../../src/util/prng.js'

export type KeyValue = number | string
export type KeyValues = readonly KeyValue[]

function compareValue(a: KeyValue, b: KeyValue): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Compares the first `parts` parts of two keys, honouring each part's direction. */
export function compareKeys(
  a: SearchKey,
  b: KeyValues,
  parts: number,
  descending: readonly boolean[],
): number {
  for (let i = 0; i < parts; i++) {
    const c = compareValue(a[i] as KeyValue, b[i] as KeyValue)
    if (c !== 0) return descending[i] === true ? -c : c
  }
  return 0
}

function hashText(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return h | 0
}

/** Keys of records held in a plain array indexed by rid. */
export class ArrayKeyReader implements KeyReader {
  readonly records: (KeyValues | undefined)[] = []
  readonly descending: readonly boolean[]
  readonly arity: number

  constructor(descending: readonly boolean[]) {
    this.descending = descending
    this.arity = descending.length
  }

  key(rid: number): KeyValues {
    const key = this.records[rid]
    if (key === undefined) throw new Error(`test key reader: rid ${rid} has no record`)
    return key
  }

  compareRecords(ridA: number, ridB: number): number {
    return compareKeys(this.key(ridA), this.key(ridB), this.arity, this.descending)
  }

  compareKeyToRecord(key: SearchKey, rid: number): number {
    return compareKeys(key, this.key(rid), key.length, this.descending)
  }

  hashRecord(rid: number): number {
    return hashText(JSON.stringify(this.key(rid)))
  }

  hashKey(key: SearchKey): number {
    return hashText(JSON.stringify(key))
  }
}

/** A one-part ascending numeric key with the numeric fast path. */
export class NumericKeyReader extends ArrayKeyReader {
  constructor() {
    super([false])
  }

  numericKey(rid: number): number {
    return this.key(rid)[0] as number
  }

  numericSearchKey(key: SearchKey): number {
    return key[0] as number
  }
}

/** A budget with a byte limit that can also refuse every charge after a countdown. */
export class TestBudget implements MemoryBudget {
  used = 0
  peak = 0
  limit: number
  /** Charges left before every charge is refused; -1 = never refuse. */
  chargesLeft = -1

  constructor(limit = Number.MAX_SAFE_INTEGER) {
    this.limit = limit
  }

  charge(bytes: number): void {
    if (!(bytes > 0)) throw new Error(`test budget: bad charge ${bytes}`)
    if (this.chargesLeft === 0 || this.used + bytes > this.limit) {
      throw new StoreError('TDB_OUT_OF_MEMORY', `test budget refuses ${bytes} bytes`)
    }
    if (this.chargesLeft > 0) this.chargesLeft--
    this.used += bytes
    this.peak = Math.max(this.peak, this.used)
  }

  release(bytes: number): void {
    if (!(bytes > 0) || bytes > this.used) throw new Error(`test budget: bad release ${bytes}`)
    this.used -= bytes
  }
}

/** A dumb ordered index: rids sorted by key, then rid. */
export class ModelIndex {
  readonly rids: number[] = []
  readonly #keys: ArrayKeyReader

  constructor(keys: ArrayKeyReader) {
    this.#keys = keys
  }

  #compare(a: number, b: number): number {
    return this.#keys.compareRecords(a, b) || a - b
  }

  insert(rid: number): void {
    let i = 0
    while (i < this.rids.length && this.#compare(this.rids[i] as number, rid) < 0) i++
    this.rids.splice(i, 0, rid)
  }

  remove(rid: number): void {
    const i = this.rids.indexOf(rid)
    if (i < 0) throw new Error(`model: rid ${rid} missing`)
    this.rids.splice(i, 1)
  }

  hasKeyOf(rid: number): boolean {
    return this.rids.some((other) => this.#keys.compareRecords(other, rid) === 0)
  }

  /** Index of the first rid whose key is > key (strict) or >= key; length when none. */
  bound(key: SearchKey, strict: boolean): number {
    const i = this.rids.findIndex((rid) => {
      const c = this.#keys.compareKeyToRecord(key, rid)
      return strict ? c < 0 : c <= 0
    })
    return i < 0 ? this.rids.length : i
  }

  findFirst(key: SearchKey): number {
    const i = this.bound(key, false)
    const rid = this.rids[i]
    return rid !== undefined && this.#keys.compareKeyToRecord(key, rid) === 0 ? rid : -1
  }

  findAll(key: SearchKey): number[] {
    return this.rids.filter((rid) => this.#keys.compareKeyToRecord(key, rid) === 0)
  }
}

export { seededRandom }

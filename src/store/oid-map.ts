/**
 * The database-wide oid map: oid -> (class id, rid). Open addressing with linear probing over
 * typed arrays (14 bytes a cell), deletion by backward shift (no tombstones), so that a
 * million objects cost a few megabytes and no JS objects. Its memory is charged to the budget.
 */
import { AssertionError } from '../errors.js'
import { assert } from '../util/assert.js'
import type { MemoryBudget } from './index-contract.js'

const CELL_BYTES = 8 + 4 + 2
const MIN_CAPACITY = 64
/** Grows when more than this fraction of the cells hold entries. */
const MAX_LOAD = 0.75

/** The largest class id a cell holds. */
export const MAX_CLASS_ID = 0xffff

export class OidMap {
  readonly #budget: MemoryBudget
  #oids: Float64Array
  #rids: Int32Array
  #classIds: Uint16Array
  #mask: number
  #bits: number
  #size = 0

  constructor(budget: MemoryBudget, capacity = MIN_CAPACITY) {
    assert(capacity >= MIN_CAPACITY && (capacity & (capacity - 1)) === 0, 'bad oid map capacity')
    this.#budget = budget
    budget.charge(capacity * CELL_BYTES)
    this.#oids = new Float64Array(capacity)
    this.#rids = new Int32Array(capacity)
    this.#classIds = new Uint16Array(capacity)
    this.#mask = capacity - 1
    this.#bits = Math.log2(capacity)
  }

  get size(): number {
    return this.#size
  }

  get capacity(): number {
    return this.#oids.length
  }

  #home(oid: number): number {
    const low = oid >>> 0
    const high = (oid / 4294967296) >>> 0
    return Math.imul(low ^ Math.imul(high, 0x85ebca6b), 0x9e3779b1) >>> (32 - this.#bits)
  }

  #cellOf(oid: number): number {
    const oids = this.#oids
    let cell = this.#home(oid)
    for (;;) {
      const held = oids[cell] as number
      if (held === oid) return cell
      if (held === 0) return -1
      cell = (cell + 1) & this.#mask
    }
  }

  /** The rid of `oid`, or -1; `classIdOf` gives its class. */
  ridOf(oid: number): number {
    const cell = this.#cellOf(oid)
    return cell < 0 ? -1 : (this.#rids[cell] as number)
  }

  /** The class id of `oid`, or 0 when absent. */
  classIdOf(oid: number): number {
    const cell = this.#cellOf(oid)
    return cell < 0 ? 0 : (this.#classIds[cell] as number)
  }

  has(oid: number): boolean {
    return this.#cellOf(oid) >= 0
  }

  /** Adds an oid that is absent (asserted). May grow, charging the budget first. */
  insert(oid: number, classId: number, rid: number): void {
    if (!(oid > 0 && Number.isSafeInteger(oid))) throw new AssertionError(`bad oid ${oid}`)
    if (!(classId > 0 && classId <= MAX_CLASS_ID)) throw new AssertionError(`bad class id ${classId}`)
    if (this.#size + 1 > this.capacity * MAX_LOAD) this.resize(this.capacity * 2)
    const oids = this.#oids
    let cell = this.#home(oid)
    while (oids[cell] !== 0) {
      if (!(oids[cell] !== oid)) throw new AssertionError(`oid ${oid} is already mapped`)
      cell = (cell + 1) & this.#mask
    }
    oids[cell] = oid
    this.#rids[cell] = rid
    this.#classIds[cell] = classId
    this.#size++
  }

  /** Removes an oid that is present (asserted). */
  remove(oid: number): void {
    let cell = this.#cellOf(oid)
    if (!(cell >= 0)) throw new AssertionError(`oid ${oid} is not mapped`)
    const oids = this.#oids
    const mask = this.#mask
    // Backward-shift deletion: pull later entries of the probe run into the hole.
    let next = (cell + 1) & mask
    while (oids[next] !== 0) {
      const home = this.#home(oids[next] as number)
      const distanceFromHome = (next - home) & mask
      const distanceToHole = (next - cell) & mask
      if (distanceFromHome >= distanceToHole) {
        oids[cell] = oids[next] as number
        this.#rids[cell] = this.#rids[next] as number
        this.#classIds[cell] = this.#classIds[next] as number
        cell = next
      }
      next = (next + 1) & mask
    }
    oids[cell] = 0
    this.#size--
  }

  /** Rebuilds with `capacity` cells (a power of two that holds the entries). */
  resize(capacity: number): void {
    assert(capacity >= MIN_CAPACITY && (capacity & (capacity - 1)) === 0, 'bad oid map capacity')
    assert(this.#size <= capacity * MAX_LOAD, 'oid map capacity too small for its entries')
    const before = this.capacity
    if (capacity > before) this.#budget.charge((capacity - before) * CELL_BYTES)
    const oids = this.#oids
    const rids = this.#rids
    const classIds = this.#classIds
    this.#oids = new Float64Array(capacity)
    this.#rids = new Int32Array(capacity)
    this.#classIds = new Uint16Array(capacity)
    this.#mask = capacity - 1
    this.#bits = Math.log2(capacity)
    this.#size = 0
    for (let cell = 0; cell < oids.length; cell++) {
      const oid = oids[cell] as number
      if (oid !== 0) this.insert(oid, classIds[cell] as number, rids[cell] as number)
    }
    if (capacity < before) this.#budget.release((before - capacity) * CELL_BYTES)
  }

  /** Empties the map, back to the smallest capacity. */
  clear(): void {
    const before = this.capacity
    this.#oids = new Float64Array(MIN_CAPACITY)
    this.#rids = new Int32Array(MIN_CAPACITY)
    this.#classIds = new Uint16Array(MIN_CAPACITY)
    this.#mask = MIN_CAPACITY - 1
    this.#bits = Math.log2(MIN_CAPACITY)
    this.#size = 0
    this.#budget.release((before - MIN_CAPACITY) * CELL_BYTES)
  }
}

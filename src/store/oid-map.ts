/**
 * The database-wide oid map: oid -> (class id, rid). Open addressing with linear probing over
 * two typed arrays (6 bytes a cell) and deletion by backward shift (no tombstones). The map
 * holds no oids: a cell's oid is read from the slot it points to (every slot starts with its
 * oid), which keeps a million objects at a few megabytes and no JS objects. Its memory is
 * charged to the budget.
 */
import { AssertionError } from '../errors.js'
import { assert } from '../util/assert.js'
import type { MemoryBudget } from './index-contract.js'

const CELL_BYTES = 4 + 2
const MIN_CAPACITY = 64
/** Grows when more than this fraction of the cells hold entries. */
const MAX_LOAD = 0.75

/** The largest class id a cell holds. */
export const MAX_CLASS_ID = 0xffff

/** Reads the oid stored in slot `rid` of class `classId`. */
export type OidOfSlot = (classId: number, rid: number) => number

/** Calls `visit` for every slot that holds an object (oid != 0), in memory order. */
export type EachLiveSlot = (visit: (classId: number, rid: number, oid: number) => void) => void

export class OidMap {
  readonly #budget: MemoryBudget
  readonly #oidOf: OidOfSlot
  readonly #eachLiveSlot: EachLiveSlot
  #rids: Int32Array
  /** 0 marks an empty cell (class ids start at 1). */
  #classIds: Uint16Array
  #mask: number
  /** 32 - log2(capacity): the shift that keeps the top bits of a hash. */
  #shift: number
  #size = 0
  /** The size before the last rebuild (to check a growth found exactly one new object). */
  #sizeBeforeGrowth = 0

  constructor(budget: MemoryBudget, oidOf: OidOfSlot, eachLiveSlot: EachLiveSlot) {
    this.#budget = budget
    this.#oidOf = oidOf
    this.#eachLiveSlot = eachLiveSlot
    budget.charge(MIN_CAPACITY * CELL_BYTES)
    this.#rids = new Int32Array(MIN_CAPACITY)
    this.#classIds = new Uint16Array(MIN_CAPACITY)
    this.#mask = MIN_CAPACITY - 1
    this.#shift = 32 - Math.log2(MIN_CAPACITY)
  }

  get size(): number {
    return this.#size
  }

  get capacity(): number {
    return this.#rids.length
  }

  // Fibonacci hashing scatters the dense oids of a counter, so that probe runs stay short: an
  // identity hash would pack them into one long run, and every backward-shift delete would
  // walk to its end.
  #home(oid: number): number {
    const low = oid >>> 0
    const high = (oid / 4294967296) >>> 0
    return Math.imul(low ^ Math.imul(high, 0x85ebca6b), 0x9e3779b1) >>> this.#shift
  }

  /** The cell holding `oid`, or -1; read it with `ridAt` and `classIdAt`. */
  cellOf(oid: number): number {
    const classIds = this.#classIds
    let cell = this.#home(oid)
    for (;;) {
      const classId = classIds[cell] as number
      if (classId === 0) return -1
      if (this.#oidOf(classId, this.#rids[cell] as number) === oid) return cell
      cell = (cell + 1) & this.#mask
    }
  }

  ridAt(cell: number): number {
    return this.#rids[cell] as number
  }

  classIdAt(cell: number): number {
    return this.#classIds[cell] as number
  }

  /** The rid of `oid`, or -1. */
  ridOf(oid: number): number {
    const cell = this.cellOf(oid)
    return cell < 0 ? -1 : (this.#rids[cell] as number)
  }

  /** The class id of `oid`, or 0 when absent. */
  classIdOf(oid: number): number {
    const cell = this.cellOf(oid)
    return cell < 0 ? 0 : (this.#classIds[cell] as number)
  }

  has(oid: number): boolean {
    return this.cellOf(oid) >= 0
  }

  /**
   * Adds an oid whose slot already holds it. The caller guarantees the oid is absent (the
   * store assigns fresh oids and checks those it is given). May grow, charging the budget
   * first (TDB_OUT_OF_MEMORY leaves the map unchanged).
   */
  insert(oid: number, classId: number, rid: number): void {
    if (!(classId > 0 && classId <= MAX_CLASS_ID)) {
      throw new AssertionError(`bad class id ${classId}`)
    }
    assert(this.#oidOf(classId, rid) === oid, 'oid map insert: the slot does not hold the oid')
    if (this.#size + 1 > this.capacity * MAX_LOAD) {
      // The rebuild reads the slots, where the new object already stands: it is placed too.
      this.resize(this.capacity * 2)
      assert(this.#size === this.#sizeBeforeGrowth + 1, 'oid map growth lost or found objects')
      return
    }
    this.#place(oid, classId, rid)
    this.#size++
  }

  /**
   * Puts an entry in the first free cell of its probe run. Callers guarantee the oid is absent
   * (the store checks before inserting); probing reads no slots, which keeps growth cheap.
   */
  #place(oid: number, classId: number, rid: number): void {
    const classIds = this.#classIds
    let cell = this.#home(oid)
    while (classIds[cell] !== 0) cell = (cell + 1) & this.#mask
    classIds[cell] = classId
    this.#rids[cell] = rid
  }

  /** Removes an oid that is present (asserted); its slot must still hold it. */
  remove(oid: number): void {
    let cell = this.cellOf(oid)
    if (cell < 0) throw new AssertionError(`oid ${oid} is not mapped`)
    const classIds = this.#classIds
    const rids = this.#rids
    const mask = this.#mask
    // Backward-shift deletion: pull later entries of the probe run into the hole.
    let next = (cell + 1) & mask
    while (classIds[next] !== 0) {
      const home = this.#home(this.#oidOf(classIds[next] as number, rids[next] as number))
      const distanceFromHome = (next - home) & mask
      const distanceToHole = (next - cell) & mask
      if (distanceFromHome >= distanceToHole) {
        classIds[cell] = classIds[next] as number
        rids[cell] = rids[next] as number
        cell = next
      }
      next = (next + 1) & mask
    }
    classIds[cell] = 0
    this.#size--
  }

  /**
   * Rebuilds with `capacity` cells (a power of two that holds the entries) from the live
   * slots, read in memory order: cheaper than chasing each cell's slot. Every live slot must be
   * mapped (the store calls this only between operations, or while inserting the one object
   * whose slot is filled but not yet mapped).
   */
  resize(capacity: number): void {
    assert(capacity >= MIN_CAPACITY && (capacity & (capacity - 1)) === 0, 'bad oid map capacity')
    assert(this.#size <= capacity * MAX_LOAD, 'oid map capacity too small for its entries')
    const before = this.capacity
    if (capacity > before) this.#budget.charge((capacity - before) * CELL_BYTES)
    this.#sizeBeforeGrowth = this.#size
    this.#rids = new Int32Array(capacity)
    this.#classIds = new Uint16Array(capacity)
    this.#mask = capacity - 1
    this.#shift = 32 - Math.log2(capacity)
    let size = 0
    this.#eachLiveSlot((classId, rid, oid) => {
      this.#place(oid, classId, rid)
      size++
    })
    this.#size = size
    if (capacity < before) this.#budget.release((before - capacity) * CELL_BYTES)
  }

  /** Empties the map, back to the smallest capacity. */
  clear(): void {
    const before = this.capacity
    this.#rids = new Int32Array(MIN_CAPACITY)
    this.#classIds = new Uint16Array(MIN_CAPACITY)
    this.#mask = MIN_CAPACITY - 1
    this.#shift = 32 - Math.log2(MIN_CAPACITY)
    this.#size = 0
    this.#budget.release((before - MIN_CAPACITY) * CELL_BYTES)
  }
}

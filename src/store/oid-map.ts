/**
 * The database-wide oid map: oid -> (class id, rid). Oids come from a counter, so the map is
 * a paged direct table: the oid's high part picks a page of OID_PAGE_ENTRIES cells (from a
 * Map, with the last page cached), the low part a cell in two typed arrays (6 bytes a cell).
 * Dense oids cost about 6 bytes each and neighbouring oids share cache lines; a page is
 * dropped when its last oid goes, so memory stays flat as the counter moves on under churn.
 * Pages are charged to the budget, and dropping and re-making them undoes exactly.
 */
import { AssertionError } from '../errors.js'
import { assert } from '../util/assert.js'
import type { MemoryBudget } from './index-contract.js'

/** Cells per page: a power of two. */
const OID_PAGE_ENTRIES = 256
const OID_PAGE_SHIFT = 8
/** What a page holds from the budget: its cells and an estimate of its objects. */
const OID_PAGE_BYTES = OID_PAGE_ENTRIES * (4 + 2) + 160

assert(OID_PAGE_ENTRIES === 2 ** OID_PAGE_SHIFT, 'OID_PAGE_SHIFT must match OID_PAGE_ENTRIES')

/** The largest class id a cell holds. */
export const MAX_CLASS_ID = 0xffff

class OidPage {
  readonly rids = new Int32Array(OID_PAGE_ENTRIES)
  /** 0 marks an empty cell (class ids start at 1). */
  readonly classIds = new Uint16Array(OID_PAGE_ENTRIES)
  count = 0
}

export class OidMap {
  readonly #budget: MemoryBudget
  readonly #pages = new Map<number, OidPage>()
  #lastNumber = -1
  #lastPage: OidPage | undefined = undefined
  #size = 0

  constructor(budget: MemoryBudget) {
    this.#budget = budget
  }

  get size(): number {
    return this.#size
  }

  /** The bytes the map holds from the budget. */
  get bytesCharged(): number {
    return this.#pages.size * OID_PAGE_BYTES
  }

  #page(oid: number): OidPage | undefined {
    const number = Math.floor(oid / OID_PAGE_ENTRIES)
    if (number === this.#lastNumber) return this.#lastPage
    const page = this.#pages.get(number)
    this.#lastNumber = number
    this.#lastPage = page
    return page
  }

  /** The rid of `oid` when it is an object of class `classId`, else -1. */
  ridIn(oid: number, classId: number): number {
    const page = this.#page(oid)
    if (page === undefined) return -1
    const cell = oid & (OID_PAGE_ENTRIES - 1)
    return page.classIds[cell] === classId ? (page.rids[cell] as number) : -1
  }

  /** The rid of `oid`, or -1. */
  ridOf(oid: number): number {
    const page = this.#page(oid)
    if (page === undefined) return -1
    const cell = oid & (OID_PAGE_ENTRIES - 1)
    return page.classIds[cell] === 0 ? -1 : (page.rids[cell] as number)
  }

  /** The class id of `oid`, or 0 when absent. */
  classIdOf(oid: number): number {
    const page = this.#page(oid)
    return page === undefined ? 0 : (page.classIds[oid & (OID_PAGE_ENTRIES - 1)] as number)
  }

  has(oid: number): boolean {
    return this.classIdOf(oid) !== 0
  }

  /** Adds an absent oid (asserted). A new page is charged first (TDB_OUT_OF_MEMORY: no change). */
  insert(oid: number, classId: number, rid: number): void {
    if (!(classId > 0 && classId <= MAX_CLASS_ID)) {
      throw new AssertionError(`bad class id ${classId}`)
    }
    let page = this.#page(oid)
    if (page === undefined) {
      this.#budget.charge(OID_PAGE_BYTES)
      page = new OidPage()
      const number = Math.floor(oid / OID_PAGE_ENTRIES)
      this.#pages.set(number, page)
      this.#lastNumber = number
      this.#lastPage = page
    }
    const cell = oid & (OID_PAGE_ENTRIES - 1)
    if (page.classIds[cell] !== 0) throw new AssertionError(`oid ${oid} is already mapped`)
    page.classIds[cell] = classId
    page.rids[cell] = rid
    page.count++
    this.#size++
  }

  /** Removes a present oid (asserted); an emptied page is dropped and released. */
  remove(oid: number): void {
    const page = this.#page(oid)
    const cell = oid & (OID_PAGE_ENTRIES - 1)
    if (page === undefined || page.classIds[cell] === 0) {
      throw new AssertionError(`oid ${oid} is not mapped`)
    }
    page.classIds[cell] = 0
    page.count--
    this.#size--
    if (page.count === 0) {
      this.#pages.delete(Math.floor(oid / OID_PAGE_ENTRIES))
      this.#lastNumber = -1
      this.#lastPage = undefined
      this.#budget.release(OID_PAGE_BYTES)
    }
  }

  /** Empties the map and releases its pages. */
  clear(): void {
    this.#budget.release(this.bytesCharged)
    this.#pages.clear()
    this.#lastNumber = -1
    this.#lastPage = undefined
    this.#size = 0
  }
}

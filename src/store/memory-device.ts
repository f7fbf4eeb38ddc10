/**
 * The memory device: the fixed-size memory of a database, made of SharedArrayBuffer pages that
 * are allocated lazily, plus the `MemoryBudget` that every allocation (record slots, heap
 * blocks, index nodes, the oid map) is charged to. A write that would pass the size throws
 * StoreError TDB_OUT_OF_MEMORY before anything changes; `extend` raises the size.
 *
 * Addresses are 32-bit: `pageIndex * PAGE_BYTES + offset`. Ordinary pages are PAGE_BYTES long
 * and are carved by a bump allocator (the arena) whose whole state is one number, the bump
 * position, so that a rolled-back transaction restores it exactly. A block larger than
 * LARGE_BLOCK_BYTES gets a page of its own (offset 0, any length).
 */
import { AssertionError, StoreError, TandemError } from '../errors.js'
import type { MemoryBudget } from './index-contract.js'
import { assert } from '../util/assert.js'

/** The size of an ordinary page. */
export const PAGE_BYTES = 1 << 20
/** log2(PAGE_BYTES): `address >>> PAGE_SHIFT` is the page index. */
export const PAGE_SHIFT = 20
/** The most pages (ordinary and large) one database addresses with 32-bit addresses. */
export const MAX_PAGES = 4096
/** Blocks above this size get a page of their own instead of a place in an ordinary page. */
export const LARGE_BLOCK_BYTES = 64 * 1024
/** The default memory size of a database. */
export const DEFAULT_MEMORY_BYTES = 64 * 1024 * 1024
/** The largest memory size 32-bit addresses reach. */
export const MAX_MEMORY_BYTES = MAX_PAGES * PAGE_BYTES

assert(LARGE_BLOCK_BYTES < PAGE_BYTES, 'large blocks must be smaller than a page')
assert(PAGE_BYTES === 2 ** PAGE_SHIFT, 'PAGE_SHIFT must match PAGE_BYTES')

/** One page with a view of every width, so readers index it without DataView calls. */
export class Page {
  readonly buffer: SharedArrayBuffer
  readonly u8: Uint8Array
  readonly i8: Int8Array
  readonly u16: Uint16Array
  readonly i16: Int16Array
  readonly u32: Uint32Array
  readonly i32: Int32Array
  readonly f32: Float32Array
  readonly f64: Float64Array
  readonly i64: BigInt64Array
  readonly u64: BigUint64Array
  /** A Buffer view for UTF-8 decoding and encoding. */
  readonly bytes: Buffer

  constructor(byteLength: number) {
    assert(byteLength % 8 === 0 && byteLength > 0, 'page length must be a positive multiple of 8')
    const buffer = new SharedArrayBuffer(byteLength)
    this.buffer = buffer
    this.u8 = new Uint8Array(buffer)
    this.i8 = new Int8Array(buffer)
    this.u16 = new Uint16Array(buffer)
    this.i16 = new Int16Array(buffer)
    this.u32 = new Uint32Array(buffer)
    this.i32 = new Int32Array(buffer)
    this.f32 = new Float32Array(buffer)
    this.f64 = new Float64Array(buffer)
    this.i64 = new BigInt64Array(buffer)
    this.u64 = new BigUint64Array(buffer)
    this.bytes = Buffer.from(buffer)
  }
}

/** The byte budget of a database: every structure charges it before it grows. */
export class Budget implements MemoryBudget {
  #sizeBytes: number
  #usedBytes = 0

  constructor(sizeBytes: number) {
    checkMemorySize(sizeBytes)
    this.#sizeBytes = sizeBytes
  }

  get sizeBytes(): number {
    return this.#sizeBytes
  }

  get usedBytes(): number {
    return this.#usedBytes
  }

  charge(bytes: number): void {
    if (!(Number.isSafeInteger(bytes) && bytes >= 0)) {
      throw new AssertionError(`bad charge ${bytes}`)
    }
    if (this.#usedBytes + bytes > this.#sizeBytes) {
      throw new StoreError(
        'TDB_OUT_OF_MEMORY',
        `out of memory: ${bytes} more bytes do not fit (${this.#usedBytes} of ` +
          `${this.#sizeBytes} used)`,
        { requestedBytes: bytes, usedBytes: this.#usedBytes, sizeBytes: this.#sizeBytes },
      )
    }
    this.#usedBytes += bytes
  }

  release(bytes: number): void {
    if (!(Number.isSafeInteger(bytes) && bytes >= 0)) {
      throw new AssertionError(`bad release ${bytes}`)
    }
    assert(bytes <= this.#usedBytes, 'released more memory than was charged')
    this.#usedBytes -= bytes
  }

  /** Raises the size by `bytes`. */
  extend(bytes: number): void {
    if (!Number.isSafeInteger(bytes) || bytes <= 0) {
      throw new TandemError('TDB_INVALID_ARGUMENT', `extend: bytes must be a positive integer`)
    }
    checkMemorySize(this.#sizeBytes + bytes)
    this.#sizeBytes += bytes
  }
}

function checkMemorySize(sizeBytes: number): void {
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0 || sizeBytes > MAX_MEMORY_BYTES) {
    throw new TandemError(
      'TDB_INVALID_ARGUMENT',
      `memory size must be an integer from 1 to ${MAX_MEMORY_BYTES} bytes, got ${sizeBytes}`,
    )
  }
}

/**
 * The pages of a database and the arena that carves ordinary pages. The arena only grows;
 * space is reused by the free lists of its callers (record slots, the heap).
 */
export class MemoryDevice {
  readonly budget: Budget
  /** Pages by index; a released large page leaves `undefined` until its index is reused. */
  readonly pages: (Page | undefined)[] = []
  /** The indexes of the ordinary pages the arena carves, in carving order. */
  readonly #arenaPages: number[] = []
  #freePageIndexes: number[] = []
  /** `ordinal * PAGE_BYTES + offset`: where the next arena block starts. */
  #bumpPosition = 0
  /** The bytes of arena blocks and large pages charged to the budget. */
  #deviceBytes = 0

  constructor(sizeBytes: number) {
    this.budget = new Budget(sizeBytes)
  }

  /** The arena state, to be handed back to `restoreBump` on rollback. */
  get bumpPosition(): number {
    return this.#bumpPosition
  }

  /** The page holding `address`. */
  page(address: number): Page {
    const page = this.pages[address >>> PAGE_SHIFT]
    if (!(page !== undefined)) throw new AssertionError(`no page at address ${address}`)
    return page
  }

  /**
   * Carves `bytes` (a multiple of 8, at most LARGE_BLOCK_BYTES) from the arena and charges
   * them. Throws TDB_OUT_OF_MEMORY with nothing changed when they do not fit.
   */
  allocArena(bytes: number): number {
    if (!(bytes > 0 && bytes % 8 === 0 && bytes <= PAGE_BYTES)) {
      throw new AssertionError(`bad arena block ${bytes}`)
    }
    let ordinal = Math.floor(this.#bumpPosition / PAGE_BYTES)
    let offset = this.#bumpPosition - ordinal * PAGE_BYTES
    if (offset + bytes > PAGE_BYTES) {
      ordinal += 1
      offset = 0
    }
    this.#charge(bytes)
    if (ordinal === this.#arenaPages.length) {
      try {
        this.#arenaPages.push(this.#newPage(PAGE_BYTES))
      } catch (error) {
        this.#release(bytes)
        throw error
      }
    }
    this.#bumpPosition = ordinal * PAGE_BYTES + offset + bytes
    const pageIndex = this.#arenaPages[ordinal]
    assert(pageIndex !== undefined, 'arena page missing')
    return pageIndex * PAGE_BYTES + offset
  }

  /**
   * Undoes arena allocations back to an earlier bump position, releasing `bytes` (the sum of
   * the blocks carved since). Pages stay for the next carving.
   */
  restoreBump(position: number, bytes: number): void {
    assert(position <= this.#bumpPosition, 'bump position can only move back')
    this.#bumpPosition = position
    this.#release(bytes)
  }

  /** A page of its own for a large block; charged. Returns the block's address (offset 0). */
  allocLarge(bytes: number): number {
    assert(bytes > 0, 'empty large block')
    const pageBytes = Math.ceil(bytes / 8) * 8
    this.#charge(pageBytes)
    try {
      return this.#newPage(pageBytes) * PAGE_BYTES
    } catch (error) {
      this.#release(pageBytes)
      throw error
    }
  }

  /** Drops a large page and releases its bytes. */
  freeLarge(address: number): void {
    const index = address >>> PAGE_SHIFT
    const page = this.pages[index]
    if (!(page !== undefined && address % PAGE_BYTES === 0)) {
      throw new AssertionError(`no large page at ${address}`)
    }
    assert(!this.#arenaPages.includes(index), 'an arena page is not large')
    this.pages[index] = undefined
    this.#freePageIndexes.push(index)
    this.#release(page.buffer.byteLength)
  }

  /** Forgets every page and block (a full reload); the size stays. */
  reset(): void {
    this.pages.length = 0
    this.#arenaPages.length = 0
    this.#freePageIndexes = []
    this.#release(this.#deviceBytes)
    this.#bumpPosition = 0
  }

  #charge(bytes: number): void {
    this.budget.charge(bytes)
    this.#deviceBytes += bytes
  }

  #release(bytes: number): void {
    assert(bytes <= this.#deviceBytes, 'device released more than it charged')
    this.budget.release(bytes)
    this.#deviceBytes -= bytes
  }

  #newPage(byteLength: number): number {
    const index = this.#freePageIndexes.pop() ?? this.pages.length
    if (index >= MAX_PAGES) {
      throw new StoreError('TDB_OUT_OF_MEMORY', `out of memory: more than ${MAX_PAGES} pages`)
    }
    this.pages[index] = new Page(byteLength)
    return index
  }
}

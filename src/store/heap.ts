/**
 * The variable-size heap: strings, varbinary, vectors and other variable parts of objects live
 * here, referenced from their record slot by address and length. Blocks come in size classes
 * (multiples of 8 up to 64 bytes, then steps of about 1/8) with one free list each, so freed
 * space is reused by the next block of the same class and memory stays flat under churn.
 * Blocks above LARGE_BLOCK_BYTES get a page of their own, dropped when freed.
 *
 * A block records nothing about itself: its length lives in the referencing slot, and the
 * size class follows from the length.
 */
import { assert } from '../util/assert.js'
import { LARGE_BLOCK_BYTES, type MemoryDevice } from './memory-device.js'

const SMALL_CLASS_LIMIT = 64

function buildSizeClasses(): number[] {
  const sizes: number[] = []
  for (let size = 8; size <= SMALL_CLASS_LIMIT; size += 8) sizes.push(size)
  let size = SMALL_CLASS_LIMIT
  while (size < LARGE_BLOCK_BYTES) {
    size = Math.min(LARGE_BLOCK_BYTES, Math.ceil((size * 1.125) / 8) * 8)
    sizes.push(size)
  }
  return sizes
}

/** Block sizes, ascending; the last is LARGE_BLOCK_BYTES. */
export const SIZE_CLASSES: readonly number[] = buildSizeClasses()
assert(
  SIZE_CLASSES[SIZE_CLASSES.length - 1] === LARGE_BLOCK_BYTES,
  'size classes must end at the large limit',
)

/** The size class index of a block of `length` bytes (length <= LARGE_BLOCK_BYTES). */
export function sizeClassOf(length: number): number {
  if (length <= SMALL_CLASS_LIMIT) return length <= 8 ? 0 : ((length + 7) >>> 3) - 1
  let low = SMALL_CLASS_LIMIT / 8
  let high = SIZE_CLASSES.length - 1
  while (low < high) {
    const middle = (low + high) >>> 1
    if ((SIZE_CLASSES[middle] as number) < length) low = middle + 1
    else high = middle
  }
  return low
}

/** The bytes a block of `length` bytes occupies in memory (its size class, or its own page). */
export function blockBytes(length: number): number {
  if (length === 0) return 0
  if (length > LARGE_BLOCK_BYTES) return Math.ceil(length / 8) * 8
  return SIZE_CLASSES[sizeClassOf(length)] as number
}

/** Where an allocation came from, so that a rollback can put it back exactly. */
export const FROM_FREE_LIST = -1

export class Heap {
  readonly #device: MemoryDevice
  readonly #freeLists: number[][] = SIZE_CLASSES.map(() => [])

  constructor(device: MemoryDevice) {
    this.#device = device
  }

  /**
   * Allocates a block for `length` (> 0) bytes and returns its address. The caller reads
   * `willReuse` and the device's bump position first, to undo it with `unalloc`.
   */
  alloc(length: number): number {
    assert(length > 0, 'empty heap block')
    if (length > LARGE_BLOCK_BYTES) return this.#device.allocLarge(length)
    const sizeClass = sizeClassOf(length)
    const free = this.#freeLists[sizeClass] as number[]
    if (free.length > 0) return free.pop() as number
    return this.#device.allocArena(SIZE_CLASSES[sizeClass] as number)
  }

  /** True when the next `alloc(length)` comes from a free list (for the undo record). */
  willReuse(length: number): boolean {
    if (length > LARGE_BLOCK_BYTES) return false
    return (this.#freeLists[sizeClassOf(length)] as number[]).length > 0
  }

  /** Gives a block back for reuse (its bytes stay charged) or drops a large page. */
  free(address: number, length: number): void {
    assert(length > 0, 'freeing an empty block')
    if (length > LARGE_BLOCK_BYTES) {
      this.#device.freeLarge(address)
      return
    }
    ;(this.#freeLists[sizeClassOf(length)] as number[]).push(address)
  }

  /**
   * Undoes `alloc(length)` that returned `address`: back onto its free list, back into the
   * arena (`bumpBefore` is the bump position before the allocation) or its page dropped.
   */
  unalloc(address: number, length: number, bumpBefore: number): void {
    if (length > LARGE_BLOCK_BYTES) {
      this.#device.freeLarge(address)
    } else if (bumpBefore === FROM_FREE_LIST) {
      ;(this.#freeLists[sizeClassOf(length)] as number[]).push(address)
    } else {
      this.#device.restoreBump(bumpBefore, SIZE_CLASSES[sizeClassOf(length)] as number)
    }
  }

  /** Forgets every block (the device is reset alongside). */
  reset(): void {
    for (const list of this.#freeLists) list.length = 0
  }
}

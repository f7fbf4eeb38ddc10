/**
 * The record slots of one class: fixed-size slots in chunks carved from the arena, addressed
 * by rid (the slot number). A chunk holds a power of two of slots, so a rid splits into a
 * chunk number and a slot within it with a shift and a mask. Freed rids go to a free list and
 * are reused first. A slot's first 8 bytes hold the oid of its object, 0 when free.
 */
import { TandemError } from '../errors.js'
import { assert } from '../util/assert.js'
import { PAGE_BYTES, type MemoryDevice, type Page } from './memory-device.js'

/** Chunks aim at this size: small classes do not reserve much, big ones allocate rarely. */
const CHUNK_TARGET_BYTES = 16 * 1024

export class RecordSlots {
  readonly classId: number
  readonly slotBytes: number
  /** log2 of the slots per chunk. */
  readonly chunkShift: number
  readonly slotMask: number
  readonly chunkBytes: number
  /** Per chunk: its page and the offset of its first slot in that page. */
  readonly chunkPages: Page[] = []
  readonly chunkOffsets: number[] = []
  /** Per chunk: the arena bump position before it was carved (to undo the carving). */
  readonly chunkBumpBefore: number[] = []
  /** Rids below this have been handed out at least once. */
  highWater = 0
  readonly freeRids: number[] = []
  liveCount = 0

  constructor(classId: number, slotBytes: number) {
    assert(slotBytes % 8 === 0 && slotBytes >= 8, 'slot size must be a positive multiple of 8')
    if (slotBytes > PAGE_BYTES) {
      throw new TandemError(
        'TDB_INVALID_ARGUMENT',
        `dictionary: a record of ${slotBytes} bytes does not fit a ${PAGE_BYTES}-byte page`,
      )
    }
    this.classId = classId
    this.slotBytes = slotBytes
    let shift = 0
    while (slotBytes << (shift + 1) <= CHUNK_TARGET_BYTES) shift++
    this.chunkShift = shift
    this.slotMask = (1 << shift) - 1
    this.chunkBytes = slotBytes << shift
  }

  page(rid: number): Page {
    return this.chunkPages[rid >>> this.chunkShift] as Page
  }

  offset(rid: number): number {
    const chunkOffset = this.chunkOffsets[rid >>> this.chunkShift] as number
    return chunkOffset + (rid & this.slotMask) * this.slotBytes
  }

  /** The oid in slot `rid`, 0 when the slot is free or was never handed out. */
  oidAt(rid: number): number {
    if (rid < 0 || rid >= this.highWater) return 0
    return this.page(rid).f64[this.offset(rid) >>> 3] as number
  }

  /** True when the next new rid needs a new chunk. */
  needsChunk(): boolean {
    const capacity = this.chunkPages.length << this.chunkShift
    return this.freeRids.length === 0 && this.highWater === capacity
  }

  /** Adds a chunk carved from the arena (charged; may throw TDB_OUT_OF_MEMORY unchanged). */
  addChunk(device: MemoryDevice): void {
    const bumpBefore = device.bumpPosition
    const address = device.allocArena(this.chunkBytes)
    const page = device.page(address)
    const offset = address % PAGE_BYTES
    page.u8.fill(0, offset, offset + this.chunkBytes)
    this.chunkPages.push(page)
    this.chunkOffsets.push(offset)
    this.chunkBumpBefore.push(bumpBefore)
  }

  /** Undoes the last `addChunk`. */
  removeLastChunk(device: MemoryDevice): void {
    const bumpBefore = this.chunkBumpBefore.pop()
    assert(bumpBefore !== undefined, 'no chunk to remove')
    this.chunkPages.pop()
    this.chunkOffsets.pop()
    assert(this.highWater <= this.chunkPages.length << this.chunkShift, 'removing a used chunk')
    device.restoreBump(bumpBefore, this.chunkBytes)
  }

  /** Forgets every slot (the device is reset alongside). */
  reset(): void {
    this.chunkPages.length = 0
    this.chunkOffsets.length = 0
    this.chunkBumpBefore.length = 0
    this.freeRids.length = 0
    this.highWater = 0
    this.liveCount = 0
  }
}

/**
 * `FrameWriter` turns frames into length-prefixed bytes for a stream and hands them to the
 * socket once per tick: small frames are copied, with their headers, into a shared slab, so
 * a burst of small frames becomes one contiguous write; large frames go out as they are,
 * next to their header, in the same corked (writev) batch.
 */
import { assert } from '../util/assert.js'
import { FRAME_HEADER_BYTES, WRITE_COPY_THRESHOLD_BYTES, WRITE_SLAB_BYTES } from './limits.js'
import { writeFrameHeader } from './framing.js'

/** Receives the chunks of one batch, in order; must write them all (e.g. cork/write/uncork). */
export type WriteChunks = (chunks: Uint8Array[]) => void

/** Batches frames for one byte stream. */
export class FrameWriter {
  readonly #writeChunks: WriteChunks
  #slab: Uint8Array = Buffer.allocUnsafe(WRITE_SLAB_BYTES)
  /** Start of the slab region not yet cut into a chunk; bytes before it belong to the socket. */
  #slabStart = 0
  #slabEnd = 0
  #chunks: Uint8Array[] = []
  #queuedBytes = 0
  #scheduled = false
  #discarded = false

  constructor(writeChunks: WriteChunks) {
    this.#writeChunks = writeChunks
  }

  /** Bytes queued here and not yet handed to the socket. */
  get queuedBytes(): number {
    return this.#queuedBytes
  }

  /** Queues one frame; the batch is written on the next tick (or by `flush`). */
  write(frame: Uint8Array): void {
    assert(!this.#discarded, 'no write after discard')
    const copy = frame.byteLength <= WRITE_COPY_THRESHOLD_BYTES
    const need = copy ? FRAME_HEADER_BYTES + frame.byteLength : FRAME_HEADER_BYTES
    if (this.#slab.byteLength - this.#slabEnd < need) this.#newSlab()
    writeFrameHeader(this.#slab, this.#slabEnd, frame.byteLength)
    this.#slabEnd += FRAME_HEADER_BYTES
    if (copy) {
      this.#slab.set(frame, this.#slabEnd)
      this.#slabEnd += frame.byteLength
    } else {
      this.#cutSlab()
      this.#chunks.push(frame)
    }
    this.#queuedBytes += FRAME_HEADER_BYTES + frame.byteLength
    if (!this.#scheduled) {
      this.#scheduled = true
      process.nextTick(() => this.flush())
    }
  }

  /** Hands everything queued to the socket now. */
  flush(): void {
    this.#scheduled = false
    if (this.#discarded) return
    this.#cutSlab()
    if (this.#chunks.length === 0) return
    const chunks = this.#chunks
    this.#chunks = []
    this.#queuedBytes = 0
    this.#writeChunks(chunks)
  }

  /** Drops everything queued (the stream is gone); later writes are refused. */
  discard(): void {
    this.#discarded = true
    this.#chunks = []
    this.#queuedBytes = 0
  }

  #cutSlab(): void {
    if (this.#slabEnd === this.#slabStart) return
    this.#chunks.push(this.#slab.subarray(this.#slabStart, this.#slabEnd))
    this.#slabStart = this.#slabEnd
  }

  #newSlab(): void {
    this.#cutSlab()
    // The old slab's bytes now belong to queued chunks; a fresh slab never overwrites them.
    this.#slab = Buffer.allocUnsafe(WRITE_SLAB_BYTES)
    this.#slabStart = 0
    this.#slabEnd = 0
  }
}

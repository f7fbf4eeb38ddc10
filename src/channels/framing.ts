/**
 * Length-prefixed framing for byte streams (tcp, pipe): every frame is a big-endian u32
 * payload length followed by the payload. `FrameDecoder` cuts a stream into frames without
 * copying a frame that lies whole in one received chunk; a frame split across chunks is
 * copied once into a buffer of its exact size.
 */
import { ProtocolError } from '../errors.js'
import { assert } from '../util/assert.js'
import { FRAME_HEADER_BYTES } from './limits.js'

/** Writes the u32 big-endian length prefix of a frame at `offset`. */
export function writeFrameHeader(target: Uint8Array, offset: number, payloadBytes: number): void {
  assert(payloadBytes >= 0 && payloadBytes < 2 ** 32, 'frame length fits a u32')
  target[offset] = payloadBytes >>> 24
  target[offset + 1] = (payloadBytes >>> 16) & 0xff
  target[offset + 2] = (payloadBytes >>> 8) & 0xff
  target[offset + 3] = payloadBytes & 0xff
}

/** Reads a u32 big-endian length prefix at `offset`. */
export function readFrameHeader(source: Uint8Array, offset: number): number {
  const value =
    ((source[offset] as number) << 24) |
    ((source[offset + 1] as number) << 16) |
    ((source[offset + 2] as number) << 8) |
    (source[offset + 3] as number)
  return value >>> 0
}

/**
 * A streaming frame decoder. Any byte sequence is safe to push: a declared length over the
 * cap poisons the stream with `TDB_FRAME_TOO_LARGE` (the connection must close), and any
 * other bytes are just frames for the layer above to judge.
 */
export class FrameDecoder {
  readonly #maxFrameBytes: number
  readonly #onFrame: (frame: Uint8Array) => void
  readonly #header = new Uint8Array(FRAME_HEADER_BYTES)
  #headerFilled = 0
  #frame: Uint8Array | null = null
  #frameFilled = 0
  #stopped = false
  /** Where the length prefix read by the last `#readLength` ended in its chunk. */
  #headerEnd = 0

  constructor(maxFrameBytes: number, onFrame: (frame: Uint8Array) => void) {
    assert(Number.isSafeInteger(maxFrameBytes) && maxFrameBytes > 0, 'frame cap is positive')
    this.#maxFrameBytes = maxFrameBytes
    this.#onFrame = onFrame
  }

  /** Bytes of an unfinished frame held (its header included): non-zero means mid-frame. */
  get partialBytes(): number {
    return this.#frame === null ? this.#headerFilled : FRAME_HEADER_BYTES + this.#frameFilled
  }

  /** Stops decoding: later pushes are ignored and no frame handler runs again. */
  stop(): void {
    this.#stopped = true
    this.#frame = null
  }

  /**
   * Feeds received bytes, calling the frame handler for each complete frame, in order.
   * Returns the error that poisoned the stream (the decoder is then stopped), else null.
   */
  push(chunk: Uint8Array): ProtocolError | null {
    const end = chunk.byteLength
    let position = 0
    while (position < end && !this.#stopped) {
      if (this.#frame === null) {
        const length = this.#readLength(chunk, position)
        // A negative length means the chunk ended inside the header, which holds its bytes.
        if (length < 0) break
        position = this.#headerEnd
        if (length > this.#maxFrameBytes) return this.#tooLarge(length)
        if (end - position >= length) {
          this.#onFrame(chunk.subarray(position, position + length))
          position += length
          continue
        }
        this.#frame = Buffer.allocUnsafe(length)
        this.#frameFilled = 0
      }
      position = this.#fill(chunk, position)
    }
    return null
  }

  /** Reads a length prefix starting at `position`; -1 when the chunk ends inside it. */
  #readLength(chunk: Uint8Array, position: number): number {
    if (this.#headerFilled === 0 && chunk.byteLength - position >= FRAME_HEADER_BYTES) {
      this.#headerEnd = position + FRAME_HEADER_BYTES
      return readFrameHeader(chunk, position)
    }
    const take = Math.min(FRAME_HEADER_BYTES - this.#headerFilled, chunk.byteLength - position)
    this.#header.set(chunk.subarray(position, position + take), this.#headerFilled)
    this.#headerFilled += take
    if (this.#headerFilled < FRAME_HEADER_BYTES) return -1
    this.#headerFilled = 0
    this.#headerEnd = position + take
    return readFrameHeader(this.#header, 0)
  }

  /** Copies bytes into the frame in progress; emits it when full. Returns the new position. */
  #fill(chunk: Uint8Array, position: number): number {
    const frame = this.#frame
    assert(frame !== null, 'a frame is in progress')
    const take = Math.min(frame.byteLength - this.#frameFilled, chunk.byteLength - position)
    frame.set(chunk.subarray(position, position + take), this.#frameFilled)
    this.#frameFilled += take
    if (this.#frameFilled === frame.byteLength) {
      this.#frame = null
      this.#onFrame(frame)
    }
    return position + take
  }

  #tooLarge(length: number): ProtocolError {
    this.stop()
    return new ProtocolError(
      'TDB_FRAME_TOO_LARGE',
      `peer declared a frame of ${length} bytes, over the cap of ${this.#maxFrameBytes}`,
      { frameBytes: length, maxFrameBytes: this.#maxFrameBytes },
    )
  }
}

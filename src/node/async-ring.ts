/**
 * The async replication buffer: a single-producer / single-consumer ring of variable-length
 * records over a SharedArrayBuffer (DESIGN "Replication", async mode). The producer is the
 * main thread (the master's commit hook); the consumer is the sender worker thread. Neither
 * side ever blocks the other: the producer fails fast when a record does not fit (the caller
 * keeps it in its overflow queue), and the consumer sleeps with `Atomics.waitAsync` so that
 * the worker's event loop keeps serving its sockets while the ring is empty.
 *
 * Layout: a control block of Int32 words, then `capacityBytes` of data. Each record is a u32
 * little-endian length header followed by its bytes; a record may wrap around the end of the
 * data area. `head` (written only by the producer) and `tail` (written only by the consumer)
 * are positions modulo `2 * capacityBytes`, so that a full ring (used = capacity) and an empty
 * one (used = 0) differ without wasting a byte. The producer publishes a record by storing
 * `head` after copying its bytes; `Atomics` operations are sequentially consistent, so the
 * consumer that loads the new `head` sees the bytes (and the other way round for `tail`).
 *
 * ### Examples
 * ```ts
 * const ring = AsyncRing.create(1 << 20)          // main thread
 * worker.postMessage({ ring: ring.buffer })
 * ring.tryWrite(bytes)                            // false when full
 * const consumer = AsyncRing.attach(buffer)       // in the worker
 * for (;;) { const r = consumer.read(); if (r) send(r); else await consumer.waitReadable() }
 * ```
 */
import { ReplicationError } from '../errors.js'
import { assert } from '../util/assert.js'

/** Bytes of the length header in front of every record. */
export const RING_RECORD_HEADER_BYTES = 4
/** The smallest ring: a header and a few bytes of payload. */
export const RING_CAPACITY_MIN_BYTES = 64
/** The largest ring: 1 GiB (positions run modulo twice the capacity and must fit an int32). */
export const RING_CAPACITY_MAX_BYTES = 1 << 30

// Control words (Int32 indexes). Head and tail sit on separate 64-byte lines so that the
// producer's and the consumer's stores do not share a cache line.
const HEAD = 0
const CONSUMER_WAITING = 1
const CLOSED = 2
const TAIL = 16
const PRODUCER_WAITING = 17
const CONTROL_WORDS = 32
const CONTROL_BYTES = CONTROL_WORDS * 4

// `Atomics.waitAsync` (Node >= 16) is missing from the es2023 library typings.
interface AtomicsWaitAsync {
  waitAsync(
    array: Int32Array,
    index: number,
    value: number,
    timeoutMs?: number,
  ):
    | { async: false; value: 'not-equal' | 'timed-out' }
    | { async: true; value: Promise<'ok' | 'timed-out'> }
}
const atomicsWaitAsync = Atomics as unknown as AtomicsWaitAsync
/** The longest delay a Node timer takes (2^31 - 1 ms). */
const KEEP_ALIVE_MAX_MS = 2 ** 31 - 1

function timeoutArgument(leftMs: number): number | undefined {
  return leftMs === Infinity ? undefined : leftMs
}

assert(RING_CAPACITY_MAX_BYTES * 2 <= 2 ** 31, 'ring positions fit a non-negative int32')
assert(RING_CAPACITY_MIN_BYTES > RING_RECORD_HEADER_BYTES, 'a minimal ring holds a record')

/** What a wait ended with. */
export type RingWaitResult = 'ready' | 'timed-out' | 'closed'

export class AsyncRing {
  /** The shared memory: control block and data; post it to the other thread to `attach`. */
  readonly buffer: SharedArrayBuffer
  /** Bytes of the data area; a record takes its length plus the 4-byte header. */
  readonly capacityBytes: number
  readonly #control: Int32Array
  readonly #data: Uint8Array
  readonly #view: DataView
  readonly #wrap: number

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer
    this.capacityBytes = buffer.byteLength - CONTROL_BYTES
    assert(
      this.capacityBytes >= RING_CAPACITY_MIN_BYTES &&
        this.capacityBytes <= RING_CAPACITY_MAX_BYTES,
      'ring capacity out of range',
    )
    this.#control = new Int32Array(buffer, 0, CONTROL_WORDS)
    this.#data = new Uint8Array(buffer, CONTROL_BYTES, this.capacityBytes)
    this.#view = new DataView(buffer, CONTROL_BYTES, this.capacityBytes)
    this.#wrap = this.capacityBytes * 2
  }

  /**
   * A new, empty ring with `capacityBytes` of data. Throws `ReplicationError`
   * `TDB_INVALID_PARAMETER` when the size is not an integer in [64, 1 GiB].
   */
  static create(capacityBytes: number): AsyncRing {
    if (
      !Number.isInteger(capacityBytes) ||
      capacityBytes < RING_CAPACITY_MIN_BYTES ||
      capacityBytes > RING_CAPACITY_MAX_BYTES
    ) {
      throw new ReplicationError(
        'TDB_INVALID_PARAMETER',
        `asyncBufferBytes must be an integer in [${RING_CAPACITY_MIN_BYTES}, ` +
          `${RING_CAPACITY_MAX_BYTES}], got ${String(capacityBytes)}`,
        { option: 'asyncBufferBytes', value: capacityBytes },
      )
    }
    return new AsyncRing(new SharedArrayBuffer(CONTROL_BYTES + capacityBytes))
  }

  /** The same ring seen from another thread (the buffer came by `postMessage`). */
  static attach(buffer: SharedArrayBuffer): AsyncRing {
    return new AsyncRing(buffer)
  }

  /** The largest record the ring can ever hold. */
  get maxRecordBytes(): number {
    return this.capacityBytes - RING_RECORD_HEADER_BYTES
  }

  /** Bytes taken by records not yet read (headers included). */
  usedBytes(): number {
    const tail = Atomics.load(this.#control, TAIL)
    const used = this.#distance(tail, Atomics.load(this.#control, HEAD))
    assert(used >= 0 && used <= this.capacityBytes, 'ring used bytes out of range')
    return used
  }

  /** Bytes free for new records (headers included). */
  freeBytes(): number {
    return this.capacityBytes - this.usedBytes()
  }

  /** True once either side called `close()`. */
  get closed(): boolean {
    return Atomics.load(this.#control, CLOSED) === 1
  }

  /**
   * Producer: appends one record made of `parts` laid end to end, and wakes a sleeping
   * consumer. Returns false, writing nothing, when the record does not fit now. A record
   * larger than `maxRecordBytes` can never fit: that is a caller bug (asserted).
   */
  tryWrite(...parts: Uint8Array[]): boolean {
    return this.append(parts, 0)
  }

  /**
   * Producer: like `tryWrite`, but wakes a sleeping consumer only once the ring holds at least
   * `wakeAtBytes`. Below that, the caller must call `wakeConsumer()` soon (at the end of its
   * turn): a burst of records then costs the consumer one wake-up instead of one per record.
   */
  append(parts: readonly Uint8Array[], wakeAtBytes: number): boolean {
    let length = 0
    for (const part of parts) length += part.byteLength
    assert(length <= this.maxRecordBytes, 'ring record larger than the ring')
    if (this.closed) return false
    const head = Atomics.load(this.#control, HEAD)
    const tail = Atomics.load(this.#control, TAIL)
    const used = this.#distance(tail, head)
    if (used + RING_RECORD_HEADER_BYTES + length > this.capacityBytes) return false
    let offset = this.#offset(head)
    offset = this.#writeHeader(offset, length)
    for (const part of parts) offset = this.#copyIn(offset, part)
    Atomics.store(this.#control, HEAD, (head + RING_RECORD_HEADER_BYTES + length) % this.#wrap)
    if (used + RING_RECORD_HEADER_BYTES + length >= wakeAtBytes) this.wakeConsumer()
    return true
  }

  /** Producer: wakes the consumer if it sleeps (cheap when it does not). */
  wakeConsumer(): void {
    if (Atomics.load(this.#control, CONSUMER_WAITING) === 1) {
      Atomics.store(this.#control, CONSUMER_WAITING, 0)
      Atomics.notify(this.#control, HEAD)
    }
  }

  /** Consumer: the next record (a copy the caller owns), or undefined when the ring is empty. */
  read(): Uint8Array | undefined {
    const tail = Atomics.load(this.#control, TAIL)
    const head = Atomics.load(this.#control, HEAD)
    const used = this.#distance(tail, head)
    if (used === 0) return undefined
    assert(used >= RING_RECORD_HEADER_BYTES, 'ring holds a partial record header')
    const start = this.#offset(tail)
    const length = this.#readHeader(start)
    assert(RING_RECORD_HEADER_BYTES + length <= used, 'ring record runs past the head')
    const record = new Uint8Array(length)
    this.#copyOut((start + RING_RECORD_HEADER_BYTES) % this.capacityBytes, record)
    Atomics.store(this.#control, TAIL, (tail + RING_RECORD_HEADER_BYTES + length) % this.#wrap)
    if (Atomics.load(this.#control, PRODUCER_WAITING) === 1) {
      Atomics.store(this.#control, PRODUCER_WAITING, 0)
      Atomics.notify(this.#control, TAIL)
    }
    return record
  }

  /**
   * Consumer: resolves when the ring holds a record, when it is closed, or after `timeoutMs`.
   * Never blocks the thread (the worker keeps serving its sockets meanwhile).
   */
  waitReadable(timeoutMs = Infinity): Promise<RingWaitResult> {
    return this.#waitWhile(CONSUMER_WAITING, HEAD, () => this.usedBytes() === 0, timeoutMs)
  }

  /**
   * Producer: resolves when at least `bytes` of record space (header included) are free, when
   * the ring is closed, or after `timeoutMs`.
   */
  waitWritable(bytes: number, timeoutMs = Infinity): Promise<RingWaitResult> {
    assert(bytes <= this.capacityBytes, 'waiting for more room than the ring has')
    return this.#waitWhile(PRODUCER_WAITING, TAIL, () => this.freeBytes() < bytes, timeoutMs)
  }

  /** Marks the ring closed and wakes both sides. Records already written can still be read. */
  close(): void {
    Atomics.store(this.#control, CLOSED, 1)
    Atomics.notify(this.#control, HEAD)
    Atomics.notify(this.#control, TAIL)
  }

  async #waitWhile(
    flag: number,
    word: number,
    blocked: () => boolean,
    timeoutMs: number,
  ): Promise<RingWaitResult> {
    const deadline = timeoutMs === Infinity ? Infinity : performance.now() + timeoutMs
    for (;;) {
      if (this.closed) return 'closed'
      // Raise the flag before looking: either the other side sees it and notifies, or this
      // side sees the other's store (both are sequentially consistent), so no wake is lost.
      Atomics.store(this.#control, flag, 1)
      const seen = Atomics.load(this.#control, word)
      if (!blocked()) {
        Atomics.store(this.#control, flag, 0)
        return 'ready'
      }
      const left = deadline - performance.now()
      if (left <= 0) return 'timed-out'
      const wait = atomicsWaitAsync.waitAsync(this.#control, word, seen, timeoutArgument(left))
      let outcome: string = wait.value as string
      if (wait.async) {
        // A pending waitAsync does not keep the event loop alive; a timer does, so that a
        // thread whose only work is this wait does not exit under it.
        const keepAlive = setTimeout(() => undefined, Math.min(left, KEEP_ALIVE_MAX_MS))
        outcome = await wait.value
        clearTimeout(keepAlive)
      }
      if (outcome === 'timed-out' && performance.now() >= deadline) return 'timed-out'
    }
  }

  #distance(from: number, to: number): number {
    return (to - from + this.#wrap) % this.#wrap
  }

  #offset(position: number): number {
    return position % this.capacityBytes
  }

  #writeHeader(offset: number, length: number): number {
    if (offset + RING_RECORD_HEADER_BYTES <= this.capacityBytes) {
      this.#view.setUint32(offset, length, true)
      return (offset + RING_RECORD_HEADER_BYTES) % this.capacityBytes
    }
    const header = new Uint8Array(RING_RECORD_HEADER_BYTES)
    new DataView(header.buffer).setUint32(0, length, true)
    return this.#copyIn(offset, header)
  }

  #readHeader(offset: number): number {
    if (offset + RING_RECORD_HEADER_BYTES <= this.capacityBytes) {
      return this.#view.getUint32(offset, true)
    }
    const header = new Uint8Array(RING_RECORD_HEADER_BYTES)
    this.#copyOut(offset, header)
    return new DataView(header.buffer).getUint32(0, true)
  }

  /** Copies `bytes` in at `offset`, wrapping at the end; returns the offset after them. */
  #copyIn(offset: number, bytes: Uint8Array): number {
    const first = Math.min(bytes.byteLength, this.capacityBytes - offset)
    this.#data.set(first === bytes.byteLength ? bytes : bytes.subarray(0, first), offset)
    if (first < bytes.byteLength) this.#data.set(bytes.subarray(first), 0)
    return (offset + bytes.byteLength) % this.capacityBytes
  }

  #copyOut(offset: number, target: Uint8Array): void {
    const first = Math.min(target.byteLength, this.capacityBytes - offset)
    target.set(this.#data.subarray(offset, offset + first), 0)
    if (first < target.byteLength) {
      target.set(this.#data.subarray(0, target.byteLength - first), first)
    }
  }
}

/**
 * The async-mode master transport, main-thread side (DESIGN "Replication", async mode;
 * eXtremeDB: "commit serializes the transaction into the async buffer and returns; a sender
 * thread ships it; replicas never ack; the lag is bounded by the buffer size").
 *
 * Threads: the sender worker (async-sender-worker.ts) hosts the listeners and every replica
 * connection. Control frames pass by postMessage; each commit's change set is copied into the
 * SharedArrayBuffer ring (async-ring.ts), and the worker ships it to every streaming async
 * replica without the main thread's help. forceSync replicas are fed by the MasterCore through
 * control frames, like every replica before its initial sync ends.
 *
 * When the ring is full:
 * 1. the commit still succeeds locally, and its change set waits in a bounded overflow queue
 *    on the main thread, which drains into the ring, in order, as the worker frees space;
 * 2. once the overflow holds more than `overflowMaxBytes`, `checkWrite` refuses new writes
 *    with ReplicationError `TDB_BUFFER_FULL` until it has drained below that bound
 *    (backpressure on the writers instead of unbounded memory);
 * 3. a replica whose connection cannot keep up (more than `maxPendingBytes` queued and
 *    unsent) is cut off by the worker and detached (`TDB_BUFFER_FULL`); it re-syncs —
 *    stateful from the backlog, else with a full load — when it attaches again.
 * A change set larger than a quarter of the ring goes in as several `part` records, so that
 * any commit fits whatever the buffer size.
 */
import { Worker } from 'node:worker_threads'
import type { ChannelOptions } from '../channels/channel.js'
import { AssertionError, ReplicationError } from '../errors.js'
import type { ConnId } from '../ha/inputs.js'
import type { AsyncStreamHandoff } from '../ha/ready.js'
import type { ChannelCounters } from '../ha/status.js'
import type { CommitRecord } from '../txn/commit-hook.js'
import { assert } from '../util/assert.js'
import { CHANGE_HEADER_BYTES, partHeader, writeChangeHeader } from './async-records.js'
import { PART_HEADER_BYTES, streamRecord } from './async-records.js'
import { AsyncRing, RING_RECORD_HEADER_BYTES } from './async-ring.js'
import type { ConnCounters, FromWorker, SenderWorkerData } from './async-sender-protocol.js'
import type { MasterTransport, MasterTransportEvents } from './ha-transport.js'

export interface AsyncSenderOptions {
  /** The ring's size in bytes (eXtremeDB async_databuf size). */
  readonly asyncBufferBytes: number
  /** Change-set bytes that may wait outside a full ring before writes get TDB_BUFFER_FULL. */
  readonly overflowMaxBytes: number
  /** Queued unsent bytes after which a replica connection counts as too slow. */
  readonly maxPendingBytes: number
  readonly channelOptions: Partial<ChannelOptions>
}

/** How often the worker reports byte counters for `status()`. */
const COUNTERS_INTERVAL_MS = 200
/**
 * The worker is woken at the end of the main thread's turn, so that a burst of small commits
 * costs one wake-up and one socket write; it is woken at once when the ring holds this
 * fraction of its size, or WAKE_AT_BYTES_MAX, so that large change sets stream as they come.
 */
const WAKE_AT_RING_FRACTION = 4
const WAKE_AT_BYTES_MAX = 64 * 1024
/** The longest the overflow waits for ring room before it tries again. */
const RING_RECHECK_MS = 50
/** How long `stop` waits for the worker to close its sockets before terminating it. */
const WORKER_STOP_TIMEOUT_MS = 5_000

export class AsyncSender implements MasterTransport {
  readonly #worker: Worker
  readonly #ring: AsyncRing
  readonly #options: AsyncSenderOptions
  readonly #events: MasterTransportEvents
  /** Connections handed to the async stream, and control messages posted per connection. */
  readonly #streaming = new Set<ConnId>()
  readonly #controlSent = new Map<ConnId, number>()
  readonly #counters = new Map<ConnId, ConnCounters>()
  readonly #overflow: Uint8Array[][] = []
  #overflowBytes = 0
  /** The change header of the commit being enqueued; copied only if it must wait. */
  readonly #header = new Uint8Array(CHANGE_HEADER_BYTES)
  #draining = false
  /** A wake-up of the worker is queued for the end of this turn. */
  #wakeQueued = false
  readonly #wakeAtBytes: number
  #addresses: readonly string[] = []
  #stopped: Promise<void> | null = null
  #onStopped: (() => void) | null = null

  private constructor(
    worker: Worker,
    ring: AsyncRing,
    options: AsyncSenderOptions,
    events: MasterTransportEvents,
  ) {
    this.#worker = worker
    this.#ring = ring
    this.#options = options
    this.#events = events
    const quarter = Math.floor(ring.capacityBytes / WAKE_AT_RING_FRACTION)
    this.#wakeAtBytes = Math.min(WAKE_AT_BYTES_MAX, quarter)
  }

  /**
   * Starts the sender worker and its listeners; throws what a listener failed with
   * (`TDB_CHANNEL_NOT_REGISTERED`, an address in use, ...). Only built-in channels can be used
   * in async mode: user channels are registered on the main thread only.
   */
  static async start(
    addresses: readonly string[],
    options: AsyncSenderOptions,
    events: MasterTransportEvents,
  ): Promise<AsyncSender> {
    const ring = AsyncRing.create(options.asyncBufferBytes)
    const workerData: SenderWorkerData = {
      ring: ring.buffer,
      listen: addresses,
      channelOptions: options.channelOptions,
      maxPendingBytes: options.maxPendingBytes,
      countersIntervalMs: COUNTERS_INTERVAL_MS,
    }
    const worker = new Worker(senderWorkerUrl(), { workerData })
    const sender = new AsyncSender(worker, ring, options, events)
    await sender.#listening()
    return sender
  }

  #listening(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#worker.on('message', (message: FromWorker) => {
        if (message.t === 'listening') {
          this.#addresses = message.addresses
          resolve()
        } else if (message.t === 'listenFailed') {
          const details = { address: message.address }
          reject(new ReplicationError(message.code, message.message, details))
          void this.#worker.terminate()
        } else {
          this.#onWorkerMessage(message)
        }
      })
      this.#worker.on('error', (error) => {
        reject(error)
        this.#crash(error.stack ?? error.message)
      })
    })
  }

  #onWorkerMessage(message: FromWorker): void {
    switch (message.t) {
      case 'connected':
        this.#controlSent.set(message.conn, 0)
        this.#events.connected(message.conn, message.channel, message.remote)
        return
      case 'frame':
        this.#events.frame(message.conn, message.frame)
        return
      case 'closed':
        this.#forget(message.conn)
        this.#events.disconnected(message.conn, message.code)
        return
      case 'counters':
        this.#counters.clear()
        for (const counters of message.counters) this.#counters.set(counters.conn, counters)
        return
      case 'stopped':
        this.#onStopped?.()
        return
      case 'crashed':
        this.#crash(message.message)
        return
      case 'listening':
      case 'listenFailed':
        assert(false, `sender worker posted ${message.t} twice`)
    }
  }

  /** A failure inside the worker is a bug: it is not caught, it crashes the process. */
  #crash(message: string): void {
    setImmediate(() => {
      throw new AssertionError(`async sender worker failed: ${message}`)
    })
  }

  #forget(conn: ConnId): void {
    this.#streaming.delete(conn)
    this.#controlSent.delete(conn)
    this.#counters.delete(conn)
    if (this.#streaming.size === 0) {
      // Nobody streams: what waits in the overflow has no reader left.
      this.#overflow.length = 0
      this.#overflowBytes = 0
    }
  }

  get addresses(): readonly string[] {
    return this.#addresses
  }

  send(conn: ConnId, frame: Uint8Array): void {
    const sent = this.#controlSent.get(conn)
    if (sent === undefined || this.#stopped !== null) return
    this.#controlSent.set(conn, sent + 1)
    // A copy of its own (a Buffer's slice is a view): only the copy's memory is transferred.
    const copy = new Uint8Array(frame)
    this.#worker.postMessage({ t: 'send', conn, frame: copy }, [copy.buffer as ArrayBuffer])
  }

  close(conn: ConnId): void {
    if (this.#stopped === null) this.#worker.postMessage({ t: 'close', conn })
  }

  streamFrom(handoff: AsyncStreamHandoff): void {
    const sent = this.#controlSent.get(handoff.conn)
    if (sent === undefined) return
    assert(!this.#streaming.has(handoff.conn), `connection ${handoff.conn} streams already`)
    this.#streaming.add(handoff.conn)
    this.#enqueue([streamRecord(handoff.conn, sent, handoff.fromSeq, handoff.skipClassIds)])
  }

  committed(record: CommitRecord): void {
    if (this.#streaming.size === 0) return
    const bytes = record.changeSet
    const pieceMax = Math.floor(this.#ring.capacityBytes / 4) - CHANGE_HEADER_BYTES
    assert(pieceMax > 0, 'async ring too small for a change-set piece')
    let offset = 0
    while (bytes.byteLength - offset > pieceMax) {
      this.#enqueue([partHeader(), bytes.subarray(offset, offset + pieceMax)])
      offset += pieceMax
    }
    const header = writeChangeHeader(this.#header, record.seq, record.hasLocal)
    this.#enqueue([header, bytes.subarray(offset)])
  }

  checkWrite(): void {
    if (this.#overflowBytes <= this.#options.overflowMaxBytes) return
    throw new ReplicationError(
      'TDB_BUFFER_FULL',
      `the async replication buffer is full and ${this.#overflowBytes} bytes wait to enter ` +
        `it (bound ${this.#options.overflowMaxBytes}); retry when the replicas caught up`,
      { overflowBytes: this.#overflowBytes, overflowMaxBytes: this.#options.overflowMaxBytes },
    )
  }

  /** Bytes of change sets waiting outside the ring (0 when the ring keeps up). */
  get overflowBytes(): number {
    return this.#overflowBytes
  }

  #enqueue(parts: Uint8Array[]): void {
    if (this.#stopped !== null) return
    if (this.#overflow.length === 0 && this.#ring.append(parts, this.#wakeAtBytes)) {
      this.#queueWake()
      return
    }
    // The reused header must not change under a record that waits.
    this.#overflow.push(parts.map((part) => (part === this.#header ? part.slice() : part)))
    this.#overflowBytes += recordBytes(parts)
    void this.#drainOverflow()
  }

  #queueWake(): void {
    if (this.#wakeQueued) return
    this.#wakeQueued = true
    queueMicrotask(() => {
      this.#wakeQueued = false
      this.#ring.wakeConsumer()
    })
  }

  async #drainOverflow(): Promise<void> {
    if (this.#draining) return
    this.#draining = true
    try {
      for (let head = this.#overflow[0]; head !== undefined; head = this.#overflow[0]) {
        if (this.#ring.tryWrite(...head)) {
          this.#overflow.shift()
          this.#overflowBytes -= recordBytes(head)
          continue
        }
        const room = recordBytes(head) + RING_RECORD_HEADER_BYTES
        // The worker notifies when it frees room; the recheck only bounds a lost wake-up.
        if ((await this.#ring.waitWritable(room, RING_RECHECK_MS)) === 'closed') break
      }
    } finally {
      this.#draining = false
    }
  }

  counters(conn: ConnId): ChannelCounters | null {
    return this.#counters.get(conn) ?? null
  }

  stop(): Promise<void> {
    this.#stopped ??= this.#stop()
    return this.#stopped
  }

  async #stop(): Promise<void> {
    const stopped = new Promise<void>((resolve) => {
      this.#onStopped = resolve
      this.#worker.once('exit', () => resolve())
    })
    this.#worker.postMessage({ t: 'stop' })
    const timer = setTimeout(() => this.#onStopped?.(), WORKER_STOP_TIMEOUT_MS)
    await stopped
    clearTimeout(timer)
    this.#ring.close()
    this.#overflow.length = 0
    this.#overflowBytes = 0
    await this.#worker.terminate()
  }
}

/**
 * The worker's module. Run from the TypeScript sources (under vitest), this file is a `.ts`
 * that a worker thread cannot load, so the worker runs the built module of the same code
 * (`npm run build` first); installed, it is the `.js` next to this one.
 */
function senderWorkerUrl(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./async-sender-worker.js', import.meta.url)
  return new URL('../../dist/src/node/async-sender-worker.js', import.meta.url)
}

function recordBytes(parts: readonly Uint8Array[]): number {
  let bytes = 0
  for (const part of parts) bytes += part.byteLength
  assert(bytes >= PART_HEADER_BYTES, 'an async record has a header')
  return bytes
}

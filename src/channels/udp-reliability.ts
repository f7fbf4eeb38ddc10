/**
 * Reliability for the udp channel as a pure state machine: datagrams, frames and clock
 * readings go in; datagrams to send and events for the application come out. No sockets, no
 * timers: the caller passes `nowMs` and calls `tick` at least every few milliseconds, which
 * is what lets the tests run it deterministically under seeded loss, duplication and
 * reordering.
 *
 * One session is one connection:
 * - handshake: the connecting side repeats SYN until a SYN-ACK (or any data) answers;
 * - frames are cut into fragments of at most `fragmentBytes`, each with its own sequence
 *   number, and small frames queued together share one datagram (a bundle); the receiver
 *   delivers fragments in order, reassembles frames, suppresses duplicates and holds at
 *   most `windowPackets` out-of-order fragments;
 * - acks are cumulative plus selective ranges; every data datagram also carries the ack;
 * - retransmission on a timeout estimated from the round-trip time (Jacobson/Karels, Karn),
 *   doubled on each timeout, and fast retransmission of a hole that selective acks have
 *   overtaken; a fragment sent `maxRetransmits` + 1 times unanswered declares the peer dead;
 * - a bounded send window (the smaller of the peer's window and a congestion window that
 *   grows on acks and halves on loss); frames wait in a queue, counted in `pendingBytes`;
 * - close sends a FIN after all queued frames; a FIN received delivers as a clean close
 *   ('closed' with null), after which the owner calls `close` to send its own FIN.
 *
 * ```
 *   connect: syn-sent --SYN-ACK or data--> open --close()--> closing --FIN acked,
 *   accept:  open                                             peer FIN (or linger)--> finished
 *   any state --reset, dead peer, malformed data--> finished (closed with an error)
 * ```
 */
import { ChannelError, ProtocolError, type TandemError } from '../errors.js'
import { assert } from '../util/assert.js'
import {
  BUNDLE_ENTRY_HEADER_BYTES,
  FIRST_DATA_HEADER_BYTES,
  FLAG_BUNDLE,
  FLAG_FIN,
  FLAG_FIRST,
  FLAG_LAST,
  MAX_DATAGRAM_BYTES,
  MAX_SACK_RANGES,
  PACKET_ACK,
  PACKET_DATA,
  PACKET_RESET,
  PACKET_SYN,
  PACKET_SYN_ACK,
  decodePacket,
  encodeAck,
  encodeBundle,
  encodeData,
  encodeHandshake,
  encodeReset,
  splitBundle,
  stampAck,
  unwrapSeq,
  type DataPacket,
} from './udp-datagram.js'

/** Tuning of the reliability layer; every field is checked by `checkUdpReliabilityConfig`. */
export interface UdpReliabilityConfig {
  /** Largest payload of one data datagram (default 8 KiB; about 1400 across real networks). */
  readonly fragmentBytes: number
  /** Fragments in flight, and out-of-order fragments held by the receiver (default 128). */
  readonly windowPackets: number
  /** Retransmission timeout before any round trip was measured (default 200 ms). */
  readonly initialRtoMs: number
  /** Bounds of the retransmission timeout (default 100 ms .. 1 s). */
  readonly minRtoMs: number
  readonly maxRtoMs: number
  /** Retransmissions of one datagram before the peer is declared dead (default 10). */
  readonly maxRetransmits: number
  /** How long a closed session waits for the peer's FIN after its own was acked. */
  readonly closeLingerMs: number
  /** The frame cap: a peer announcing a larger frame is cut off. */
  readonly maxFrameBytes: number
}

/** Defaults, except `maxFrameBytes`, which comes from the channel options. */
export const DEFAULT_UDP_RELIABILITY: Omit<UdpReliabilityConfig, 'maxFrameBytes'> = Object.freeze({
  fragmentBytes: 8 * 1024,
  windowPackets: 128,
  initialRtoMs: 200,
  // Below about 100 ms a busy event loop (the peer's or ours) delays acks past the timeout,
  // and spurious retransmissions collapse the window; loss is mostly repaired by fast
  // retransmission anyway.
  minRtoMs: 100,
  maxRtoMs: 1_000,
  maxRetransmits: 10,
  closeLingerMs: 1_000,
})

/** Range checks; throws `ChannelError` `TDB_INVALID_PARAMETER` naming the field. */
export function checkUdpReliabilityConfig(config: UdpReliabilityConfig): void {
  const limits: Record<keyof UdpReliabilityConfig, [number, number]> = {
    fragmentBytes: [64, MAX_DATAGRAM_BYTES - FIRST_DATA_HEADER_BYTES],
    windowPackets: [1, 4096],
    initialRtoMs: [1, 60_000],
    minRtoMs: [1, 60_000],
    maxRtoMs: [1, 600_000],
    maxRetransmits: [1, 100],
    closeLingerMs: [0, 600_000],
    maxFrameBytes: [1, 2 ** 32 - 1],
  }
  for (const [name, [min, max]] of Object.entries(limits)) {
    const value = config[name as keyof UdpReliabilityConfig]
    if (Number.isInteger(value) && value >= min && value <= max) continue
    throw new ChannelError(
      'TDB_INVALID_PARAMETER',
      `udp option ${name} must be an integer in [${min}, ${max}], got ${String(value)}`,
      { option: name, value, min, max },
    )
  }
  if (config.minRtoMs > config.maxRtoMs) {
    throw new ChannelError('TDB_INVALID_PARAMETER', 'udp option minRtoMs exceeds maxRtoMs', {
      minRtoMs: config.minRtoMs,
      maxRtoMs: config.maxRtoMs,
    })
  }
}

/** What a session tells its driver. */
export type SessionEvent =
  | { readonly kind: 'open' }
  | { readonly kind: 'frame'; readonly frame: Uint8Array }
  /** The connection is over for the application: null for a clean close by the peer. */
  | { readonly kind: 'closed'; readonly error: TandemError | null }
  /** Nothing left to send or wait for: the driver may forget the session. */
  | { readonly kind: 'finished' }

export type SessionState = 'syn-sent' | 'open' | 'closing' | 'finished'

interface Segment {
  readonly seq: number
  readonly datagram: Uint8Array
  readonly payloadBytes: number
  readonly fin: boolean
  sentAtMs: number
  deadlineMs: number
  transmissions: number
  sacked: boolean
  fastRetransmitted: boolean
}

/** A congestion window never shrinks below this many fragments. */
const MIN_CONGESTION_WINDOW = 2
const INITIAL_CONGESTION_WINDOW = 8
/** Fragments selectively acked above a hole before it is retransmitted without a timeout. */
const FAST_RETRANSMIT_THRESHOLD = 3

/** One reliable connection over datagrams. */
export class ReliableSession {
  readonly connectionId: number
  readonly #config: UdpReliabilityConfig
  #state: SessionState
  /** The application closed the session: it sends and takes no more frames. */
  #applicationClosed = false
  /** A 'closed' event was emitted (at most one). */
  #closeReported = false
  readonly #datagrams: Uint8Array[] = []
  readonly #events: SessionEvent[] = []

  // Handshake (connecting side).
  #synTransmissions = 0
  #synDeadlineMs = 0
  #synSentAtMs = 0

  // Sending.
  #queue: Uint8Array[] = []
  #queueHead = 0
  #queuedBytes = 0
  #fragmentOffset = 0
  #finQueued = false
  #finSent = false
  #finAcked = false
  #nextSeq = 0
  #sendBase = 0
  readonly #inflight = new Map<number, Segment>()
  #inflightBytes = 0
  #peerWindowPackets: number
  #congestionWindow = INITIAL_CONGESTION_WINDOW
  #slowStartThreshold: number
  #recoveryEndSeq = -1
  #smoothedRttMs = -1
  #rttVarianceMs = 0
  #rtoMs: number
  #retransmissions = 0

  // Receiving.
  #expected = 0
  readonly #outOfOrder = new Map<number, DataPacket>()
  #assembly: Uint8Array | null = null
  #assemblyFilled = 0
  #ackNeeded = false
  #peerFinReceived = false
  #lingerDeadlineMs = -1
  /** The latest clock reading given to any input. */
  #nowMs = 0

  /**
   * `connect` starts the handshake; `accept` answers a SYN that announced
   * `peerWindowPackets` and is open at once.
   */
  constructor(
    role: 'connect' | 'accept',
    connectionId: number,
    config: UdpReliabilityConfig,
    nowMs: number,
    peerWindowPackets = config.windowPackets,
  ) {
    assert(Number.isInteger(connectionId) && connectionId >= 0 && connectionId < 2 ** 32, 'u32 id')
    checkUdpReliabilityConfig(config)
    this.connectionId = connectionId
    this.#config = config
    this.#rtoMs = config.initialRtoMs
    this.#slowStartThreshold = config.windowPackets
    this.#peerWindowPackets = clampWindow(peerWindowPackets, config.windowPackets)
    if (role === 'connect') {
      this.#state = 'syn-sent'
      this.#sendSyn(nowMs)
    } else {
      this.#state = 'open'
      this.#datagrams.push(this.#synAck())
    }
  }

  get state(): SessionState {
    return this.#state
  }

  /** Bytes of frames not yet acknowledged by the peer (queued or in flight). */
  get pendingBytes(): number {
    return this.#queuedBytes + this.#inflightBytes
  }

  /** Datagrams sent again since the session started (a measure of loss). */
  get retransmissions(): number {
    return this.#retransmissions
  }

  /** Out-of-order fragments held for reassembly; never more than `windowPackets`. */
  get heldFragments(): number {
    return this.#outOfOrder.size
  }

  /** The current retransmission timeout (for tests and statistics). */
  get rtoMs(): number {
    return this.#rtoMs
  }

  /** Queues a frame. Only while open: the driver refuses sends in other states. */
  send(frame: Uint8Array, nowMs: number): void {
    assert(this.#state === 'open' && !this.#applicationClosed, 'send only on an open session')
    this.#queue.push(frame)
    this.#queuedBytes += frame.byteLength
    this.#observe(nowMs)
  }

  /** Closes from this side: queued frames still go out, then a FIN. Idempotent. */
  close(nowMs: number): void {
    this.#applicationClosed = true
    this.#observe(nowMs)
    if (this.#state === 'finished' || this.#finQueued) return
    if (this.#state === 'syn-sent') return this.#finish()
    this.#finQueued = true
    this.#state = 'closing'
  }

  /** Ends the session at once with `error` (the driver saw the transport fail). */
  abort(error: TandemError): void {
    this.#fail(error, false)
  }

  /** Feeds one received datagram; junk and datagrams of other connections are ignored. */
  receive(datagram: Uint8Array, nowMs: number): void {
    this.#observe(nowMs)
    if (this.#state === 'finished') return
    const packet = decodePacket(datagram)
    if (packet === null || packet.connectionId !== this.connectionId) return
    switch (packet.type) {
      case PACKET_SYN:
        // Our SYN-ACK was lost: answer again.
        if (this.#state !== 'syn-sent') this.#datagrams.push(this.#synAck())
        return
      case PACKET_SYN_ACK:
        if (this.#state === 'syn-sent') this.#open(nowMs, packet.windowPackets)
        return
      case PACKET_DATA:
        if (this.#state === 'syn-sent') this.#open(nowMs, this.#config.windowPackets)
        this.#onAck(packet.ack, [], nowMs)
        return this.#onData(packet)
      case PACKET_ACK:
        if (this.#state !== 'syn-sent') this.#onAck(packet.ack, packet.ranges, nowMs)
        return
      case PACKET_RESET:
        return this.#fail(
          new ChannelError('TDB_CONNECTION_BROKEN', 'udp peer reset the connection', {
            connectionId: this.connectionId,
          }),
          false,
        )
    }
  }

  /** Advances time: retransmissions, the handshake, dead-peer detection, the close linger. */
  tick(nowMs: number): void {
    this.#observe(nowMs)
    if (this.#state === 'syn-sent' && nowMs >= this.#synDeadlineMs) {
      if (this.#synTransmissions > this.#config.maxRetransmits) {
        return this.#fail(this.#dead('connect', this.#synTransmissions), false)
      }
      this.#rtoMs = Math.min(this.#rtoMs * 2, this.#config.maxRtoMs)
      this.#sendSyn(nowMs)
      return
    }
    if (this.#state === 'open' || this.#state === 'closing') this.#retransmitExpired(nowMs)
    if (this.#lingerDeadlineMs >= 0 && nowMs >= this.#lingerDeadlineMs) this.#finish()
  }

  /**
   * Datagrams to send, oldest first. Queued frames are cut into datagrams here, as far as the
   * window allows, so that the small frames of one turn share datagrams; an ack of what was
   * received is added when one is due.
   */
  takeDatagrams(): Uint8Array[] {
    if (this.#state === 'open' || this.#state === 'closing') this.#pump(this.#nowMs)
    if (this.#ackNeeded && this.#state !== 'finished' && this.#state !== 'syn-sent') {
      this.#ackNeeded = false
      this.#datagrams.push(encodeAck(this.connectionId, this.#expected, this.#sackRanges()))
    }
    return this.#datagrams.splice(0)
  }

  /** Events for the application, oldest first. */
  takeEvents(): SessionEvent[] {
    return this.#events.splice(0)
  }

  #synAck(): Uint8Array {
    const window = this.#config.windowPackets
    return encodeHandshake(PACKET_SYN_ACK, this.connectionId, this.#expected, window)
  }

  /** Records the latest clock reading: datagrams cut in `takeDatagrams` are stamped with it. */
  #observe(nowMs: number): void {
    assert(Number.isFinite(nowMs), 'the clock reading is a number')
    if (nowMs > this.#nowMs) this.#nowMs = nowMs
  }

  #sendSyn(nowMs: number): void {
    this.#synTransmissions++
    this.#synSentAtMs = nowMs
    this.#synDeadlineMs = nowMs + this.#rtoMs
    this.#datagrams.push(
      encodeHandshake(PACKET_SYN, this.connectionId, 0, this.#config.windowPackets),
    )
  }

  #open(nowMs: number, peerWindowPackets: number): void {
    this.#state = 'open'
    this.#peerWindowPackets = clampWindow(peerWindowPackets, this.#config.windowPackets)
    if (this.#synTransmissions === 1) this.#sampleRtt(nowMs - this.#synSentAtMs)
    this.#events.push({ kind: 'open' })
  }

  // ---- Sending ----

  #pump(nowMs: number): void {
    const window = Math.min(
      Math.floor(this.#congestionWindow),
      this.#peerWindowPackets,
      this.#config.windowPackets,
    )
    while (this.#nextSeq - this.#sendBase < window) {
      if (this.#queueHead < this.#queue.length) {
        this.#sendFragment(nowMs)
        continue
      }
      if (this.#finQueued && !this.#finSent) {
        this.#finSent = true
        const id = this.connectionId
        const fin = encodeData(id, this.#expected, this.#nextSeq, FLAG_FIN, -1, EMPTY)
        this.#transmitNew(fin, 0, true, nowMs)
      }
      break
    }
    if (this.#queueHead === this.#queue.length && this.#queueHead > 0) {
      this.#queue = []
      this.#queueHead = 0
    }
  }

  #sendFragment(nowMs: number): void {
    const bundled = this.#bundleCount()
    if (bundled >= 2) return this.#sendBundle(bundled, nowMs)
    const frame = this.#queue[this.#queueHead] as Uint8Array
    const offset = this.#fragmentOffset
    const end = Math.min(frame.byteLength, offset + this.#config.fragmentBytes)
    let flags = 0
    if (offset === 0) flags |= FLAG_FIRST
    if (end === frame.byteLength) flags |= FLAG_LAST
    const payload = frame.subarray(offset, end)
    const id = this.connectionId
    const seq = this.#nextSeq
    const datagram = encodeData(id, this.#expected, seq, flags, frame.byteLength, payload)
    this.#transmitNew(datagram, end - offset, false, nowMs)
    this.#queuedBytes -= end - offset
    if (end === frame.byteLength) {
      this.#queue[this.#queueHead++] = EMPTY
      this.#fragmentOffset = 0
    } else {
      this.#fragmentOffset = end
    }
  }

  /** How many whole queued frames fit one bundle datagram (small frames share datagrams). */
  #bundleCount(): number {
    if (this.#fragmentOffset !== 0) return 0
    let bytes = 0
    let count = 0
    for (let i = this.#queueHead; i < this.#queue.length; i++) {
      bytes += BUNDLE_ENTRY_HEADER_BYTES + (this.#queue[i] as Uint8Array).byteLength
      if (bytes > this.#config.fragmentBytes) break
      count++
    }
    return count
  }

  #sendBundle(count: number, nowMs: number): void {
    const frames = this.#queue.slice(this.#queueHead, this.#queueHead + count)
    const datagram = encodeBundle(this.connectionId, this.#expected, this.#nextSeq, frames)
    let frameBytes = 0
    for (const frame of frames) frameBytes += frame.byteLength
    this.#transmitNew(datagram, frameBytes, false, nowMs)
    this.#queuedBytes -= frameBytes
    for (let i = 0; i < count; i++) this.#queue[this.#queueHead++] = EMPTY
  }

  /** Records a new data datagram (already encoded with sequence number `#nextSeq`) in flight. */
  #transmitNew(datagram: Uint8Array, payloadBytes: number, fin: boolean, nowMs: number): void {
    const seq = this.#nextSeq++
    const segment: Segment = {
      seq,
      datagram,
      payloadBytes,
      fin,
      sentAtMs: nowMs,
      deadlineMs: nowMs + this.#rtoMs,
      transmissions: 1,
      sacked: false,
      fastRetransmitted: false,
    }
    this.#inflight.set(seq, segment)
    this.#inflightBytes += segment.payloadBytes
    this.#datagrams.push(datagram)
    // A data datagram carries the current ack, so no separate ack is due.
    this.#ackNeeded = this.#outOfOrder.size > 0 && this.#ackNeeded
  }

  #retransmit(segment: Segment, nowMs: number): void {
    this.#retransmissions++
    segment.transmissions++
    segment.sentAtMs = nowMs
    segment.deadlineMs = nowMs + this.#rtoMs
    stampAck(segment.datagram, this.#expected)
    this.#datagrams.push(segment.datagram)
  }

  #retransmitExpired(nowMs: number): void {
    let expired = false
    for (const segment of this.#inflight.values()) {
      if (segment.sacked || nowMs < segment.deadlineMs) continue
      if (segment.transmissions > this.#config.maxRetransmits) {
        return this.#fail(this.#dead('data', segment.transmissions), true)
      }
      if (!expired) {
        expired = true
        // One timeout event: back off the timer and collapse the congestion window once.
        this.#rtoMs = Math.min(this.#rtoMs * 2, this.#config.maxRtoMs)
        this.#slowStartThreshold = Math.max(
          Math.floor((this.#nextSeq - this.#sendBase) / 2),
          MIN_CONGESTION_WINDOW,
        )
        this.#congestionWindow = MIN_CONGESTION_WINDOW
        this.#recoveryEndSeq = this.#nextSeq
      }
      segment.fastRetransmitted = false
      this.#retransmit(segment, nowMs)
    }
  }

  #onAck(wireAck: number, ranges: readonly (readonly [number, number])[], nowMs: number): void {
    const ack = unwrapSeq(wireAck, this.#sendBase)
    // An ack below our base is stale (reordered); one above what we sent is bogus.
    if (ack < this.#sendBase || ack > this.#nextSeq) return
    let acked = 0
    for (let seq = this.#sendBase; seq < ack; seq++) {
      const segment = this.#inflight.get(seq)
      assert(segment !== undefined, 'every sequence between base and next is in flight')
      this.#inflight.delete(seq)
      this.#inflightBytes -= segment.payloadBytes
      if (segment.transmissions === 1) this.#sampleRtt(nowMs - segment.sentAtMs)
      if (segment.fin) this.#finAcked = true
      acked++
    }
    this.#sendBase = ack
    if (acked > 0) this.#growWindow(acked)
    if (ranges.length > 0) this.#onSelectiveAck(ranges, nowMs)
    if (this.#finAcked && this.#state === 'closing') {
      if (this.#peerFinReceived) return this.#finish()
      if (this.#lingerDeadlineMs < 0) this.#lingerDeadlineMs = nowMs + this.#config.closeLingerMs
    }
  }

  #onSelectiveAck(ranges: readonly (readonly [number, number])[], nowMs: number): void {
    let highest = -1
    for (const [wireStart, wireEnd] of ranges) {
      const start = Math.max(unwrapSeq(wireStart, this.#sendBase), this.#sendBase)
      const end = Math.min(unwrapSeq(wireEnd, this.#sendBase), this.#nextSeq)
      for (let seq = start; seq < end; seq++) {
        const segment = this.#inflight.get(seq)
        if (segment !== undefined) segment.sacked = true
      }
      if (end > start) highest = Math.max(highest, end - 1)
    }
    for (const segment of this.#inflight.values()) {
      if (segment.seq >= highest - FAST_RETRANSMIT_THRESHOLD + 1) break
      if (segment.sacked || segment.fastRetransmitted) continue
      segment.fastRetransmitted = true
      if (this.#sendBase > this.#recoveryEndSeq) {
        // Halve the window once per loss episode (NewReno-like).
        this.#slowStartThreshold = Math.max(
          Math.floor(this.#congestionWindow / 2),
          MIN_CONGESTION_WINDOW,
        )
        this.#congestionWindow = this.#slowStartThreshold
        this.#recoveryEndSeq = this.#nextSeq
      }
      this.#retransmit(segment, nowMs)
    }
  }

  #growWindow(acked: number): void {
    if (this.#congestionWindow < this.#slowStartThreshold) this.#congestionWindow += acked
    else this.#congestionWindow += acked / this.#congestionWindow
    this.#congestionWindow = Math.min(this.#congestionWindow, this.#config.windowPackets)
  }

  #sampleRtt(sampleMs: number): void {
    const rtt = Math.max(sampleMs, 0)
    if (this.#smoothedRttMs < 0) {
      this.#smoothedRttMs = rtt
      this.#rttVarianceMs = rtt / 2
    } else {
      this.#rttVarianceMs = 0.75 * this.#rttVarianceMs + 0.25 * Math.abs(this.#smoothedRttMs - rtt)
      this.#smoothedRttMs = 0.875 * this.#smoothedRttMs + 0.125 * rtt
    }
    const rto = Math.ceil(this.#smoothedRttMs + 4 * this.#rttVarianceMs)
    this.#rtoMs = Math.min(Math.max(rto, this.#config.minRtoMs), this.#config.maxRtoMs)
  }

  // ---- Receiving ----

  #onData(packet: DataPacket): void {
    if (this.#isFinished()) return
    const seq = unwrapSeq(packet.seq, this.#expected)
    this.#ackNeeded = true
    if (seq < this.#expected || seq >= this.#expected + this.#config.windowPackets) return
    if (seq > this.#expected) {
      if (!this.#outOfOrder.has(seq)) this.#outOfOrder.set(seq, packet)
      return
    }
    this.#expected++
    this.#deliver(packet)
    for (;;) {
      const next = this.#outOfOrder.get(this.#expected)
      if (next === undefined || this.#isFinished()) break
      this.#outOfOrder.delete(this.#expected)
      this.#expected++
      this.#deliver(next)
    }
  }

  #deliver(packet: DataPacket): void {
    if (this.#state === 'finished') return
    if ((packet.flags & FLAG_FIN) !== 0) return this.#onPeerFin()
    if ((packet.flags & FLAG_BUNDLE) !== 0) return this.#deliverBundle(packet.payload)
    const first = (packet.flags & FLAG_FIRST) !== 0
    const last = (packet.flags & FLAG_LAST) !== 0
    const payload = packet.payload
    if (first) {
      if (this.#assembly !== null) return this.#malformed('a frame started inside another')
      if (packet.frameBytes > this.#config.maxFrameBytes) return this.#tooLarge(packet.frameBytes)
      if (last) {
        if (payload.byteLength !== packet.frameBytes) return this.#malformed('length mismatch')
        return this.#emitFrame(payload)
      }
      if (payload.byteLength >= packet.frameBytes) return this.#malformed('first fragment too long')
      this.#assembly = new Uint8Array(packet.frameBytes)
      this.#assembly.set(payload, 0)
      this.#assemblyFilled = payload.byteLength
      return
    }
    const assembly = this.#assembly
    if (assembly === null) return this.#malformed('a fragment outside any frame')
    if (this.#assemblyFilled + payload.byteLength > assembly.byteLength) {
      return this.#malformed('fragments overflow their frame')
    }
    assembly.set(payload, this.#assemblyFilled)
    this.#assemblyFilled += payload.byteLength
    if (!last) return
    if (this.#assemblyFilled !== assembly.byteLength) return this.#malformed('frame cut short')
    this.#assembly = null
    this.#emitFrame(assembly)
  }

  #deliverBundle(payload: Uint8Array): void {
    if (this.#assembly !== null) return this.#malformed('a bundle inside a fragmented frame')
    const frames = splitBundle(payload)
    if (frames === null) return this.#malformed('bundle lengths do not add up')
    for (const frame of frames) {
      if (frame.byteLength > this.#config.maxFrameBytes) return this.#tooLarge(frame.byteLength)
    }
    for (const frame of frames) this.#emitFrame(frame)
  }

  #emitFrame(frame: Uint8Array): void {
    // After a local close the application takes no frames; they are acked and dropped.
    if (this.#applicationClosed || this.#closeReported) return
    this.#events.push({ kind: 'frame', frame })
  }

  /**
   * The peer is done. The application hears of it after the frames before the FIN, and may
   * still send in answer to them until its owner calls `close`, which sends our FIN.
   */
  #onPeerFin(): void {
    this.#peerFinReceived = true
    this.#reportClosed(null)
    if (this.#finAcked) this.#finish()
  }

  #reportClosed(error: TandemError | null): void {
    if (this.#applicationClosed || this.#closeReported) return
    this.#closeReported = true
    this.#events.push({ kind: 'closed', error })
  }

  #sackRanges(): [number, number][] {
    if (this.#outOfOrder.size === 0) return []
    const seqs = [...this.#outOfOrder.keys()].sort((a, b) => a - b)
    const ranges: [number, number][] = []
    let start = seqs[0] as number
    let end = start + 1
    for (let i = 1; i <= seqs.length && ranges.length < MAX_SACK_RANGES; i++) {
      const seq = seqs[i]
      if (seq === end) {
        end++
        continue
      }
      ranges.push([start >>> 0, end >>> 0])
      if (seq === undefined) break
      start = seq
      end = seq + 1
    }
    return ranges
  }

  // ---- Endings ----

  /** A method, so that type narrowing does not assume the state survives calls. */
  #isFinished(): boolean {
    return this.#state === 'finished'
  }

  #malformed(why: string): void {
    this.#fail(
      new ProtocolError('TDB_FRAME_MALFORMED', `udp peer sent a malformed fragment: ${why}`, {
        connectionId: this.connectionId,
      }),
      true,
    )
  }

  #tooLarge(frameBytes: number): void {
    const max = this.#config.maxFrameBytes
    this.#fail(
      new ProtocolError(
        'TDB_FRAME_TOO_LARGE',
        `udp peer announced a frame of ${frameBytes} bytes, over the cap of ${max}`,
        { connectionId: this.connectionId, frameBytes, maxFrameBytes: max },
      ),
      true,
    )
  }

  #dead(what: 'connect' | 'data', transmissions: number): ChannelError {
    return new ChannelError(
      'TDB_CONNECTION_BROKEN',
      `udp peer did not answer ${what} after ${transmissions} transmissions`,
      { connectionId: this.connectionId, transmissions },
    )
  }

  #fail(error: TandemError, sendReset: boolean): void {
    if (this.#state === 'finished') return
    if (sendReset) this.#datagrams.push(encodeReset(this.connectionId))
    this.#reportClosed(error)
    this.#finish()
  }

  #finish(): void {
    if (this.#state === 'finished') return
    this.#state = 'finished'
    this.#applicationClosed = true
    this.#queue = []
    this.#queueHead = 0
    this.#queuedBytes = 0
    this.#inflight.clear()
    this.#inflightBytes = 0
    this.#outOfOrder.clear()
    this.#assembly = null
    this.#lingerDeadlineMs = -1
    this.#events.push({ kind: 'finished' })
  }
}

function clampWindow(peerWindowPackets: number, own: number): number {
  return Number.isInteger(peerWindowPackets) && peerWindowPackets >= 1
    ? Math.min(peerWindowPackets, own)
    : own
}

const EMPTY = new Uint8Array(0)

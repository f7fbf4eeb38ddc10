/**
 * The udp reliability state machine (DESIGN "Replication": udp made reliable — sequence
 * numbers, acks, retransmission, fragmentation), run deterministically: two sessions talk
 * through a simulated network driven by a seeded PRNG that loses 20% of datagrams, duplicates
 * and reorders them. Every frame must arrive exactly once, whole and in order, both ways; a
 * peer that vanishes is declared dead within the retry limit; junk, oversized and
 * out-of-window input is refused with bounded memory.
 */
import { describe, expect, it } from 'vitest'
import { Prng } from '../../../src/util/prng.js'
import {
  DEFAULT_UDP_RELIABILITY,
  ReliableSession,
  type SessionEvent,
  type UdpReliabilityConfig,
} from '../../../src/channels/udp-reliability.js'
import {
  FLAG_FIRST,
  FLAG_LAST,
  PACKET_SYN,
  PACKET_SYN_ACK,
  decodePacket,
  encodeBundle,
  encodeData,
  encodeHandshake,
  peekDatagram,
  unwrapSeq,
} from '../../../src/channels/udp-datagram.js'
import { patternFrame, sameBytes } from './harness.js'

/** Small fragments and short timeouts, so that simulated runs are short. */
const CONFIG: UdpReliabilityConfig = {
  ...DEFAULT_UDP_RELIABILITY,
  fragmentBytes: 1024,
  windowPackets: 64,
  initialRtoMs: 100,
  minRtoMs: 20,
  maxFrameBytes: 1024 * 1024,
}

interface Faults {
  /** Loss, duplication and extra-delay probabilities in percent. */
  readonly lossPercent: number
  readonly duplicatePercent: number
  readonly maxDelayMs: number
}

interface InFlight {
  readonly deliverAtMs: number
  readonly order: number
  readonly to: 'a' | 'b'
  readonly datagram: Uint8Array
}

/** Two sessions over a seeded faulty network, one millisecond per step. */
class SimulatedLink {
  readonly prng: Prng
  readonly faults: Faults
  nowMs = 0
  readonly a: ReliableSession
  b: ReliableSession | null = null
  readonly events = { a: [] as SessionEvent[], b: [] as SessionEvent[] }
  /** When true, everything to and from b is lost (b crashed). */
  bDead = false
  #network: InFlight[] = []
  #order = 0

  constructor(seed: number, faults: Faults, readonly config = CONFIG) {
    this.prng = new Prng(seed)
    this.faults = faults
    this.a = new ReliableSession('connect', 0x1234abcd, config, 0)
    this.#collect()
  }

  /** Runs until `done` holds or `limitMs` passes; returns whether `done` held. */
  runUntil(done: () => boolean, limitMs: number): boolean {
    const end = this.nowMs + limitMs
    while (this.nowMs < end) {
      if (done()) return true
      this.step()
    }
    return done()
  }

  step(): void {
    this.nowMs++
    const due = this.#network.filter((d) => d.deliverAtMs <= this.nowMs)
    this.#network = this.#network.filter((d) => d.deliverAtMs > this.nowMs)
    due.sort((x, y) => x.deliverAtMs - y.deliverAtMs || x.order - y.order)
    for (const datagram of due) this.#deliver(datagram)
    this.a.tick(this.nowMs)
    this.b?.tick(this.nowMs)
    this.#collect()
  }

  #deliver(inFlight: InFlight): void {
    if (inFlight.to === 'a') return this.a.receive(inFlight.datagram, this.nowMs)
    if (this.b === null) {
      const head = peekDatagram(inFlight.datagram)
      const packet = decodePacket(inFlight.datagram)
      if (head?.type !== PACKET_SYN || packet === null || !('windowPackets' in packet)) return
      const { connectionId } = head
      const window = packet.windowPackets
      this.b = new ReliableSession('accept', connectionId, this.config, this.nowMs, window)
      return
    }
    this.b.receive(inFlight.datagram, this.nowMs)
  }

  #collect(): void {
    for (const [from, to] of [['a', 'b'], ['b', 'a']] as const) {
      const session = from === 'a' ? this.a : this.b
      if (session === null) continue
      const events = session.takeEvents()
      this.events[from].push(...events)
      // As the socket driver does: a peer's clean close is answered with our own close.
      if (events.some((event) => event.kind === 'closed')) session.close(this.nowMs)
      for (const datagram of session.takeDatagrams()) this.#transmit(datagram, to)
    }
  }

  #transmit(datagram: Uint8Array, to: 'a' | 'b'): void {
    if (this.bDead) return
    const { lossPercent, duplicatePercent, maxDelayMs } = this.faults
    if (this.prng.chance(lossPercent, 100)) return
    const copies = this.prng.chance(duplicatePercent, 100) ? 2 : 1
    for (let i = 0; i < copies; i++) {
      const deliverAtMs = this.nowMs + 1 + this.prng.nextInt(maxDelayMs + 1)
      // A copy: the sender may rewrite its stored datagram's ack on retransmission.
      this.#network.push({ deliverAtMs, order: this.#order++, to, datagram: datagram.slice() })
    }
  }

  framesOf(side: 'a' | 'b'): Uint8Array[] {
    return this.events[side].flatMap((event) => (event.kind === 'frame' ? [event.frame] : []))
  }

  closesOf(side: 'a' | 'b'): SessionEvent[] {
    return this.events[side].filter((event) => event.kind === 'closed')
  }

  send(side: 'a' | 'b', frame: Uint8Array): void {
    const session = side === 'a' ? this.a : this.b
    session?.send(frame, this.nowMs)
    this.#collect()
  }

  close(side: 'a' | 'b'): void {
    const session = side === 'a' ? this.a : this.b
    session?.close(this.nowMs)
    this.#collect()
  }
}

function framesFor(prng: Prng, count: number, tagBase: number): Uint8Array[] {
  const frames: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    const size = prng.chance(1, 10) ? prng.nextInt(20_000) : prng.nextInt(1500)
    frames.push(patternFrame(size, tagBase + i))
  }
  frames.push(patternFrame(0, tagBase + count), patternFrame(100_000, tagBase + count + 1))
  return frames
}

function expectSameFrames(received: Uint8Array[], sent: Uint8Array[]): void {
  expect(received.map((frame) => frame.byteLength)).toEqual(sent.map((frame) => frame.byteLength))
  expect(received.findIndex((frame, i) => !sameBytes(frame, sent[i] as Uint8Array))).toBe(-1)
}

const HOSTILE: Faults = { lossPercent: 20, duplicatePercent: 10, maxDelayMs: 30 }

describe('udp reliability under seeded loss, duplication and reordering', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) {
    it(`seed ${seed}: every frame exactly once and in order, both ways, then a clean close`, () => {
      const link = new SimulatedLink(seed, HOSTILE)
      expect(link.runUntil(() => link.events.a.some((e) => e.kind === 'open'), 60_000)).toBe(true)
      const plan = new Prng(seed * 7919)
      const toB = framesFor(plan, 60, 0)
      const toA = framesFor(plan, 30, 1000)
      for (const frame of toB) link.send('a', frame)
      expect(link.b).not.toBeNull()
      for (const frame of toA) link.send('b', frame)
      expect(link.a.pendingBytes).toBeGreaterThan(0)
      const delivered = (): boolean =>
        link.framesOf('b').length === toB.length && link.framesOf('a').length === toA.length
      expect(link.runUntil(delivered, 600_000)).toBe(true)
      expectSameFrames(link.framesOf('b'), toB)
      expectSameFrames(link.framesOf('a'), toA)
      expect(link.runUntil(() => link.a.pendingBytes === 0, 60_000)).toBe(true)

      link.close('a')
      const b = link.b as ReliableSession
      const finished = (): boolean => link.a.state === 'finished' && b.state === 'finished'
      expect(link.runUntil(finished, 120_000)).toBe(true)
      expect(link.closesOf('b')).toEqual([{ kind: 'closed', error: null }])
      expect(link.closesOf('a')).toEqual([])
      expect(link.framesOf('b').length).toBe(toB.length)
    })
  }

  it('delivers frames sent just before close, then the FIN, under loss', () => {
    const link = new SimulatedLink(99, HOSTILE)
    link.runUntil(() => link.events.a.some((e) => e.kind === 'open'), 60_000)
    const frames = framesFor(new Prng(5), 20, 0)
    for (const frame of frames) link.send('a', frame)
    link.close('a')
    expect(() => link.send('a', new Uint8Array(1))).toThrow(/send only on an open session/)
    expect(link.runUntil(() => link.closesOf('b').length === 1, 600_000)).toBe(true)
    expectSameFrames(link.framesOf('b'), frames)
  })

  it('grows the window: a clean link carries 2 MB in far fewer milliseconds than fragments', () => {
    const link = new SimulatedLink(3, { lossPercent: 0, duplicatePercent: 0, maxDelayMs: 0 })
    link.runUntil(() => link.events.a.some((e) => e.kind === 'open'), 1000)
    const frames = Array.from({ length: 2000 }, (_, i) => patternFrame(1000, i))
    for (const frame of frames) link.send('a', frame)
    const start = link.nowMs
    expect(link.runUntil(() => link.framesOf('b').length === frames.length, 60_000)).toBe(true)
    // 2000 fragments at one round trip (2 ms) per window of up to 64: well under 2000 ms.
    expect(link.nowMs - start).toBeLessThan(200)
  })
})

describe('udp dead peer detection', () => {
  it('declares a silent peer dead within the retry limit', () => {
    const config = { ...CONFIG, maxRetransmits: 5, minRtoMs: 10, maxRtoMs: 200 }
    const quiet = { lossPercent: 0, duplicatePercent: 0, maxDelayMs: 2 }
    const link = new SimulatedLink(4, quiet, config)
    link.runUntil(() => link.events.a.some((e) => e.kind === 'open'), 1000)
    link.send('a', patternFrame(10, 1))
    link.runUntil(() => link.framesOf('b').length === 1, 1000)
    link.bDead = true
    link.send('a', patternFrame(5000, 2))
    const start = link.nowMs
    expect(link.runUntil(() => link.closesOf('a').length > 0, 60_000)).toBe(true)
    const [closed] = link.closesOf('a')
    expect(closed).toMatchObject({ kind: 'closed', error: { code: 'TDB_CONNECTION_BROKEN' } })
    // Backoff doubles from the measured timeout and is capped: at most 6 timeouts of 200 ms.
    expect(link.nowMs - start).toBeLessThanOrEqual((config.maxRetransmits + 1) * config.maxRtoMs)
    expect(link.a.state).toBe('finished')
  })

  it('gives up a connect that nobody answers', () => {
    const config = { ...CONFIG, maxRetransmits: 3, initialRtoMs: 50, maxRtoMs: 400 }
    const session = new ReliableSession('connect', 1, config, 0)
    let syns = session.takeDatagrams().length
    let nowMs = 0
    while (session.state === 'syn-sent' && nowMs < 10_000) {
      session.tick(++nowMs)
      syns += session.takeDatagrams().length
    }
    expect(syns).toBe(config.maxRetransmits + 1)
    expect(session.takeEvents()).toMatchObject([
      { kind: 'closed', error: { code: 'TDB_CONNECTION_BROKEN' } },
      { kind: 'finished' },
    ])
    expect(nowMs).toBeLessThan(50 + 100 + 200 + 400 + 400 + 2)
  })
})

describe('udp input validation and bounded memory', () => {
  function openPair(config = CONFIG): ReliableSession {
    const b = new ReliableSession('accept', 77, config, 0)
    b.takeDatagrams()
    return b
  }

  it('ignores junk datagrams and datagrams of other connections', () => {
    const b = openPair()
    const prng = new Prng(11)
    for (let i = 0; i < 2000; i++) {
      const junk = new Uint8Array(prng.nextInt(64))
      for (let j = 0; j < junk.length; j++) junk[j] = prng.nextInt(256)
      if (junk.length > 1 && prng.chance(1, 2)) junk[0] = 0xd7
      b.receive(junk, i)
    }
    b.receive(encodeData(78, 0, 0, FLAG_FIRST | FLAG_LAST, 3, new Uint8Array(3)), 1)
    expect(b.state).toBe('open')
    expect(b.takeEvents()).toEqual([])
  })

  it('cuts off a peer that announces a frame over the cap, with a reset', () => {
    const b = openPair({ ...CONFIG, maxFrameBytes: 5000 })
    b.receive(encodeData(77, 0, 0, FLAG_FIRST, 5001, new Uint8Array(100)), 1)
    expect(b.takeEvents()).toMatchObject([
      { kind: 'closed', error: { code: 'TDB_FRAME_TOO_LARGE' } },
      { kind: 'finished' },
    ])
    expect(b.takeDatagrams().map((d) => peekDatagram(d)?.type)).toContain(5)
  })

  it('refuses fragments that do not make a frame', () => {
    const cases: [number, number, number][] = [
      [FLAG_LAST, -1, 10], // a fragment outside any frame
      [FLAG_FIRST | FLAG_LAST, 10, 9], // length mismatch
    ]
    for (const [flags, frameBytes, payloadBytes] of cases) {
      const b = openPair()
      b.receive(encodeData(77, 0, 0, flags, frameBytes, new Uint8Array(payloadBytes)), 1)
      expect(b.takeEvents()[0]).toMatchObject({ error: { code: 'TDB_FRAME_MALFORMED' } })
    }
    const b = openPair()
    b.receive(encodeData(77, 0, 0, FLAG_FIRST, 100, new Uint8Array(60)), 1)
    b.receive(encodeData(77, 0, 1, 0, -1, new Uint8Array(60)), 1)
    expect(b.takeEvents()[0]).toMatchObject({ error: { code: 'TDB_FRAME_MALFORMED' } })
  })

  it('holds at most windowPackets out-of-order fragments, however many arrive', () => {
    const b = openPair()
    for (let seq = 1; seq < 10_000; seq++) {
      b.receive(encodeData(77, 0, seq, FLAG_FIRST | FLAG_LAST, 1, new Uint8Array(1)), 1)
    }
    expect(b.heldFragments).toBe(CONFIG.windowPackets - 1)
    b.receive(encodeData(77, 0, 0, FLAG_FIRST | FLAG_LAST, 1, new Uint8Array(1)), 2)
    expect(b.takeEvents().length).toBe(CONFIG.windowPackets)
    expect(b.heldFragments).toBe(0)
  })

  it('bundles small queued frames into shared datagrams and unbundles them', () => {
    const a = new ReliableSession('connect', 77, CONFIG, 0)
    a.takeDatagrams()
    a.receive(encodeHandshake(PACKET_SYN_ACK, 77, 0, 64), 1)
    const b = openPair()
    const sent = Array.from({ length: 100 }, (_, i) => patternFrame(90 + i, i))
    for (const frame of sent) a.send(frame, 2)
    let datagrams = 0
    const received: Uint8Array[] = []
    for (let nowMs = 3; received.length < sent.length && nowMs < 100; nowMs++) {
      const fromA = a.takeDatagrams()
      datagrams += fromA.length
      for (const datagram of fromA) b.receive(datagram, nowMs)
      for (const datagram of b.takeDatagrams()) a.receive(datagram, nowMs)
      for (const event of b.takeEvents()) if (event.kind === 'frame') received.push(event.frame)
    }
    // 100 frames of about 140 bytes plus 4-byte prefixes in 1 KiB datagrams: 7 per datagram.
    expect(datagrams).toBeLessThan(20)
    expect(received.length).toBe(sent.length)
    expect(received.every((frame, i) => sameBytes(frame, sent[i] as Uint8Array))).toBe(true)
  })

  it('refuses a bundle whose lengths do not add up or whose frame is over the cap', () => {
    const good = encodeBundle(77, 0, 0, [new Uint8Array(10), new Uint8Array(20)])
    const cut = good.subarray(0, good.byteLength - 1)
    const b = openPair()
    b.receive(cut, 1)
    expect(b.takeEvents()[0]).toMatchObject({ error: { code: 'TDB_FRAME_MALFORMED' } })
    const small = openPair({ ...CONFIG, maxFrameBytes: 15 })
    small.receive(good, 1)
    expect(small.takeEvents()[0]).toMatchObject({ error: { code: 'TDB_FRAME_TOO_LARGE' } })
  })

  it('answers a repeated SYN with another SYN-ACK', () => {
    const b = openPair()
    b.receive(encodeHandshake(PACKET_SYN, 77, 0, 32), 5)
    expect(b.takeDatagrams().map((d) => peekDatagram(d)?.type)).toEqual([2])
  })

  it('unwraps 32-bit sequence numbers across the wrap', () => {
    expect(unwrapSeq(1, 2 ** 32 - 1)).toBe(2 ** 32 + 1)
    expect(unwrapSeq(2 ** 32 - 1, 2 ** 32 + 1)).toBe(2 ** 32 - 1)
    expect(unwrapSeq(5, 3)).toBe(5)
    expect(unwrapSeq(3, 5)).toBe(3)
  })
})

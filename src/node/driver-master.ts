/**
 * The master driver (STYLE 5.3: one driver for production and simulation). It owns the
 * event queue of a MasterCore: every input — a tick of the clock, a frame, a connection
 * event, a commit, a command — is queued, stepped in order, and after each step the core's
 * Ready is performed in its documented order (messages, async handoffs, closes, commit
 * outcomes, notifications, stopped) and advanced. Completions re-enter as inputs through the
 * same queue, never by callbacks into the core, so the order of effects depends only on the
 * order of inputs. It is written against `Clock` and `MasterTransport`: production passes
 * the real clock and the channel or async-sender transport, a simulator its own.
 */
import type { ErrorCode } from '../errors.js'
import { decodeMessage, encodeMessage } from '../ha/codec.js'
import type { ConnId, MasterInput } from '../ha/inputs.js'
import type { Notification } from '../ha/notify.js'
import type { CommitOutcome, Core, MasterReady } from '../ha/ready.js'
import { ProtocolError } from '../errors.js'
import { assert } from '../util/assert.js'
import type { Clock } from './clock.js'
import type { MasterTransport, MasterTransportEvents } from './ha-transport.js'

/** What the driver hands back to its owner (HaMaster). */
export interface MasterDriverSink {
  /** A commit's final status, in sequencer order. */
  outcome(outcome: CommitOutcome): void
  /** A notification about replica connection `conn`. */
  notify(conn: ConnId, notification: Notification): void
  /** The core reported that every replica is detached after `stop`. */
  stopped(): void
}

export class MasterDriver {
  readonly #core: Core<MasterInput, MasterReady>
  readonly #clock: Clock
  readonly #sink: MasterDriverSink
  #transport: MasterTransport | null = null
  readonly #queue: MasterInput[] = []
  /** Why a connection is being closed by this side (a malformed frame), for its disconnect. */
  readonly #closeCodes = new Map<ConnId, ErrorCode>()
  #running = false
  #lastTickMs: number
  #stopTicks: (() => void) | null = null

  constructor(core: Core<MasterInput, MasterReady>, clock: Clock, sink: MasterDriverSink) {
    this.#core = core
    this.#clock = clock
    this.#sink = sink
    this.#lastTickMs = clock.nowMs()
  }

  /** The transport events to wire into the transport before it starts. */
  readonly events: MasterTransportEvents = {
    connected: (conn, channel, remote) =>
      this.input({ kind: 'connected', conn, channel: `${channel}:${remote}` }),
    frame: (conn, frame) => this.#onFrame(conn, frame),
    disconnected: (conn, code) => {
      const closeCode = this.#closeCodes.get(conn)
      this.#closeCodes.delete(conn)
      this.input({ kind: 'disconnected', conn, code: closeCode ?? code })
    },
  }

  /** Starts performing sends through `transport` and ticking every `tickIntervalMs`. */
  start(transport: MasterTransport, tickIntervalMs: number): void {
    assert(this.#transport === null, 'master driver started twice')
    this.#transport = transport
    this.#stopTicks = this.#clock.every(tickIntervalMs, () => this.tick())
    this.#run()
  }

  /** Stops the periodic ticks (the core may still be stepped by inputs). */
  stopTicking(): void {
    this.#stopTicks?.()
    this.#stopTicks = null
  }

  /** Feeds the clock's time to the core. */
  tick(): void {
    this.input({ kind: 'tick', nowMs: this.#clock.nowMs() })
  }

  /**
   * Queues an input and, unless the driver is already inside its loop, runs the loop to the
   * end. A tick of the current time goes first when the clock moved, so that the core stamps
   * the input with the right time — except before a commit: the commit hook runs when the
   * engine already holds the commit, and a tick could scan it into a hot-load batch before
   * the core hears of it (the replica would get it twice). A commit is stamped with the last
   * tick's time instead, at most one tick interval old.
   */
  input(input: MasterInput): void {
    const nowMs = this.#clock.nowMs()
    const fromEngine = input.kind === 'committed' || input.kind === 'extended'
    if (input.kind !== 'tick' && !fromEngine && nowMs > this.#lastTickMs) {
      this.#queue.push({ kind: 'tick', nowMs })
      this.#lastTickMs = nowMs
    }
    if (input.kind === 'tick') this.#lastTickMs = Math.max(this.#lastTickMs, nowMs)
    this.#queue.push(input)
    this.#run()
  }

  /**
   * Steps a command at once and rethrows what the core refuses it with (setQuorum out of
   * range, detach of an unknown replica). Commands come from the application, never from
   * inside the loop.
   */
  command(input: MasterInput): void {
    assert(!this.#running, 'a command was issued from inside the master driver loop')
    this.#run()
    this.#core.step(input)
    this.#run(true)
  }

  #onFrame(conn: ConnId, frame: Uint8Array): void {
    const message = decodeMessage(frame)
    if (message instanceof ProtocolError) {
      // A bad peer never crashes the master: its connection closes with the decoding error.
      this.#closeCodes.set(conn, message.code)
      this.#transport?.close(conn)
      return
    }
    this.input({ kind: 'received', conn, message })
  }

  #run(performOnly = false): void {
    if (this.#running || this.#transport === null) return
    this.#running = true
    try {
      if (performOnly) this.#performAll()
      for (let input = this.#queue.shift(); input !== undefined; input = this.#queue.shift()) {
        this.#core.step(input)
        this.#performAll()
      }
    } finally {
      this.#running = false
    }
  }

  #performAll(): void {
    while (this.#core.hasReady()) {
      const ready = this.#core.ready()
      this.#perform(ready)
      this.#core.advance(ready)
    }
  }

  #perform(ready: MasterReady): void {
    const transport = this.#transport
    assert(transport !== null, 'master driver performs before it started')
    for (const { conn, message } of ready.messages) transport.send(conn, encodeMessage(message))
    for (const handoff of ready.asyncStreams) transport.streamFrom(handoff)
    for (const conn of ready.closes) transport.close(conn)
    for (const outcome of ready.commitOutcomes) this.#sink.outcome(outcome)
    for (const { conn, notification } of ready.notifications) this.#sink.notify(conn, notification)
    if (ready.stopped) this.#sink.stopped()
  }
}

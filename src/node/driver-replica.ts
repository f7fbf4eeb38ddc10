/**
 * The replica driver (STYLE 5.3: one driver for production and simulation). It owns the
 * event queue of a ReplicaCore: ticks, frames from the master, connection events, applied
 * effects and commands are queued and stepped in order; after each step the core's Ready is
 * performed in its documented order — applies on the engine (answered with `applied` /
 * `applyFailed` inputs through the same queue), messages to the master, close,
 * notifications, stopped — and advanced. Written against `Clock`, `ReplicaLink` and
 * `HaEngine`, so that a simulator can run it on its own clock and network.
 */
import { ProtocolError, TandemError } from '../errors.js'
import type { ErrorCode } from '../errors.js'
import { decodeMessage, encodeMessage } from '../ha/codec.js'
import type { ReplicaInput } from '../ha/inputs.js'
import type { Notification } from '../ha/notify.js'
import type { Core, ReplicaApply, ReplicaReady } from '../ha/ready.js'
import { assert, unreachable } from '../util/assert.js'
import type { Clock } from './clock.js'
import type { HaEngine } from './ha-engine.js'

/** The replica's end of its link to the master. */
export interface ReplicaLink {
  send(frame: Uint8Array): void
  close(): void
}

/** What the driver hands back to its owner (HaReplica). */
export interface ReplicaDriverSink {
  notify(notification: Notification): void
  /** The core stepped (its state may have changed); the step's effects may still wait. */
  stepped(): void
  /** The effects of every step so far were performed (notifications were handed out). */
  performed?(): void
  /** The session is over. */
  stopped(stopped: NonNullable<ReplicaReady['stopped']>): void
}

export class ReplicaDriver {
  readonly #core: Core<ReplicaInput, ReplicaReady>
  readonly #clock: Clock
  readonly #engine: HaEngine
  readonly #sink: ReplicaDriverSink
  #queue: ReplicaInput[] = []
  #link: ReplicaLink | null = null
  /** Why this side is closing the link (a malformed frame), for its disconnect input. */
  #closeCode: ErrorCode | null = null
  #running = false
  #lastTickMs: number
  #stopTicks: (() => void) | null = null

  constructor(
    core: Core<ReplicaInput, ReplicaReady>,
    clock: Clock,
    engine: HaEngine,
    sink: ReplicaDriverSink,
  ) {
    this.#core = core
    this.#clock = clock
    this.#engine = engine
    this.#sink = sink
    this.#lastTickMs = clock.nowMs()
  }

  /** Starts the periodic ticks (timeouts: waitData, initial sync, commit). */
  startTicking(tickIntervalMs: number): void {
    assert(this.#stopTicks === null, 'replica driver ticks twice')
    this.#stopTicks = this.#clock.every(tickIntervalMs, () => this.tick())
  }

  stopTicking(): void {
    this.#stopTicks?.()
    this.#stopTicks = null
  }

  tick(): void {
    this.input({ kind: 'tick', nowMs: this.#clock.nowMs() })
  }

  /** The link is up: frames go out through it and the core sends Attach. */
  connected(link: ReplicaLink): void {
    assert(this.#link === null, 'replica connected twice')
    this.#link = link
    this.input({ kind: 'connected' })
  }

  /** A frame from the master; a malformed one closes the link with its decoding error. */
  frame(frame: Uint8Array): void {
    this.queueFrame(frame)
    this.run()
  }

  /**
   * Queues a frame from the master without running the loop: the owner queues every frame of
   * one read, then calls `run()` once, so that their change sets are applied and answered as
   * one batch (one Ready, one Ack). A malformed frame closes the link with its decoding error.
   */
  queueFrame(frame: Uint8Array): void {
    const message = decodeMessage(frame)
    if (message instanceof ProtocolError) {
      this.#closeCode = message.code
      this.#link?.close()
      return
    }
    this.#push({ kind: 'received', message })
  }

  /** Closes the link because this side failed it (`code` is what the disconnect reports). */
  failLink(code: ErrorCode): void {
    this.#closeCode ??= code
    this.#link?.close()
  }

  /** The link closed (`code` null: closed cleanly). */
  disconnected(code: ErrorCode | null): void {
    this.input({ kind: 'disconnected', code: this.#closeCode ?? code })
  }

  /** Queues an input and runs the loop unless already inside it (tick first when time moved). */
  input(input: ReplicaInput): void {
    this.#push(input)
    this.run()
  }

  /**
   * Steps every queued input, then performs the Ready they produced, until the queue is empty
   * (the answers to applies are inputs too). Stepping a batch before performing keeps the
   * order of effects: the core only appends them.
   */
  run(): void {
    if (this.#running) return
    this.#running = true
    try {
      while (this.#queue.length > 0) {
        // Inputs queued while this batch is stepped or performed go to the next batch.
        const batch = this.#queue
        this.#queue = []
        for (const next of batch) {
          this.#core.step(next)
          this.#sink.stepped()
        }
        while (this.#core.hasReady()) {
          const ready = this.#core.ready()
          this.#perform(ready)
          this.#core.advance(ready)
        }
        this.#sink.performed?.()
      }
    } finally {
      this.#running = false
    }
  }

  #push(input: ReplicaInput): void {
    const nowMs = this.#clock.nowMs()
    if (input.kind !== 'tick' && nowMs > this.#lastTickMs) {
      this.#queue.push({ kind: 'tick', nowMs })
    }
    if (input.kind === 'tick' || nowMs > this.#lastTickMs) this.#lastTickMs = nowMs
    this.#queue.push(input)
  }

  #perform(ready: ReplicaReady): void {
    for (const effect of ready.applies) {
      // After a failed apply the session stops; later applies of the same Ready are moot.
      if (!this.#apply(effect)) break
    }
    for (const message of ready.messages) this.#send(encodeMessage(message))
    if (ready.close) this.#link?.close()
    for (const notification of ready.notifications) this.#sink.notify(notification)
    if (ready.stopped !== null) {
      this.stopTicking()
      this.#sink.stopped(ready.stopped)
    }
  }

  #send(frame: Uint8Array): void {
    try {
      this.#link?.send(frame)
    } catch (error) {
      // A link that closed under us reports itself with `disconnected`.
      if (!(error instanceof TandemError)) throw error
    }
  }

  /** Performs one apply effect on the engine; queues its answer. False when it failed. */
  #apply(effect: ReplicaApply): boolean {
    try {
      this.#applyToEngine(effect)
    } catch (error) {
      if (!(error instanceof TandemError) || error.code === 'TDB_INTERNAL') throw error
      this.#queue.push({ kind: 'applyFailed', code: error.code, message: error.message })
      return false
    }
    if (effect.kind === 'applyChangeSet' || effect.kind === 'setSequencer') {
      this.#queue.push({ kind: 'applied', seq: effect.seq })
    }
    return true
  }

  #applyToEngine(effect: ReplicaApply): void {
    const engine = this.#engine
    switch (effect.kind) {
      case 'clear':
        engine.clear()
        return
      case 'loadObjects':
        engine.loadObjects(effect.ops, isLocalOf(effect.skipClassIds))
        return
      case 'applyChangeSet':
        engine.applyChangeSet(effect.changeSet, { isLocal: isLocalOf(effect.skipClassIds) })
        return
      case 'setSequencer':
        engine.setSequencer(effect.seq)
        return
      case 'extend':
        engine.extend(effect.bytes)
        return
      default:
        unreachable(effect, 'replica apply')
    }
  }
}

function isLocalOf(skipClassIds: readonly number[]): ((classId: number) => boolean) | undefined {
  if (skipClassIds.length === 0) return undefined
  return (classId) => skipClassIds.includes(classId)
}

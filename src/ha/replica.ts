/**
 * ReplicaCore: one attach session of a replica (one eXtremeDB `mco_HA_attach_master` call) as
 * a pure state machine (see README.md for the state diagram). It sends Attach, follows the
 * master's initial sync and live stream, and asks the runtime to apply what arrives; the
 * runtime answers every apply that carries a sequencer with `applied` (or `applyFailed`).
 *
 * @example
 * const replica = new ReplicaCore(replicaConfig({ dbName, classes }), { seq: 0n, generation: 0 })
 * replica.step({ kind: 'connected' })
 * replica.step({ kind: 'received', message })
 * const ready = replica.ready() // applies, messages, close, notifications, stopped
 * replica.advance(ready)
 */
import type { ErrorCode } from '../errors.js'
import { assert, unreachable } from '../util/assert.js'
import { skippedClassIds } from './dictionary-check.js'
import type { ReplicaInput } from './inputs.js'
import * as M from './messages.js'
import type { Message, ReplicationMode, SyncKind } from './messages.js'
import { notification, StopReason } from './notify.js'
import type { Notification, NotificationName, StopReasonName } from './notify.js'
import { dropPerformed, readyList } from './ready.js'
import type { Core, ReplicaApply, ReplicaReady } from './ready.js'
import type { ReplicaConfig } from './replica-config.js'
import type { ReplicaState, ReplicaStatus } from './status.js'
import { Timeout } from './timeout.js'

/** An apply effect that the runtime must answer with `applied`. */
interface PendingApply {
  readonly seq: bigint
  /** True for the setSequencer that ends a full load. */
  readonly loadEnd: boolean
  readonly sentAtMs: number
}

/** Where the replica's data stands when the session starts. */
export interface ReplicaStart {
  /** The replica database's sequencer. */
  readonly seq: bigint
  /** The generation its data belongs to. */
  readonly generation: number
  /** The clock at construction (default 0). */
  readonly nowMs?: number
}

/** A sequencer below every real one: nothing received or confirmed. */
const NOTHING = -1n

export class ReplicaCore implements Core<ReplicaInput, ReplicaReady> {
  readonly #config: ReplicaConfig
  readonly #skipClassIds: readonly number[]
  readonly #startSeq: bigint
  readonly #startGeneration: number
  readonly #waitData: Timeout
  readonly #initial: Timeout
  /** Objects received in load batches (progress of the initial load). */
  #loadedObjects = 0
  #state: ReplicaState = 'idle'
  #nowMs: number
  #mode: ReplicationMode | null = null
  #sync: SyncKind | null = null
  #masterGeneration: number | null = null
  #masterSeqAtAttach: bigint | null = null
  /** Full load: LoadBegin was received. */
  #loadBegun = false
  /** The sequencer that ends the initial sync (StatefulEnd), or null. */
  #statefulEndSeq: bigint | null = null
  #appliedSeq: bigint
  #receivedSeq: bigint
  #pending: PendingApply[] = []
  /** The replica must ack once applied reaches this sequencer. */
  #ackWantedSeq: bigint | null = null
  #lastAckedSeq: bigint
  #lastAckAtMs: number

  #applies: ReplicaApply[] = []
  #messages: Message[] = []
  #close = false
  #notifications: Notification[] = []
  #stopped: ReplicaReady['stopped'] = null
  #stoppedReported = false
  /** A Ready was handed out and not advanced yet: waiting effects must not change. */
  #readyOut = false

  constructor(config: ReplicaConfig, start: ReplicaStart) {
    assert(start.seq >= 0n, 'the replica sequencer is negative')
    assert(Number.isSafeInteger(start.generation) && start.generation >= 0, 'bad generation')
    this.#config = config
    this.#skipClassIds = Object.freeze(skippedClassIds(config.classes, config.filter))
    this.#startSeq = start.seq
    this.#startGeneration = start.generation
    this.#appliedSeq = start.seq
    this.#receivedSeq = start.seq
    this.#lastAckedSeq = start.seq
    this.#nowMs = start.nowMs ?? 0
    this.#lastAckAtMs = this.#nowMs
    this.#waitData = new Timeout('waitDataTimeoutMs', config.waitDataTimeoutMs)
    this.#initial = new Timeout('initialTimeoutMs', config.initialTimeoutMs)
    this.invariants()
  }

  get state(): ReplicaState {
    return this.#state
  }

  status(): ReplicaStatus {
    return {
      state: this.#state,
      mode: this.#mode,
      sync: this.#sync,
      appliedSeq: this.#appliedSeq,
      receivedSeq: this.#receivedSeq,
      masterGeneration: this.#masterGeneration,
      masterSeqAtAttach: this.#masterSeqAtAttach,
      loadedObjects: this.#loadedObjects,
    }
  }

  step(input: ReplicaInput): void {
    if (this.#state === 'stopped') {
      // The session is over; late inputs (a tick, an apply finishing, a last frame) are moot.
      return
    }
    switch (input.kind) {
      case 'tick':
        this.#onTick(input.nowMs)
        break
      case 'connected':
        this.#onConnected()
        break
      case 'connectFailed':
        this.#notify('CONNECT_FAILED', { param1: input.code })
        this.#stop('CONNECTION_ABORTED', input.code, 'could not connect to the master')
        break
      case 'received':
        this.#onReceived(input.message)
        break
      case 'disconnected':
        this.#connectionLost(input.code ?? 'TDB_CONNECTION_BROKEN', 'the master connection closed')
        break
      case 'applied':
        this.#onApplied(input.seq)
        break
      case 'applyFailed':
        this.#onApplyFailed(input.code, input.message)
        break
      case 'cancel':
        this.#stop('STOPPED_BY_LOCAL_REQUEST', 'TDB_CANCELLED', 'the attach was cancelled')
        break
      case 'stop':
        if (this.#state !== 'idle') this.#messages.push(M.Detach.create({ message: 'stopped' }))
        this.#stop('STOPPED_BY_LOCAL_REQUEST', null, 'stopped by a local request')
        break
      case 'becomeMaster':
        this.#stop('BECOMES_MASTER', null, 'this node becomes the master')
        break
      default:
        unreachable(input, 'replica input')
    }
    this.invariants()
  }

  hasReady(): boolean {
    return (
      this.#applies.length > 0 ||
      this.#messages.length > 0 ||
      this.#close ||
      this.#notifications.length > 0 ||
      (this.#stopped !== null && !this.#stoppedReported)
    )
  }

  ready(): ReplicaReady {
    this.#readyOut = true
    return Object.freeze({
      applies: readyList(this.#applies),
      messages: readyList(this.#messages),
      close: this.#close,
      notifications: readyList(this.#notifications),
      stopped: this.#stoppedReported ? null : this.#stopped,
    })
  }

  /** Drops the effects of `ready` (a prefix of what is waiting; that is checked). */
  advance(ready: ReplicaReady): void {
    assert(ready.applies[0] === this.#applies[0], 'advance() got a Ready that is not waiting')
    assert(ready.messages[0] === this.#messages[0], 'advance() got a Ready that is not waiting')
    this.#readyOut = false
    dropPerformed(this.#applies, ready.applies.length)
    dropPerformed(this.#messages, ready.messages.length)
    dropPerformed(this.#notifications, ready.notifications.length)
    if (ready.close) this.#close = false
    if (ready.stopped !== null) this.#stoppedReported = true
  }

  invariants(): void {
    // A full load replaces the database, so the positions compare only outside of one.
    const settled = this.#state === 'streaming' || this.#state === 'catching-up'
    assert(!settled || this.#appliedSeq <= this.#receivedSeq, 'applied is after received')
    assert(!settled || this.#lastAckedSeq <= this.#appliedSeq, 'acked is after applied')
    // Pushes assert the order of each pending apply, so the ends suffice here (a batch of
    // frames can leave thousands pending, and this runs after every step).
    const first = this.#pending[0]
    const last = this.#pending[this.#pending.length - 1]
    assert(first === undefined || last === undefined || first.seq <= last.seq,
      'pending applies are out of order')
    assert(this.#state !== 'idle' || this.#pending.length === 0, 'applies before connecting')
    assert((this.#state === 'stopped') === (this.#stopped !== null), 'stopped state and effect')
    const inSession = this.#state !== 'idle' && this.#state !== 'stopped'
    assert(!inSession || this.#waitData.running, 'the wait-data timeout runs in a session')
  }

  // ---- inputs ----

  #onTick(nowMs: number): void {
    assert(Number.isFinite(nowMs) && nowMs >= this.#nowMs, 'the clock went backwards')
    this.#nowMs = nowMs
    if (this.#state === 'idle') return
    if (this.#waitData.fired(nowMs)) {
      this.#connectionLost('TDB_TIMEOUT', 'no message from the master within waitDataTimeoutMs')
      return
    }
    if (this.#initial.fired(nowMs)) {
      this.#connectionLost('TDB_TIMEOUT', 'the initial synchronization took initialTimeoutMs')
      return
    }
    const oldest = this.#pending[0]
    if (oldest !== undefined && nowMs - oldest.sentAtMs >= this.#config.commitTimeoutMs) {
      this.#onApplyFailed('TDB_TIMEOUT', `applying ${oldest.seq} took commitTimeoutMs`)
      return
    }
    const sinceAckMs = nowMs - this.#lastAckAtMs
    const moved = this.#appliedSeq > this.#lastAckedSeq
    if (this.#state === 'streaming' && moved && sinceAckMs >= this.#config.confirmIntervalMs) {
      this.#sendAck()
    }
  }

  #onConnected(): void {
    assert(this.#state === 'idle', `connected in state ${this.#state}`)
    this.#state = 'handshake'
    this.#waitData.start(this.#nowMs)
    this.#initial.start(this.#nowMs)
    this.#messages.push(
      M.Attach.create({
        protocolVersion: M.PROTOCOL_VERSION,
        dbName: this.#config.dbName,
        classes: this.#config.classes,
        filter: this.#config.filter,
        seq: this.#startSeq,
        generation: this.#startGeneration,
        forceSync: this.#config.forceSync,
      }),
    )
  }

  #onReceived(message: Message): void {
    if (this.#state === 'idle') return
    this.#waitData.start(this.#nowMs)
    const state = this.#state
    switch (message.kind) {
      case 'AttachAccepted':
        if (state !== 'handshake') return this.#violation(message)
        return this.#onAccepted(message)
      case 'AttachRefused':
        if (state !== 'handshake') return this.#violation(message)
        return this.#stop('HANDSHAKE_FAILED', message.code, message.message)
      case 'LoadBegin':
        if (state !== 'loading' || this.#loadBegun) return this.#violation(message)
        return this.#onLoadBegin()
      case 'LoadBatch':
        if (state !== 'loading' || !this.#loadBegun) return this.#violation(message)
        this.#loadedObjects += message.ops.length
        return this.#apply({ kind: 'loadObjects', ops: message.ops, skipClassIds: this.#skip() })
      case 'LoadEnd':
        if (state !== 'loading' || !this.#loadBegun) return this.#violation(message)
        return this.#onLoadEnd(message.seq)
      case 'StatefulBegin':
        return this.#onStatefulBegin(message)
      case 'StatefulEnd':
        return this.#onStatefulEnd(message.seq)
      case 'Change':
        return this.#onChange(message)
      case 'AckRequest':
        if (state === 'handshake') return this.#violation(message)
        return this.#wantAck(message.seq)
      case 'KeepAlive':
        return
      case 'Detach':
        return this.#stop('MASTER_REQUESTED_DISCONNECT', null, message.message)
      case 'Extend':
        return this.#onExtend(message.bytes)
      case 'Attach':
      case 'Ack':
        return this.#violation(message)
      default:
        return unreachable(message, 'message kind')
    }
  }

  #onAccepted(accepted: M.AttachAccepted): void {
    this.#mode = accepted.mode
    this.#sync = accepted.sync
    this.#masterGeneration = accepted.generation
    this.#masterSeqAtAttach = accepted.masterSeq
    this.#notify('CONNECTED', { message: `attached, ${accepted.mode}, ${accepted.sync} sync` })
    if (accepted.sync === 'equal') {
      if (accepted.masterSeq !== this.#appliedSeq) {
        return this.#protocolError('equal sync with a different sequencer')
      }
      this.#notify('DB_EQUAL')
      this.#becomeStreaming()
    } else {
      this.#state = accepted.sync === 'full' ? 'loading' : 'catching-up'
    }
  }

  #onLoadBegin(): void {
    this.#loadBegun = true
    // The database is replaced: nothing of the new image is received or confirmed yet.
    this.#receivedSeq = NOTHING
    this.#lastAckedSeq = NOTHING
    this.#notify('DB_LOAD_BEGIN')
    this.#notify('HOTSYNC')
    this.#apply({ kind: 'clear' })
  }

  #onLoadEnd(seq: bigint): void {
    if (seq < this.#receivedSeq) {
      return this.#protocolError(`LoadEnd ${seq} before a change set it forwarded`)
    }
    this.#receivedSeq = seq
    this.#apply({ kind: 'setSequencer', seq })
    this.#addPending(seq, true)
  }

  #onStatefulBegin(begin: M.StatefulBegin): void {
    const ok = this.#state === 'catching-up' && this.#statefulEndSeq === null
    if (!ok) return this.#violation(begin)
    if (begin.fromSeq !== this.#receivedSeq + 1n || begin.toSeq < begin.fromSeq) {
      const at = this.#receivedSeq
      return this.#protocolError(`stateful sync from ${begin.fromSeq}, replica at ${at}`)
    }
    this.#notify('STATEFUL_SYNC', { param1: Number(begin.toSeq - begin.fromSeq + 1n) })
  }

  #onStatefulEnd(seq: bigint): void {
    if (this.#state !== 'catching-up' || this.#statefulEndSeq !== null) {
      return this.#protocolError('StatefulEnd out of place')
    }
    if (seq !== this.#receivedSeq) {
      const last = this.#receivedSeq
      return this.#protocolError(`StatefulEnd at ${seq}, but change sets stop at ${last}`)
    }
    this.#statefulEndSeq = seq
    this.#finishStatefulIfApplied()
  }

  #onChange(change: M.Change): void {
    if (this.#state === 'handshake') return this.#violation(change)
    if (this.#state === 'loading') {
      // Forwarded during a hot load: sequencers rise but may skip commits that touched only
      // objects the load had not reached yet.
      if (!this.#loadBegun || change.seq <= this.#receivedSeq) return this.#violation(change)
    } else if (change.seq <= this.#receivedSeq) {
      // A duplicate (an async sender may resend after a reconnect): already have it.
      return
    } else if (change.seq !== this.#receivedSeq + 1n) {
      return this.#protocolError(`change set ${change.seq} after ${this.#receivedSeq}: a gap`)
    }
    this.#receivedSeq = change.seq
    this.#apply({
      kind: 'applyChangeSet',
      seq: change.seq,
      changeSet: change.changeSet,
      skipClassIds: this.#skip(),
    })
    this.#addPending(change.seq, false)
    if (change.ack) this.#wantAck(change.seq)
  }

  #onExtend(bytes: number): void {
    this.#notify('MASTER_DB_EXTENDED', {
      param2: bytes,
      message: `the master database was extended by ${bytes} bytes`,
    })
    if (this.#config.autoExtend) this.#apply({ kind: 'extend', bytes })
  }

  #onApplied(seq: bigint): void {
    const head = this.#pending.shift()
    assert(head !== undefined && head.seq === seq, `applied ${seq} was not the next apply`)
    if (head.loadEnd) {
      this.#appliedSeq = seq
      this.#notify('EOHOTSYNC')
      this.#notify('DB_LOAD_OK')
      this.#becomeStreaming()
      this.#wantAck(seq)
      return
    }
    if (this.#state === 'loading') return
    this.#appliedSeq = seq
    this.#finishStatefulIfApplied()
    if (this.#ackWantedSeq !== null && this.#appliedSeq >= this.#ackWantedSeq) this.#sendAck()
  }

  #onApplyFailed(code: ErrorCode, message: string): void {
    const loading = this.#state === 'loading' || this.#state === 'catching-up'
    this.#notify(loading ? 'DB_LOAD_FAILED' : 'COMMIT_FAILED', { param1: code, message })
    this.#messages.push(M.Detach.create({ message: `the replica failed to apply: ${message}` }))
    this.#stop('CONNECTION_ABORTED', code, message)
  }

  // ---- helpers ----

  #becomeStreaming(): void {
    this.#state = 'streaming'
    this.#initial.stop()
  }

  #finishStatefulIfApplied(): void {
    const end = this.#statefulEndSeq
    if (end === null || this.#appliedSeq < end) return
    this.#statefulEndSeq = null
    this.#notify('STATEFUL_SYNC_END')
    this.#becomeStreaming()
    this.#wantAck(end)
  }

  #wantAck(seq: bigint): void {
    if (this.#ackWantedSeq === null || seq > this.#ackWantedSeq) this.#ackWantedSeq = seq
    const settled = this.#state !== 'loading' && this.#statefulEndSeq === null
    if (settled && this.#appliedSeq >= this.#ackWantedSeq) this.#sendAck()
  }

  #sendAck(): void {
    const ack = M.Ack.create({ seq: this.#appliedSeq })
    const last = this.#messages.length - 1
    // An Ack confirms everything up to its sequencer, so a newer one replaces an Ack still
    // waiting to be sent (a batch of applied change sets is answered once), unless a Ready
    // holding it was handed out and not yet advanced.
    if (!this.#readyOut && last >= 0 && this.#messages[last]?.kind === 'Ack') {
      this.#messages[last] = ack
    } else {
      this.#messages.push(ack)
    }
    this.#lastAckedSeq = this.#appliedSeq
    this.#lastAckAtMs = this.#nowMs
    if (this.#ackWantedSeq !== null && this.#appliedSeq >= this.#ackWantedSeq) {
      this.#ackWantedSeq = null
    }
  }

  #addPending(seq: bigint, loadEnd: boolean): void {
    const last = this.#pending[this.#pending.length - 1]
    assert(last === undefined || last.seq <= seq, `apply of ${seq} after ${last?.seq}`)
    this.#pending.push({ seq, loadEnd, sentAtMs: this.#nowMs })
  }

  #apply(effect: ReplicaApply): void {
    this.#applies.push(Object.freeze(effect))
  }

  #skip(): readonly number[] {
    return this.#skipClassIds
  }

  #violation(message: Message): void {
    this.#protocolError(`unexpected ${message.kind} in state ${this.#state}`)
  }

  #protocolError(why: string): void {
    this.#messages.push(M.Detach.create({ message: `protocol error: ${why}` }))
    this.#connectionLost('TDB_PROTOCOL', why)
  }

  /** The link failed (or is no longer trusted): a load in progress failed with it. */
  #connectionLost(code: ErrorCode, why: string): void {
    if (this.#state === 'loading') this.#notify('DB_LOAD_FAILED', { param1: code, message: why })
    this.#stop('CONNECTION_ABORTED', code, why)
  }

  #stop(reason: StopReasonName, code: ErrorCode | null, why: string): void {
    assert(this.#state !== 'stopped', 'stopped twice')
    if (this.#state === 'loading' && this.#loadBegun) {
      // A half-loaded database matches no state of the master: empty it, so that its
      // sequencer (0) tells the truth at the next attach.
      this.#apply({ kind: 'clear' })
    }
    if (this.#state !== 'idle') this.#close = true
    this.#state = 'stopped'
    this.#waitData.stop()
    this.#initial.stop()
    this.#pending = []
    this.#stopped = Object.freeze({ reason: StopReason[reason], code })
    const detail = code === null ? why : `${why} (${code})`
    this.#notify('REPLICA_STOPPED', { param1: StopReason[reason], message: `stopped: ${detail}` })
  }

  #notify(
    name: NotificationName,
    fields: { param1?: number | string; param2?: number; message?: string } = {},
  ): void {
    this.#notifications.push(notification(name, fields))
  }
}

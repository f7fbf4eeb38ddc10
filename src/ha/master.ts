/**
 * MasterCore: the master side of replication as a pure state machine (see README.md for the
 * per-connection state diagram). Inputs arrive with `step`; messages, closes, commit outcomes,
 * async-sender handoffs and notifications leave through `ready()` / `advance()`.
 *
 * @example
 * const master = new MasterCore(masterConfig({ classes }), view, { nowMs: 0 })
 * master.step({ kind: 'connected', conn: 1, channel: ':tcp:20000' })
 * master.step({ kind: 'received', conn: 1, message: attach })
 * const ready = master.ready()
 * master.advance(ready)
 */
import { ReplicationError } from '../errors.js'
import type { ErrorCode } from '../errors.js'
import { decodeChangeSet, encodeChangeSet, filterChangeSet } from '../txn/change-set.js'
import type { ChangeOp } from '../txn/change-set.js'
import type { CommitRecord } from '../txn/commit-hook.js'
import { assert, unreachable } from '../util/assert.js'
import { Backlog } from './backlog.js'
import { encodedSize } from './codec.js'
import { compareScanKeys } from './database-view.js'
import type { DatabaseView, ScanKey } from './database-view.js'
import { dictionaryMismatch, skippedClassIds } from './dictionary-check.js'
import type { ConnId, MasterInput } from './inputs.js'
import { checkInteger, checkQuorumModes } from './master-config.js'
import type { MasterConfig } from './master-config.js'
import * as M from './messages.js'
import type { Message, ReplicationMode, SyncKind } from './messages.js'
import { notification, StopReason } from './notify.js'
import type { NotificationName } from './notify.js'
import { dropPerformed, readyList } from './ready.js'
import type { AsyncStreamHandoff, CommitOutcome, Core, MasterNotification } from './ready.js'
import type { MasterReady, Outbound } from './ready.js'
import type { ChannelCounters, MasterStatus } from './status.js'
import type { ReplicaConnState, ReplicaConnStatus } from './status.js'
import { Timeout } from './timeout.js'
import { WaitingCommits } from './waiting-commits.js'
import { SeqQueue } from './seq-queue.js'

/** One replica connection as the master tracks it. */
interface ReplicaConn {
  readonly conn: ConnId
  readonly channel: string
  state: ReplicaConnState
  mode: ReplicationMode | null
  sync: SyncKind | null
  /** Runs from `connected` until the initial sync is acked. */
  readonly initialTimeout: Timeout
  /** Runs while the master waits for this connection to close after Detach. */
  readonly detachTimeout: Timeout
  /** Ack-requested sequencers not yet acked, with when they were sent. */
  readonly ackRequests: SeqQueue<{ readonly seq: bigint; readonly sentAtMs: number }>
  confirmedSeq: bigint
  /** The last sequencer sent in a Change to this replica (-1n: none). */
  lastChangeSeq: bigint
  lastSentAtMs: number
  /** Hot load: the last (classId, rid) scanned and sent; null before the first batch. */
  loadScannedTo: ScanKey | null
  /** Hot load: per class, the rid bound taken when the load began (see DatabaseView). */
  loadHighWater: ReadonlyMap<number, number> | null
  /** Hot-load progress: objects sent, of those there when the load began (null: no load). */
  loadSentObjects: number
  loadTotalObjects: number | null
  /** The sequencer that ends the initial sync (LoadEnd / StatefulEnd), acked to finish it. */
  endSeq: bigint
  /** True once the live stream was handed to the runtime's async sender. */
  handedOff: boolean
}

const NO_SEQ = -1n

export class MasterCore implements Core<MasterInput, MasterReady> {
  readonly #view: DatabaseView
  readonly #config: MasterConfig
  readonly #skipClassIds: readonly number[]
  readonly #backlog: Backlog
  readonly #waiting = new WaitingCommits()
  readonly #conns = new Map<ConnId, ReplicaConn>()
  #quorum: number
  #windowSize: number
  /** Commits since the last ack request of the window. */
  #windowCount = 0
  #seq: bigint
  #nowMs: number
  #stopping = false
  #stoppedReported = false

  #messages: Outbound[] = []
  #asyncStreams: AsyncStreamHandoff[] = []
  #closes: ConnId[] = []
  #outcomes: CommitOutcome[] = []
  #notifications: MasterNotification[] = []
  #stoppedPending = false

  constructor(config: MasterConfig, view: DatabaseView, options: { nowMs?: number } = {}) {
    checkQuorumModes(config.quorum, config.mode, config.windowSize)
    this.#config = config
    this.#view = view
    this.#quorum = config.quorum
    this.#windowSize = config.windowSize
    this.#skipClassIds = Object.freeze(skippedClassIds(config.classes, config.filter))
    this.#backlog = new Backlog(config.transLogLength)
    this.#seq = view.getSequencer()
    this.#nowMs = options.nowMs ?? 0
    assert(this.#seq >= 0n, 'the database sequencer is negative')
    this.invariants()
  }

  /** The sequencer of the last commit the master heard of. */
  get seq(): bigint {
    return this.#seq
  }

  get quorum(): number {
    return this.#quorum
  }

  get windowSize(): number {
    return this.#windowSize
  }

  /** Sync replicas that stream live: what a quorum counts. */
  activeSyncReplicas(): number {
    let count = 0
    for (const replica of this.#conns.values()) {
      if (replica.state === 'streaming' && replica.mode === 'sync') count += 1
    }
    return count
  }

  /**
   * The commit hook's `checkWrite`: throws TDB_NO_QUORUM when fewer than `quorum` sync
   * replicas stream.
   */
  checkWrite(): void {
    const active = this.activeSyncReplicas()
    if (active < this.#quorum) {
      throw new ReplicationError(
        'TDB_NO_QUORUM',
        `${active} active sync replicas, the quorum is ${this.#quorum}`,
        { active, quorum: this.#quorum },
      )
    }
  }

  step(input: MasterInput): void {
    switch (input.kind) {
      case 'tick':
        this.#onTick(input.nowMs)
        break
      case 'connected':
        this.#onConnected(input.conn, input.channel)
        break
      case 'received':
        this.#onReceived(input.conn, input.message)
        break
      case 'disconnected':
        this.#onDisconnected(input.conn, input.code)
        break
      case 'committed':
        this.#onCommitted(input.record)
        break
      case 'extended':
        this.#onExtended(input.bytes)
        break
      case 'commitWindow':
        this.#onCommitWindow()
        break
      case 'setQuorum':
        checkInteger('quorum', input.quorum, 0, 65_535)
        checkQuorumModes(input.quorum, this.#config.mode, this.#windowSize)
        this.#quorum = input.quorum
        break
      case 'setWindowSize':
        checkInteger('windowSize', input.windowSize, 1, 1_000_000)
        checkQuorumModes(this.#quorum, this.#config.mode, input.windowSize)
        this.#windowSize = input.windowSize
        this.#windowCount = Math.min(this.#windowCount, input.windowSize - 1)
        break
      case 'reset':
        this.#onReset()
        break
      case 'detach':
        this.#onDetachCommand(input.conn)
        break
      case 'detachAll':
        for (const conn of [...this.#conns.keys()]) this.#detach(conn, 'detached by the master')
        break
      case 'stop':
        this.#stopping = true
        for (const conn of [...this.#conns.keys()]) this.#detach(conn, 'the master stopped')
        break
      default:
        unreachable(input, 'master input')
    }
    this.#releaseOutcomes()
    this.#reportStopped()
    this.invariants()
  }

  hasReady(): boolean {
    return (
      this.#messages.length > 0 ||
      this.#asyncStreams.length > 0 ||
      this.#closes.length > 0 ||
      this.#outcomes.length > 0 ||
      this.#notifications.length > 0 ||
      this.#stoppedPending
    )
  }

  ready(): MasterReady {
    return Object.freeze({
      messages: readyList(this.#messages),
      asyncStreams: readyList(this.#asyncStreams),
      closes: readyList(this.#closes),
      commitOutcomes: readyList(this.#outcomes),
      notifications: readyList(this.#notifications),
      stopped: this.#stoppedPending,
    })
  }

  /**
   * Drops the effects of `ready`. Effects are only ever appended, so a Ready taken before
   * further steps is still a prefix of what is waiting; that is checked.
   */
  advance(ready: MasterReady): void {
    assert(ready.messages[0] === this.#messages[0], 'advance() got a Ready that is not waiting')
    assert(ready.commitOutcomes[0] === this.#outcomes[0], 'advance() got a stale Ready')
    dropPerformed(this.#messages, ready.messages.length)
    dropPerformed(this.#asyncStreams, ready.asyncStreams.length)
    dropPerformed(this.#closes, ready.closes.length)
    dropPerformed(this.#outcomes, ready.commitOutcomes.length)
    dropPerformed(this.#notifications, ready.notifications.length)
    if (ready.stopped) this.#stoppedPending = false
  }

  /** Status of the master and of every replica connection (Slony sl_status). */
  status(counters?: ReadonlyMap<ConnId, ChannelCounters>): MasterStatus {
    const replicas: ReplicaConnStatus[] = []
    for (const replica of this.#conns.values()) {
      const bytes = counters?.get(replica.conn)
      replicas.push({
        conn: replica.conn,
        channel: replica.channel,
        mode: replica.mode,
        state: replica.state,
        sync: replica.sync,
        confirmedSeq: replica.confirmedSeq,
        lagTransactions: this.#seq - (replica.confirmedSeq < 0n ? 0n : replica.confirmedSeq),
        lagMs: this.#lagMs(replica.confirmedSeq),
        bytesSent: bytes?.bytesSent ?? null,
        bytesReceived: bytes?.bytesReceived ?? null,
        loadSentObjects: replica.loadSentObjects,
        loadTotalObjects: replica.loadTotalObjects,
      })
    }
    return {
      seq: this.#seq,
      generation: this.#config.generation,
      mode: this.#config.mode,
      windowSize: this.#windowSize,
      quorum: this.#quorum,
      activeSyncReplicas: this.activeSyncReplicas(),
      backlogLength: this.#backlog.length,
      backlogFirstSeq: this.#backlog.firstSeq,
      commitsWaiting: this.#waiting.length,
      stopping: this.#stopping,
      replicas,
    }
  }

  invariants(): void {
    assert(this.#windowCount >= 0 && this.#windowCount < this.#windowSize, 'window count bounds')
    checkQuorumModes(this.#quorum, this.#config.mode, this.#windowSize)
    assert(this.#conns.size <= this.#config.maxReplicas + this.#handshakes(), 'too many replicas')
    this.#backlog.invariants()
    const lastBacklogSeq = this.#backlog.lastSeq
    assert(lastBacklogSeq === null || lastBacklogSeq === this.#seq, 'backlog ends at the master')
    this.#waiting.invariants(this.#seq)
    for (const replica of this.#conns.values()) {
      assert(replica.lastChangeSeq <= this.#seq, 'a replica was sent a future change set')
      assert(replica.confirmedSeq <= this.#seq, 'a replica confirmed a future change set')
      replica.ackRequests.invariants()
      const lastRequest = replica.ackRequests.last
      assert(lastRequest === undefined || lastRequest.seq <= replica.lastChangeSeq,
        'an ack was requested for a change set that was not sent')
      assert(!replica.handedOff || replica.mode === 'async', 'only async replicas are handed off')
    }
    assert(!this.#stoppedReported || this.#conns.size === 0, 'stopped with replicas attached')
  }

  // ---- inputs ----

  #onTick(nowMs: number): void {
    assert(Number.isFinite(nowMs) && nowMs >= this.#nowMs, 'the clock went backwards')
    this.#nowMs = nowMs
    for (const replica of [...this.#conns.values()]) this.#tickReplica(replica)
  }

  #tickReplica(replica: ReplicaConn): void {
    const now = this.#nowMs
    if (replica.state === 'detaching') {
      if (replica.detachTimeout.fired(now)) {
        this.#remove(replica, 'MASTER_REQUESTED_DISCONNECT', true)
      }
      return
    }
    if (replica.initialTimeout.fired(now)) {
      this.#detach(replica.conn, 'the initial synchronization timed out')
      return
    }
    const oldestRequest = replica.ackRequests.first
    const synchTimeoutMs = this.#config.synchTimeoutMs
    if (oldestRequest !== undefined && now - oldestRequest.sentAtMs >= synchTimeoutMs) {
      this.#detach(replica.conn, `no ack of ${oldestRequest.seq} within synchTimeoutMs`)
      return
    }
    const batches = this.#config.hotsyncBatchesPerTick
    for (let i = 0; i < batches && replica.state === 'loading'; i++) this.#sendLoadBatch(replica)
    const idleMs = now - replica.lastSentAtMs
    if (replica.state !== 'handshake' && idleMs >= this.#config.keepAliveIntervalMs) {
      this.#send(replica, M.KeepAlive.create({}))
    }
  }

  #onConnected(conn: ConnId, channel: string): void {
    assert(!this.#conns.has(conn), `connection ${conn} is already known`)
    if (this.#stopping) {
      // A stopped master takes no replicas; the connection is closed before any handshake.
      this.#closes.push(conn)
      return
    }
    const replica: ReplicaConn = {
      conn,
      channel,
      state: 'handshake',
      mode: null,
      sync: null,
      initialTimeout: new Timeout('initialTimeoutMs', this.#config.initialTimeoutMs),
      detachTimeout: new Timeout('detachTimeoutMs', this.#config.detachTimeoutMs),
      ackRequests: new SeqQueue(),
      confirmedSeq: NO_SEQ,
      lastChangeSeq: NO_SEQ,
      lastSentAtMs: this.#nowMs,
      loadScannedTo: null,
      loadHighWater: null,
      loadSentObjects: 0,
      loadTotalObjects: null,
      endSeq: NO_SEQ,
      handedOff: false,
    }
    replica.initialTimeout.start(this.#nowMs)
    this.#conns.set(conn, replica)
  }

  #onReceived(conn: ConnId, message: Message): void {
    const replica = this.#conns.get(conn)
    // Messages can still arrive from a connection that was just closed: drop them.
    if (replica === undefined || replica.state === 'detaching') return
    if (message.kind === 'Attach' && replica.state === 'handshake') {
      this.#onAttach(replica, message)
    } else if (message.kind === 'Ack' && replica.state !== 'handshake') {
      this.#onAck(replica, message.seq)
    } else if (message.kind === 'Detach') {
      this.#remove(replica, 'STOPPED_BY_LOCAL_REQUEST', true)
    } else {
      this.#protocolViolation(replica, `unexpected ${message.kind} in state ${replica.state}`)
    }
  }

  #onDisconnected(conn: ConnId, code: ErrorCode | null): void {
    const replica = this.#conns.get(conn)
    if (replica === undefined) return
    const reason =
      replica.state === 'detaching' ? 'MASTER_REQUESTED_DISCONNECT' : 'CONNECTION_ABORTED'
    this.#remove(replica, reason, false, code)
  }

  #onCommitted(record: CommitRecord): void {
    assert(record.seq > this.#seq, `commit ${record.seq} is not after ${this.#seq}`)
    this.#seq = record.seq
    const changeSet =
      this.#skipClassIds.length > 0 && record.hasLocal
        ? filterChangeSet(record.changeSet, (id) => this.#skipClassIds.includes(id))
        : record.changeSet
    this.#backlog.push({ seq: record.seq, changeSet, atMs: this.#nowMs })
    this.#windowCount += 1
    const ack = this.#windowCount >= this.#windowSize
    if (ack) this.#windowCount = 0
    const waitingOn: ConnId[] = []
    for (const replica of this.#conns.values()) {
      if (replica.state === 'loading') this.#forwardDuringLoad(replica, record.seq, changeSet)
      if (!this.#streamsLive(replica) || replica.mode !== 'sync') continue
      this.#sendChange(replica, record.seq, changeSet, ack)
      waitingOn.push(replica.conn)
    }
    this.#waiting.add(record.seq, waitingOn)
  }

  #onExtended(bytes: number): void {
    checkInteger('bytes', bytes, 0, Number.MAX_SAFE_INTEGER)
    for (const replica of this.#conns.values()) {
      if (replica.state !== 'handshake') this.#send(replica, M.Extend.create({ bytes }))
    }
  }

  #onCommitWindow(): void {
    this.#windowCount = 0
    for (const replica of this.#conns.values()) {
      if (!this.#streamsLive(replica) || replica.mode !== 'sync') continue
      const lastRequest = replica.ackRequests.last?.seq ?? NO_SEQ
      const outstanding = replica.lastChangeSeq > replica.confirmedSeq
      if (!outstanding || lastRequest >= replica.lastChangeSeq) continue
      this.#send(replica, M.AckRequest.create({ seq: replica.lastChangeSeq }))
      replica.ackRequests.push({ seq: replica.lastChangeSeq, sentAtMs: this.#nowMs })
    }
  }

  #onReset(): void {
    for (const replica of [...this.#conns.values()]) {
      this.#waiting.detached(replica.conn)
      if (replica.state !== 'handshake' && replica.state !== 'detaching') {
        this.#send(replica, M.Detach.create({ message: 'the master database was replaced' }))
      }
      this.#remove(replica, 'MASTER_REQUESTED_DISCONNECT', true)
    }
    this.#releaseOutcomes()
    this.#waiting.restart()
    this.#backlog.clear()
    this.#windowCount = 0
    this.#seq = this.#view.getSequencer()
    assert(this.#seq >= 0n, 'the database sequencer is negative')
  }

  #onDetachCommand(conn: ConnId): void {
    if (!this.#conns.has(conn)) {
      throw new ReplicationError('TDB_INVALID_PARAMETER', `no replica on connection ${conn}`, {
        conn,
      })
    }
    this.#detach(conn, 'detached by the master')
  }

  // ---- attach and initial synchronization ----

  #onAttach(replica: ReplicaConn, attach: M.Attach): void {
    const refusal = this.#refusal(attach)
    if (refusal !== null) {
      this.#send(replica, M.AttachRefused.create(refusal))
      this.#remove(replica, 'HANDSHAKE_FAILED', true, refusal.code)
      return
    }
    replica.mode = this.#config.mode === 'sync' || attach.forceSync ? 'sync' : 'async'
    replica.sync = this.#syncKind(attach)
    this.#send(
      replica,
      M.AttachAccepted.create({
        mode: replica.mode,
        windowSize: this.#windowSize,
        sync: replica.sync,
        masterSeq: this.#seq,
        memorySizeBytes: this.#view.memorySizeBytes,
        generation: this.#config.generation,
      }),
    )
    this.#notify(replica, 'CONNECTED', { message: `replica attached over ${replica.channel}` })
    if (replica.sync === 'equal') this.#syncEqual(replica)
    else if (replica.sync === 'stateful') this.#syncStateful(replica, attach.seq)
    else this.#beginLoad(replica)
  }

  #refusal(attach: M.Attach): { code: ErrorCode; message: string } | null {
    if (attach.protocolVersion !== M.PROTOCOL_VERSION) {
      const version = attach.protocolVersion
      const message = `protocol version ${version}, master speaks ${M.PROTOCOL_VERSION}`
      return { code: 'TDB_PROTOCOL', message }
    }
    if (this.#stopping) return { code: 'TDB_STOPPED', message: 'the master is stopping' }
    const attached = this.#conns.size - this.#handshakes()
    if (attached >= this.#config.maxReplicas) {
      const message = `the master already serves ${attached} replicas (maxReplicas)`
      return { code: 'TDB_MAX_REPLICAS', message }
    }
    const mismatch = dictionaryMismatch(this.#config, attach)
    if (mismatch !== null) return { code: 'TDB_DICTIONARY_MISMATCH', message: mismatch }
    if (attach.generation > this.#config.generation) {
      const generations = `${attach.generation}, the master ${this.#config.generation}`
      const message = `the replica has generation ${generations}`
      return { code: 'TDB_PROTOCOL', message }
    }
    return null
  }

  /** Equal needs the same history; stateful needs it and the backlog; else a full load. */
  #syncKind(attach: M.Attach): SyncKind {
    if (attach.generation !== this.#config.generation || attach.seq > this.#seq) return 'full'
    if (attach.seq === this.#seq) return 'equal'
    return this.#backlog.coversAfter(attach.seq) ? 'stateful' : 'full'
  }

  #syncEqual(replica: ReplicaConn): void {
    this.#notify(replica, 'DB_EQUAL')
    replica.confirmedSeq = this.#seq
    replica.lastChangeSeq = this.#seq
    replica.endSeq = this.#seq
    this.#startLiveStream(replica)
    this.#finishInitialSync(replica)
  }

  #syncStateful(replica: ReplicaConn, fromSeq: bigint): void {
    this.#notify(replica, 'STATEFUL_SYNC', { param1: Number(this.#seq - fromSeq) })
    replica.confirmedSeq = fromSeq
    replica.lastChangeSeq = fromSeq
    this.#send(replica, M.StatefulBegin.create({ fromSeq: fromSeq + 1n, toSeq: this.#seq }))
    for (const entry of this.#backlog.entriesAfter(fromSeq)) {
      this.#sendChange(replica, entry.seq, entry.changeSet, false)
    }
    this.#send(replica, M.StatefulEnd.create({ seq: this.#seq }))
    replica.endSeq = this.#seq
    replica.state = 'catching-up'
    this.#startLiveStream(replica)
  }

  #beginLoad(replica: ReplicaConn): void {
    this.#notify(replica, 'DB_LOAD_BEGIN')
    this.#notify(replica, 'HOTSYNC')
    replica.state = 'loading'
    replica.loadHighWater = new Map(
      this.#config.classes.map((c) => [c.id, this.#view.slotHighWater(c.id)]),
    )
    replica.loadTotalObjects = this.#config.classes
      .filter((c) => !this.#skipClassIds.includes(c.id))
      .reduce((total, c) => total + this.#view.objectCount(c.id), 0)
    const batchObjects = this.#config.hotsyncMsgObjects
    this.#send(replica, M.LoadBegin.create({ masterSeq: this.#seq, batchObjects }))
    this.#sendLoadBatch(replica)
  }

  /**
   * Sends the next batch of a hot load: objects after the last one scanned, at most
   * hotsyncMsgObjects and about hotsyncMsgBytes. The scan resumes just after the last key
   * scanned (not at the view's `next`) so that an object inserted into a gap the scan already
   * passed is forwarded with its change set and never missed.
   */
  #sendLoadBatch(replica: ReplicaConn): void {
    const last = replica.loadScannedTo
    const from = last === null ? null : { classId: last.classId, rid: last.rid + 1 }
    const scan = this.#view.scan(from, this.#config.hotsyncMsgObjects)
    assert(scan.ops.length <= this.#config.hotsyncMsgObjects, 'scan returned too many objects')
    const ops: ChangeOp[] = []
    let bytes = 0
    let complete = scan.next === null
    for (const [index, op] of scan.ops.entries()) {
      const key = { classId: op[1], rid: op[3] }
      assert(last === null || compareScanKeys(key, last) > 0, 'scan went backwards')
      if (this.#createdDuringLoad(replica, key)) {
        // This class is scanned to its bound: what lies beyond was forwarded live. The scan
        // resumes at the next class, so a load ends however fast writers insert.
        replica.loadScannedTo = { classId: key.classId, rid: Number.MAX_SAFE_INTEGER - 1 }
        complete = false
        break
      }
      if (!this.#skipClassIds.includes(op[1])) {
        bytes += encodedSize(op)
        ops.push(op)
      }
      replica.loadScannedTo = key
      if (bytes >= this.#config.hotsyncMsgBytes && index < scan.ops.length - 1) {
        complete = false
        break
      }
    }
    replica.loadSentObjects += ops.length
    if (ops.length > 0) this.#send(replica, M.LoadBatch.create({ ops }))
    if (complete) this.#endLoad(replica)
  }

  /**
   * A commit during a hot load reaches the loading replica for objects the load already sent
   * (at or before the scan position) and for objects created after the load began (at or past
   * their class's bound, which the scan never reaches); other objects will be scanned with
   * their new state.
   */
  #forwardDuringLoad(replica: ReplicaConn, seq: bigint, changeSet: Uint8Array): void {
    const position = replica.loadScannedTo
    const ops = decodeChangeSet(changeSet).ops.filter((op) => {
      const key = { classId: op[1], rid: op[3] }
      const scanned = position !== null && compareScanKeys(key, position) <= 0
      return scanned || this.#createdDuringLoad(replica, key)
    })
    if (ops.length === 0) return
    this.#sendChange(replica, seq, encodeChangeSet({ seq, ops }), false)
  }

  /** True for a slot at or past its class's bound: its object was created during the load. */
  #createdDuringLoad(replica: ReplicaConn, key: ScanKey): boolean {
    const highWater = replica.loadHighWater?.get(key.classId)
    return highWater !== undefined && key.rid >= highWater
  }

  #endLoad(replica: ReplicaConn): void {
    this.#send(replica, M.LoadEnd.create({ seq: this.#seq }))
    this.#notify(replica, 'EOHOTSYNC')
    replica.endSeq = this.#seq
    replica.lastChangeSeq = this.#seq
    replica.state = 'catching-up'
    this.#startLiveStream(replica)
  }

  /** From here the replica gets every commit: sync ones from the core, async ones handed off. */
  #startLiveStream(replica: ReplicaConn): void {
    if (replica.mode !== 'async') return
    replica.handedOff = true
    this.#asyncStreams.push(
      Object.freeze({
        conn: replica.conn,
        fromSeq: replica.endSeq,
        skipClassIds: this.#skipClassIds,
      }),
    )
  }

  #finishInitialSync(replica: ReplicaConn): void {
    replica.state = 'streaming'
    replica.initialTimeout.stop()
  }

  #onAck(replica: ReplicaConn, seq: bigint): void {
    if (seq > this.#seq) {
      this.#protocolViolation(replica, `ack of ${seq}, after the master's ${this.#seq}`)
      return
    }
    if (seq > replica.confirmedSeq) replica.confirmedSeq = seq
    replica.ackRequests.dropThrough(seq)
    if (replica.mode === 'sync') this.#waiting.acked(replica.conn, seq)
    if (replica.state === 'catching-up' && seq >= replica.endSeq) {
      this.#notify(replica, replica.sync === 'full' ? 'DB_LOAD_OK' : 'STATEFUL_SYNC_END')
      this.#finishInitialSync(replica)
    }
  }

  // ---- detach and removal ----

  /**
   * Detaches a replica: commits waiting on it become replica-detached at once; Detach is sent
   * and the connection closes when the replica closes it or after detachTimeoutMs. With
   * detachTimeoutMs 0 no Detach is sent and the connection closes at once (eXtremeDB).
   */
  #detach(conn: ConnId, why: string): void {
    const replica = this.#conns.get(conn)
    assert(replica !== undefined, `detach of unknown connection ${conn}`)
    if (replica.state === 'detaching') return
    this.#waiting.detached(conn)
    if (this.#config.detachTimeoutMs === 0 || replica.state === 'handshake') {
      this.#remove(replica, 'MASTER_REQUESTED_DISCONNECT', true)
      return
    }
    this.#send(replica, M.Detach.create({ message: why }))
    replica.state = 'detaching'
    replica.ackRequests.clear()
    replica.initialTimeout.stop()
    replica.detachTimeout.start(this.#nowMs)
  }

  #protocolViolation(replica: ReplicaConn, why: string): void {
    this.#waiting.detached(replica.conn)
    this.#remove(replica, 'CONNECTION_ABORTED', true, 'TDB_PROTOCOL', why)
  }

  /** Forgets a connection (closing it when asked) and says why with REPLICA_STOPPED. */
  #remove(
    replica: ReplicaConn,
    reason: keyof typeof StopReason,
    close: boolean,
    code: ErrorCode | null = null,
    why?: string,
  ): void {
    this.#waiting.detached(replica.conn)
    this.#conns.delete(replica.conn)
    if (close) this.#closes.push(replica.conn)
    const message = why ?? `replica stopped: ${reason.toLowerCase().replaceAll('_', ' ')}`
    this.#notify(replica, 'REPLICA_STOPPED', {
      param1: StopReason[reason],
      message: code === null ? message : `${message} (${code})`,
    })
  }

  // ---- helpers ----

  #streamsLive(replica: ReplicaConn): boolean {
    return replica.state === 'catching-up' || replica.state === 'streaming'
  }

  #sendChange(replica: ReplicaConn, seq: bigint, changeSet: Uint8Array, ack: boolean): void {
    assert(seq > replica.lastChangeSeq, `change ${seq} after ${replica.lastChangeSeq} to a replica`)
    assert(!replica.handedOff, 'the core sent a change set to a handed-off async replica')
    replica.lastChangeSeq = seq
    this.#send(replica, M.Change.create({ seq, changeSet, ack }))
    if (ack) replica.ackRequests.push({ seq, sentAtMs: this.#nowMs })
  }

  #send(replica: ReplicaConn, message: Message): void {
    replica.lastSentAtMs = this.#nowMs
    this.#messages.push(Object.freeze({ conn: replica.conn, message }))
  }

  #notify(
    replica: ReplicaConn,
    name: NotificationName,
    fields: { param1?: number | string; message?: string } = {},
  ): void {
    this.#notifications.push(
      Object.freeze({ conn: replica.conn, notification: notification(name, fields) }),
    )
  }

  #releaseOutcomes(): void {
    this.#outcomes.push(...this.#waiting.takeDecided())
  }

  #reportStopped(): void {
    if (!this.#stopping || this.#stoppedReported || this.#conns.size > 0) return
    this.#stoppedReported = true
    this.#stoppedPending = true
  }

  #handshakes(): number {
    let count = 0
    for (const replica of this.#conns.values()) if (replica.state === 'handshake') count += 1
    return count
  }

  #lagMs(confirmedSeq: bigint): number {
    if (confirmedSeq >= this.#seq) return 0
    const next = this.#backlog.get(confirmedSeq + 1n)
    const oldest = next ?? this.#backlog.get(this.#backlog.firstSeq ?? NO_SEQ)
    return oldest === undefined ? 0 : this.#nowMs - oldest.atMs
  }
}

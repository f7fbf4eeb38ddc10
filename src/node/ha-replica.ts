/**
 * HaReplica: a database that follows a master (DESIGN "Replication"; eXtremeDB
 * `mco_HA_attach_master`). One HaReplica is one attach session: connect, handshake, initial
 * sync (none when equal, the missed change sets when the master's backlog has them, else a
 * hot full load), then the live stream, until the master detaches it, the link breaks, a
 * timeout fires, or the application stops or cancels it. To follow the master again after
 * that, attach again: a replica that kept its data catches up statefully when it can.
 *
 * While the session runs, the database is read-only: a write transaction fails with
 * ReplicationError `TDB_READ_ONLY_REPLICA`. When the session ends the database becomes
 * writable again, so that an application can take over as master with the data it has.
 *
 * ### Examples
 * ```ts
 * const db = Database.open({ dictionary: loadDictionary(schemaText) })
 * const replica = await HaReplica.attach(db, ':tcp:127.0.0.1:20000', { onNotify: console.log })
 * await replica.synced                  // the initial sync is done
 * const { name } = await replica.stopped
 * console.log('replication ended:', name) // e.g. MASTER_REQUESTED_DISCONNECT
 * ```
 */
import type { Connection } from '../channels/channel.js'
import { connect } from '../channels/registry.js'
import { AssertionError, ReplicationError, TandemError } from '../errors.js'
import type { ErrorCode } from '../errors.js'
import { stopReasonName } from '../ha/notify.js'
import type { StopReason, StopReasonName } from '../ha/notify.js'
import { ReplicaCore } from '../ha/replica.js'
import { replicaConfig } from '../ha/replica-config.js'
import type { ReplicaStatus } from '../ha/status.js'
import { HA_TICK_INTERVAL_MS, realClock } from './clock.js'
import type { Clock } from './clock.js'
import { ReplicaDriver } from './driver-replica.js'
import { classInfos } from './ha-engine.js'
import type { HaDatabase } from './ha-engine.js'
import { deliverNotification } from './ha-notification.js'
import type { HaNotifyHandler } from './ha-notification.js'

export interface HaReplicaOptions {
  /** How long connecting to the master may take (default 10 000 ms; then TDB_TIMEOUT). */
  readonly timeoutMs?: number
  /** Ask an async master for synchronous replication (MCO_HAMODE_FORCE_SYNC). */
  readonly forceSync?: boolean
  /** Honour `local class`: received objects of local classes are not written (default true). */
  readonly filter?: boolean
  /** The most ms between two messages from the master before the replica stops (10 000). */
  readonly waitDataTimeoutMs?: number
  /** The most ms from connecting to the end of the initial sync (default 60 000). */
  readonly initialTimeoutMs?: number
  /** The most ms applying one change set may take (default 10 000). */
  readonly commitTimeoutMs?: number
  /** Extend the local memory when the master extends its own (default true). */
  readonly autoExtend?: boolean
  /** Confirm the applied position to the master at least this often (default 1000 ms). */
  readonly confirmIntervalMs?: number
  /** The replication generation of this replica's data (default 0). */
  readonly generation?: number
  /** Receives the eXtremeDB replica notifications (CONNECTED, DB_LOAD_OK, ...). */
  readonly onNotify?: HaNotifyHandler
  /** The clock of the driver (a simulator passes its own). */
  readonly clock?: Clock
}

/** How an attach session ended. */
export interface HaStopInfo {
  /** The eXtremeDB stop reason number (0 CONNECTION_ABORTED ... 5 ITERATOR_ERROR). */
  readonly reason: StopReason
  readonly name: StopReasonName
  /** The error behind it (TDB_CONNECTION_BROKEN, TDB_TIMEOUT, TDB_DICTIONARY_MISMATCH, ...). */
  readonly code: ErrorCode | null
}

export class HaReplica {
  /** Resolves once the master accepted the attach; rejects when the session ends first. */
  readonly attached: Promise<void>
  /** Resolves once the initial sync is done; rejects when the session ends first. */
  readonly synced: Promise<void>
  /** Resolves when the session ends, with why. Never rejects. */
  readonly stopped: Promise<HaStopInfo>
  readonly #core: ReplicaCore
  readonly #driver: ReplicaDriver
  readonly #removeHook: () => void
  #connection: Connection | null = null
  /** A run of the driver is queued for the end of the current burst of frames. */
  #runQueued = false
  readonly #settle = {} as Record<'attached' | 'synced', (error: ReplicationError | null) => void>
  readonly #reached = { attached: false, synced: false }
  #resolveStopped: (info: HaStopInfo) => void = () => undefined
  #stopInfo: HaStopInfo | null = null

  private constructor(db: HaDatabase, options: HaReplicaOptions) {
    const engine = db.engine
    const clock = options.clock ?? realClock()
    const config = replicaConfig({
      dbName: db.name ?? engine.dictionary.name,
      classes: classInfos(engine.dictionary),
      forceSync: options.forceSync,
      filter: options.filter,
      waitDataTimeoutMs: options.waitDataTimeoutMs,
      initialTimeoutMs: options.initialTimeoutMs,
      commitTimeoutMs: options.commitTimeoutMs,
      autoExtend: options.autoExtend,
      confirmIntervalMs: options.confirmIntervalMs,
    })
    this.#core = new ReplicaCore(config, {
      seq: engine.getSequencer(),
      generation: options.generation ?? 0,
      nowMs: clock.nowMs(),
    })
    this.attached = this.#settled('attached')
    this.synced = this.#settled('synced')
    this.stopped = new Promise((resolve) => (this.#resolveStopped = resolve))
    const onNotify = options.onNotify
    this.#driver = new ReplicaDriver(this.#core, clock, engine, {
      notify: (notification) => deliverNotification(onNotify, notification),
      stepped: () => this.#onStepped(),
      performed: () => this.#settleReached(),
      stopped: (stopped) => this.#onStopped(stopped.reason, stopped.code),
    })
    this.#removeHook = engine.addHook({
      name: 'ha-replica',
      checkWrite: () => {
        throw new ReplicationError(
          'TDB_READ_ONLY_REPLICA',
          'this database is a replica: write on the master',
        )
      },
      // Replicated commits need nothing more from the replica hook (the log has its own).
      onCommit: () => undefined,
    })
  }

  /**
   * Starts an attach session and returns at once; `attached`, `synced` and `stopped` tell how
   * it goes. `cancel()` abandons it at any point.
   */
  static start(
    db: HaDatabase,
    connectionString: string,
    options: HaReplicaOptions = {},
  ): HaReplica {
    const replica = new HaReplica(db, options)
    replica.#driver.startTicking(HA_TICK_INTERVAL_MS)
    void replica.#connect(connectionString, options.timeoutMs)
    return replica
  }

  /**
   * Attaches `db` to the master at `connectionString` and resolves once the master accepted
   * it (the initial sync goes on: await `synced`). Rejects with the reason the session ended:
   * `TDB_TIMEOUT` / `TDB_CONNECTION_BROKEN` (master unreachable), `TDB_DICTIONARY_MISMATCH`,
   * `TDB_MAX_REPLICAS` (refused by the master), `TDB_CANCELLED`, ...
   */
  static async attach(
    db: HaDatabase,
    connectionString: string,
    options: HaReplicaOptions = {},
  ): Promise<HaReplica> {
    const replica = HaReplica.start(db, connectionString, options)
    await replica.attached
    return replica
  }

  async #connect(connectionString: string, timeoutMs: number | undefined): Promise<void> {
    let connection: Connection
    try {
      const options = timeoutMs === undefined ? {} : { connectTimeoutMs: timeoutMs }
      connection = await connect(connectionString, options)
    } catch (error) {
      if (!(error instanceof TandemError)) throw error
      this.#driver.input({ kind: 'connectFailed', code: error.code })
      return
    }
    if (this.#stopInfo !== null) {
      // Cancelled or stopped while connecting.
      connection.close()
      return
    }
    this.#connection = connection
    connection.onFrame((frame) => this.#onFrame(frame))
    connection.onClose((error) => this.#driver.disconnected(error?.code ?? null))
    this.#driver.connected({
      send: (frame) => connection.send(frame),
      close: () => connection.close(),
    })
  }

  /**
   * Frames of one read arrive in one synchronous burst: they are queued, and the driver runs
   * once at the end of the burst (a microtask later), so that their change sets are applied
   * and acknowledged as one batch.
   */
  #onFrame(frame: Uint8Array): void {
    this.#driver.queueFrame(frame)
    if (this.#runQueued) return
    this.#runQueued = true
    queueMicrotask(() => this.#runDriver())
  }

  #runDriver(): void {
    this.#runQueued = false
    try {
      this.#driver.run()
    } catch (error) {
      // As a channel does with a frame handler that throws: a bug of this node (an assertion)
      // is never swallowed; anything else fails the link, never the process.
      if (error instanceof AssertionError || !(error instanceof Error)) throw error
      this.#driver.failLink(error instanceof TandemError ? error.code : 'TDB_FRAME_MALFORMED')
    }
  }

  #settled(which: 'attached' | 'synced'): Promise<void> {
    const promise = new Promise<void>((resolve, reject) => {
      let done = false
      this.#settle[which] = (error) => {
        if (done) return
        done = true
        if (error === null) resolve()
        else reject(error)
      }
    })
    // The application may never await it; a session that ends early must not be an
    // unhandled rejection.
    promise.catch(() => undefined)
    return promise
  }

  #onStepped(): void {
    // Past the handshake means accepted; a session that stops in the handshake never was.
    // The promises settle once the step's notifications were handed out (`#settleReached`).
    const state = this.#core.state
    if (state === 'loading' || state === 'catching-up' || state === 'streaming') {
      this.#reached.attached = true
    }
    if (state === 'streaming') this.#reached.synced = true
  }

  #settleReached(): void {
    if (this.#reached.attached) this.#settle.attached(null)
    if (this.#reached.synced) this.#settle.synced(null)
  }

  #onStopped(reason: StopReason, code: ErrorCode | null): void {
    // What the session reached before it stopped stays resolved.
    this.#settleReached()
    const info: HaStopInfo = Object.freeze({ reason, name: stopReasonName(reason), code })
    this.#stopInfo = info
    this.#removeHook()
    const error = new ReplicationError(
      code ?? 'TDB_STOPPED',
      `the attach session ended: ${info.name}${code === null ? '' : ` (${code})`}`,
      { reason, reasonName: info.name },
    )
    this.#settle.attached(error)
    this.#settle.synced(error)
    this.#resolveStopped(info)
  }

  /** The session's state, sequencers and how the master treats it. */
  status(): ReplicaStatus {
    return this.#core.status()
  }

  /**
   * Stops replicating: tells the master (DETACH) and closes the link; resolves when the
   * session is over (STOPPED_BY_LOCAL_REQUEST).
   */
  async stop(): Promise<HaStopInfo> {
    this.#driver.input({ kind: 'stop' })
    return this.stopped
  }

  /** Abandons the session at once, connecting or not: a pending attach gets TDB_CANCELLED. */
  cancel(): void {
    this.#driver.input({ kind: 'cancel' })
  }

  /** Ends the session because this node takes over as master (stop reason BECOMES_MASTER). */
  async becomeMaster(): Promise<HaStopInfo> {
    this.#driver.input({ kind: 'becomeMaster' })
    return this.stopped
  }
}

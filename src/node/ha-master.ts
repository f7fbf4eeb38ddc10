/**
 * HaMaster: a database that takes writes and replicates them (DESIGN "Replication";
 * eXtremeDB `mco_HA_set_master_params` + one `mco_HA_attach_replica` listener per channel).
 *
 * Sync mode (default): the listeners, the connections and the MasterCore all live on the
 * main thread; a write's `durable` promise resolves once every sync replica acknowledged it
 * (per window). Async mode: the listeners and connections live in a sender worker thread;
 * each commit's change set goes through a SharedArrayBuffer ring to the worker, which ships
 * it to the streaming async replicas; commits do not wait (see async-sender.ts for what
 * happens when the ring is full). A replica that attaches with `forceSync` is served
 * synchronously by an async master.
 *
 * The master installs a commit hook on the database engine: `checkWrite` refuses writes with
 * `TDB_NO_QUORUM` (fewer streaming sync replicas than the quorum) or `TDB_BUFFER_FULL` (async
 * overflow over its bound); every commit is handed to the core; `durable` resolves with 'ok'
 * or 'replica-detached' (a sync replica detached before it acknowledged the commit).
 *
 * ### Examples
 * ```ts
 * const db = Database.open({ dictionary: loadDictionary(schemaText) })
 * const master = await HaMaster.start(db, { listen: [':tcp:20000'], onNotify: console.log })
 * const result = db.write((tx) => tx.insert('Quote', { symbol: 'ACME', price: 12 }))
 * console.log(await result.durable)    // 'ok' once every sync replica has it
 * console.table(master.status())
 * await master.stop()
 * ```
 */
import type { ChannelOptions } from '../channels/channel.js'
import { ReplicationError } from '../errors.js'
import type { ConnId } from '../ha/inputs.js'
import { MasterCore } from '../ha/master.js'
import { masterConfig } from '../ha/master-config.js'
import type { MasterConfig } from '../ha/master-config.js'
import type { ReplicationMode } from '../ha/messages.js'
import type { ChannelCounters, MasterStatus, ReplicaConnStatus } from '../ha/status.js'
import type { CommitHook } from '../txn/commit-hook.js'
import { AsyncSender } from './async-sender.js'
import { HA_TICK_INTERVAL_MS, realClock } from './clock.js'
import type { Clock } from './clock.js'
import { MasterDriver } from './driver-master.js'
import { CommitOutcomes } from './ha-commit-outcomes.js'
import { classInfos, engineView } from './ha-engine.js'
import type { HaDatabase, HaEngine } from './ha-engine.js'
import { MainThreadTransport } from './ha-listeners.js'
import { deliverNotification } from './ha-notification.js'
import type { HaNotifyHandler } from './ha-notification.js'
import type { MasterTransport } from './ha-transport.js'

/** The default size of the async ring: 8 MiB. */
export const ASYNC_BUFFER_BYTES_DEFAULT = 8 * 1024 * 1024
/** The smallest queued-unsent byte count after which an async replica counts as too slow. */
export const ASYNC_PENDING_BYTES_MIN = 16 * 1024 * 1024

export interface HaMasterOptions {
  /** Connection strings to listen on: `':tcp:20000'`, `':pipe:/tmp/x.sock'`, ... */
  readonly listen: string | readonly string[]
  /** `'sync'` (default) or `'async'`. */
  readonly mode?: ReplicationMode
  /** Sync replicas acknowledge every `windowSize` commits (default 1). */
  readonly windowSize?: number
  /** At least this many streaming sync replicas for a write (default 0; sync, window 1 only). */
  readonly quorum?: number
  /** The most replicas at once (default 10). */
  readonly maxReplicas?: number
  /** Change sets kept for stateful catch-up (default 1024; 0: always a full load). */
  readonly transLogLength?: number
  /**
   * Async mode: bytes of the ring between commits and the sender worker (default 8 MiB). As
   * many bytes again may wait in the overflow before writes get `TDB_BUFFER_FULL`; a replica
   * with more than max(4 × this, 16 MiB) unsent bytes queued is cut off as too slow.
   */
  readonly asyncBufferBytes?: number
  /** The bound on sending one message to a replica (default 10 000 ms). */
  readonly commitTimeoutMs?: number
  /** How long a sync replica may take to acknowledge before it is detached (default 10 000 ms). */
  readonly synchTimeoutMs?: number
  /** How long a replica may take to finish its initial sync (default 60 000 ms). */
  readonly initialTimeoutMs?: number
  /** How long a detach waits for the replica to close (default 10 000 ms; 0 sends no DETACH). */
  readonly detachTimeoutMs?: number
  /** An idle replica gets a keep-alive this often (default 1000 ms). */
  readonly keepAliveIntervalMs?: number
  /** Objects per hot-load batch (default 100). */
  readonly hotsyncMsgObjects?: number
  /** Hot-load batches sent per 5 ms tick (default 8). */
  readonly hotsyncBatchesPerTick?: number
  /** Honour `local class` (default true). */
  readonly filter?: boolean
  /** The replication generation of this master's data (default 0). */
  readonly generation?: number
  /** Channel options of the listeners (frame cap). */
  readonly channelOptions?: Partial<ChannelOptions>
  /** Receives notifications about the replicas (connected, loaded, stopped, ...). */
  readonly onNotify?: HaNotifyHandler
  /** The clock of the driver (a simulator passes its own). */
  readonly clock?: Clock
}

export class HaMaster {
  readonly #engine: HaEngine
  readonly #core: MasterCore
  readonly #driver: MasterDriver
  readonly #outcomes: CommitOutcomes
  readonly #removeHook: () => void
  #transport: MasterTransport | null = null
  #stopping: Promise<void> | null = null
  #onStopped: () => void = () => undefined

  private constructor(db: HaDatabase, config: MasterConfig, options: HaMasterOptions) {
    const clock = options.clock ?? realClock()
    this.#engine = db.engine
    this.#core = new MasterCore(config, engineView(db.engine), { nowMs: clock.nowMs() })
    this.#outcomes = new CommitOutcomes(db.engine.getSequencer())
    const onNotify = options.onNotify
    this.#driver = new MasterDriver(this.#core, clock, {
      outcome: (outcome) => this.#outcomes.decided(outcome),
      notify: (conn, notification) => deliverNotification(onNotify, notification, conn),
      stopped: () => this.#onStopped(),
    })
    this.#removeHook = db.engine.addHook(this.#hook())
  }

  /**
   * Makes `db` a master listening on `options.listen`. Throws `TDB_INVALID_PARAMETER` or
   * `TDB_INCOMPATIBLE_MODES` for bad options, and what a listener fails with (address in
   * use, `TDB_CHANNEL_NOT_REGISTERED`).
   */
  static async start(db: HaDatabase, options: HaMasterOptions): Promise<HaMaster> {
    const listen = typeof options.listen === 'string' ? [options.listen] : [...options.listen]
    if (listen.length === 0) {
      const message = 'a master needs at least one listen address'
      throw new ReplicationError('TDB_INVALID_PARAMETER', message)
    }
    const config = masterConfig({
      classes: classInfos(db.engine.dictionary),
      mode: options.mode,
      windowSize: options.windowSize,
      quorum: options.quorum,
      maxReplicas: options.maxReplicas,
      transLogLength: options.transLogLength,
      commitTimeoutMs: options.commitTimeoutMs,
      synchTimeoutMs: options.synchTimeoutMs,
      initialTimeoutMs: options.initialTimeoutMs,
      detachTimeoutMs: options.detachTimeoutMs,
      keepAliveIntervalMs: options.keepAliveIntervalMs,
      hotsyncMsgObjects: options.hotsyncMsgObjects,
      hotsyncBatchesPerTick: options.hotsyncBatchesPerTick,
      filter: options.filter,
      generation: options.generation,
    })
    // The hook goes in before the listeners open: no commit can slip between the core's
    // starting sequencer and its first `committed` input.
    const master = new HaMaster(db, config, options)
    try {
      master.#transport = await startTransport(listen, config.mode, options, master.#driver)
    } catch (error) {
      master.#removeHook()
      throw error
    }
    master.#driver.start(master.#transport, HA_TICK_INTERVAL_MS)
    return master
  }

  #hook(): CommitHook {
    return {
      name: 'ha-master',
      checkWrite: () => {
        this.#core.checkWrite()
        this.#transport?.checkWrite()
      },
      onCommit: (record) => {
        this.#driver.input({ kind: 'committed', record })
        this.#transport?.committed(record)
      },
      whenDurable: (seq) => this.#outcomes.whenDurable(seq),
      onExtend: (bytes) => this.#driver.input({ kind: 'extended', bytes }),
    }
  }

  /** The connection strings replicas can attach to, with the real ports. */
  get addresses(): readonly string[] {
    return this.#transport?.addresses ?? []
  }

  /** Forces an acknowledgement of every outstanding commit (eXtremeDB mco_HA_commit_window). */
  commitWindow(): void {
    this.#driver.command({ kind: 'commitWindow' })
  }

  /** Changes the quorum (TDB_INCOMPATIBLE_MODES unless sync mode with window 1). */
  setQuorum(quorum: number): void {
    this.#driver.command({ kind: 'setQuorum', quorum })
  }

  /** Changes the transaction window (TDB_INCOMPATIBLE_MODES with a quorum). */
  setWindowSize(windowSize: number): void {
    this.#driver.command({ kind: 'setWindowSize', windowSize })
  }

  /** One row per replica connection: state, mode, confirmed sequencer, lag, byte counters. */
  status(): readonly ReplicaConnStatus[] {
    return this.masterStatus().replicas
  }

  /** The master's own state (sequencer, mode, window, quorum, backlog) and its replicas. */
  masterStatus(): MasterStatus {
    const counters = new Map<ConnId, ChannelCounters>()
    for (const replica of this.#core.status().replicas) {
      const bytes = this.#transport?.counters(replica.conn)
      if (bytes !== null && bytes !== undefined) counters.set(replica.conn, bytes)
    }
    return this.#core.status(counters)
  }

  /** Detaches one replica (its `conn` in `status()`); TDB_INVALID_PARAMETER if unknown. */
  detach(conn: ConnId): void {
    this.#driver.command({ kind: 'detach', conn })
  }

  /** Detaches every replica; the master keeps accepting new ones. */
  detachAll(): void {
    this.#driver.command({ kind: 'detachAll' })
  }

  /**
   * Detaches every replica (each bounded by detachTimeoutMs), closes the listeners and
   * removes the commit hook; the database stays open and writable, unreplicated.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop()
    return this.#stopping
  }

  async #stop(): Promise<void> {
    const stopped = new Promise<void>((resolve) => (this.#onStopped = resolve))
    this.#driver.command({ kind: 'stop' })
    await stopped
    this.#driver.stopTicking()
    this.#removeHook()
    await this.#transport?.stop()
    this.#outcomes.settleAll('replica-detached')
  }

  /** The engine this master replicates. */
  get engine(): HaEngine {
    return this.#engine
  }
}

function startTransport(
  listen: readonly string[],
  mode: ReplicationMode,
  options: HaMasterOptions,
  driver: MasterDriver,
): Promise<MasterTransport> {
  const channelOptions = options.channelOptions ?? {}
  if (mode === 'sync') return MainThreadTransport.start(listen, channelOptions, driver.events)
  const asyncBufferBytes = options.asyncBufferBytes ?? ASYNC_BUFFER_BYTES_DEFAULT
  return AsyncSender.start(
    listen,
    {
      asyncBufferBytes,
      overflowMaxBytes: asyncBufferBytes,
      maxPendingBytes: Math.max(4 * asyncBufferBytes, ASYNC_PENDING_BYTES_MIN),
      channelOptions,
    },
    driver.events,
  )
}

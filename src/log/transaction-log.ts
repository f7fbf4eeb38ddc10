/**
 * The transaction log of a database (DESIGN.md "Commit policies and the log"): a CommitHook
 * named 'log' that appends every commit (local and replicated) as a framed record to segment
 * files, pushes records to disk as each commit's policy asks, answers `whenDurable`, and takes
 * checkpoints (a snapshot, then the covered segments are dropped).
 *
 * Durability levels. `lastSeq` >= `writtenSeq` (handed to the OS) >= `durableSeq` (on stable
 * storage). sync-flush and delayed commits are durable once `durableSeq` passes them.
 * buffered commits are handed to the OS at commit (they survive the process, not the machine)
 * and no-sync ones at the end of the turn; neither waits for the disk, so their promise
 * resolves at commit. A flush makes everything written before it durable, so a sync-flush
 * commit also flushes every earlier commit.
 *
 * Group commit. sync-flush commits schedule one flush for the end of the current turn of the
 * event loop (setImmediate): every commit made until then shares it (one write, one
 * fdatasync). delayed commits are flushed on the threadpool when a threshold is crossed or the
 * delay timer fires; commits that arrive while that flush runs share the next one.
 *
 * Disk errors. A refused write or flush fails the log: the promises of commits not yet durable
 * reject with TDB_LOG_IO, and `checkWrite` refuses further writes until the database is
 * reopened. What was reported durable stays on disk.
 */
import { LogError, TandemError } from '../errors.js'
import type { CommitHook, CommitPolicy, CommitRecord, CommitStatus } from '../txn/commit-hook.js'
import { assert } from '../util/assert.js'
import { DurableRuns } from './durable-runs.js'
import { encodeRecordInto, recordBytes } from './frame.js'
import { logPath } from './log-device.js'
import type { LogEngine } from './log-engine.js'
import type { LogDirEntry } from './log-files.js'
import { classifyLogDir, snapshotName, TEMP_SUFFIX } from './log-files.js'
import type { LogOptions, ResolvedLogOptions } from './log-options.js'
import { resolveLogOptions } from './log-options.js'
import { LogSegment } from './log-segment.js'
import { ioError, recoverLog } from './recovery.js'
import type { SerializedSnapshot } from './snapshot.js'
import { schemaIdOf } from './schema-id.js'
import { serializeSnapshot } from './snapshot.js'

const RESOLVED_OK: Promise<CommitStatus> = Promise.resolve('ok')
const PENDING_INITIAL_BYTES = 64 * 1024

interface Deferred {
  readonly promise: Promise<CommitStatus>
  resolve(status: CommitStatus): void
  reject(error: unknown): void
}

function deferred(): Deferred {
  let resolve!: (status: CommitStatus) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<CommitStatus>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** What the log holds and how far it got (for status displays and tests). */
export interface LogStatus {
  readonly lastSeq: bigint
  readonly writtenSeq: bigint
  readonly durableSeq: bigint
  readonly snapshotSeq: bigint
  readonly segments: number
  readonly bytesSinceCheckpoint: number
  readonly failed: boolean
}

export class TransactionLog implements CommitHook {
  readonly name = 'log'
  readonly #options: ResolvedLogOptions
  readonly #engine: LogEngine
  /** Stamped into every segment and snapshot header (see schema-id.ts). */
  readonly #schemaId: bigint
  #segment: LogSegment
  /** Closed segments holding records after the last snapshot, oldest first. */
  #olderSegments: LogDirEntry[]
  /** Old segment files still open because an async flush of theirs has not finished. */
  #segmentsToClose: LogSegment[] = []
  #snapshotSeq: bigint
  #lastSeq: bigint
  #writtenSeq: bigint
  #durableSeq: bigint
  /** Records appended but not yet written, encoded back to back. */
  #pending: Uint8Array = new Uint8Array(PENDING_INITIAL_BYTES)
  #pendingView: DataView = new DataView(this.#pending.buffer)
  #pendingBytes = 0
  #pendingFirstSeq = 0n
  /** sync-flush and delayed seqs not yet durable. */
  readonly #durableLevelSeqs = new DurableRuns()
  /** Shared by the commits waiting for a flush that has not started yet. */
  #waiting: Deferred | null = null
  /** Flushes running on the threadpool, each with the seq it makes durable. */
  #inFlight: { upto: bigint; deferred: Deferred | null }[] = []
  #syncFlushScheduled = false
  #writeScheduled = false
  #asyncFlushRunning = false
  #asyncFlushAgain = false
  #unflushedBytes = 0
  #unflushedTransactions = 0
  #oldestDelayedMs: number | null = null
  #cancelDelayTimer: (() => void) | null = null
  #bytesSinceCheckpoint: number
  #checkpointScheduled = false
  #checkpointRunning: Promise<void> | null = null
  #failure: LogError | null = null
  #failedWrittenSeq = 0n
  /** Counts rollbacks: a flush started in an abandoned history makes nothing durable. */
  #history = 0
  /**
   * Between the start of a full load (`onClear`) and its end (`onSetSequencer`): the content
   * cannot be rebuilt from records, so nothing is appended and the previous state stays on
   * disk until the snapshot that ends the load replaces it.
   */
  #detached = false
  /** Shared by the commits made while detached: resolved by the snapshot that ends the load. */
  #detachedWaiting: Deferred | null = null
  /** close() has begun: no new checkpoint starts. */
  #closing = false
  #closePromise: Promise<void> | null = null
  #closed = false

  private constructor(engine: LogEngine, options: ResolvedLogOptions) {
    this.#options = options
    this.#engine = engine
    const warn = options.onWarning
    this.#schemaId = schemaIdOf(engine)
    const context = { dir: options.dir, device: options.device, warn, schemaId: this.#schemaId }
    const recovered = this.#io('opening the log', options.dir, () => recoverLog(engine, context))
    this.#snapshotSeq = recovered.snapshotSeq
    this.#lastSeq = recovered.lastSeq
    this.#writtenSeq = recovered.lastSeq
    this.#durableSeq = recovered.lastSeq
    this.#olderSegments = [...recovered.olderSegments]
    this.#bytesSinceCheckpoint = recovered.recordBytes
    const { dir, device, preallocateBytes } = options
    const tail = recovered.tail
    this.#segment = this.#io('opening the log', dir, () =>
      tail === null
        ? LogSegment.create(dir, device, recovered.lastSeq + 1n, preallocateBytes, this.#schemaId)
        : LogSegment.open(dir, device, tail.entry, tail.validEnd, preallocateBytes),
    )
  }

  /**
   * Opens (or creates) the log in `options.dir` and rebuilds `engine` (empty, sequencer 0) from
   * it. Throws LogError TDB_LOG_CORRUPT when the log is corrupt before its end, TDB_LOG_IO
   * when the disk refuses, TDB_INVALID_PARAMETER for a bad option. Register the result as a
   * commit hook of the engine afterwards.
   *
   * @example
   * const log = TransactionLog.open(engine, { dir: './data', policy: 'sync-flush' })
   * engine.addHook(log)
   */
  static open(engine: LogEngine, options: LogOptions): TransactionLog {
    const resolved = resolveLogOptions(options)
    assert(engine.getSequencer() === 0n, 'a log must be opened over an empty engine')
    return new TransactionLog(engine, resolved)
  }

  /** The database's default commit policy. */
  get policy(): CommitPolicy {
    return this.#options.policy
  }

  status(): LogStatus {
    return {
      lastSeq: this.#lastSeq,
      writtenSeq: this.#writtenSeq,
      durableSeq: this.#durableSeq,
      snapshotSeq: this.#snapshotSeq,
      segments: this.#olderSegments.length + 1,
      bytesSinceCheckpoint: this.#bytesSinceCheckpoint,
      failed: this.#failure !== null,
    }
  }

  /** Refuses a write once the disk has refused the log (until the database is reopened). */
  checkWrite(): void {
    if (this.#failure !== null) throw this.#failure
  }

  onCommit(record: CommitRecord): void {
    assert(!this.#closed, 'commit on a closed log')
    if (this.#failure !== null || this.#detached) {
      // Nothing is written: the record's promise rejects, or waits for the end of the load.
      this.#lastSeq = record.seq
      return
    }
    if (record.seq !== this.#lastSeq + 1n) {
      this.#restartAt(record.seq, record.seq <= this.#lastSeq)
      return
    }
    const needsDurable = record.policy === 'sync-flush' || record.policy === 'delayed'
    const bytes = this.#appendPending(record.seq, record.changeSet)
    this.#lastSeq = record.seq
    this.#bytesSinceCheckpoint += bytes
    this.#unflushedBytes += bytes
    this.#unflushedTransactions += 1
    if (needsDurable) this.#durableLevelSeqs.add(record.seq)
    switch (record.policy) {
      case 'sync-flush':
        this.#scheduleSyncFlush()
        break
      case 'delayed':
        this.#onDelayedCommit()
        break
      case 'buffered':
        this.#writePendingOrFail()
        break
      case 'no-sync':
        this.#scheduleWrite()
        break
    }
    this.#maybeScheduleCheckpoint()
  }

  whenDurable(seq: bigint): Promise<CommitStatus> {
    if (this.#detached && this.#failure === null) {
      return (this.#detachedWaiting ??= deferred()).promise
    }
    // A seq past the last record was set without a commit (a replica's full load): the log
    // holds nothing for it to wait on; the next commit restarts the log from a snapshot.
    if (seq <= this.#durableSeq || seq > this.#lastSeq) return RESOLVED_OK
    const needsDurable = this.#durableLevelSeqs.has(seq)
    if (this.#failure !== null && (needsDurable || seq > this.#failedWrittenSeq)) {
      return Promise.reject(this.#failure)
    }
    if (!needsDurable) return RESOLVED_OK
    for (const flush of this.#inFlight) {
      if (flush.upto >= seq) return (flush.deferred ??= deferred()).promise
    }
    return (this.#waiting ??= deferred()).promise
  }

  /** Resolves once every commit so far is on stable storage (whatever its policy). */
  async flush(): Promise<void> {
    if (this.#failure !== null) throw this.#failure
    // During a full load only the snapshot that ends it can make anything durable.
    if (this.#detached || this.#lastSeq <= this.#durableSeq) return
    const waiting = (this.#waiting ??= deferred())
    this.#startAsyncFlush()
    await waiting.promise
  }

  /**
   * Takes a checkpoint now: a snapshot of the database at the current seq, then the segments
   * and snapshots it covers are deleted. Resolves when the snapshot is durable.
   */
  async checkpoint(): Promise<void> {
    while (this.#checkpointRunning !== null) await this.#checkpointRunning.catch(() => undefined)
    if (this.#failure !== null) throw this.#failure
    const running = this.#checkpoint()
    this.#checkpointRunning = running
    try {
      await running
    } finally {
      this.#checkpointRunning = null
    }
  }

  /** Flushes everything, waits for a running checkpoint, and closes the files. */
  close(): Promise<void> {
    this.#closePromise ??= this.#close()
    return this.#closePromise
  }

  async #close(): Promise<void> {
    this.#closing = true
    try {
      if (this.#checkpointRunning !== null) {
        await this.#checkpointRunning.catch(() => undefined)
      }
      if (this.#failure === null) await this.flush()
    } finally {
      this.#closed = true
      const closedMidLoad = 'the database closed during a full load: its commits were not logged'
      this.#detachedWaiting?.reject(new LogError('TDB_CLOSED', closedMidLoad))
      this.#detachedWaiting = null
      this.#cancelDelayTimer?.()
      this.#cancelDelayTimer = null
      while (this.#asyncFlushRunning) await new Promise((resolve) => setImmediate(resolve))
      for (const segment of [...this.#segmentsToClose, this.#segment]) segment.file.closeSync()
      this.#segmentsToClose = []
    }
  }

  // Appending and writing.

  /** Encodes the record at the end of the pending buffer; returns its size in bytes. */
  #appendPending(seq: bigint, changeSet: Uint8Array): number {
    const bytes = recordBytes(changeSet.length)
    if (this.#pendingBytes + bytes > this.#pending.length) {
      const grown = new Uint8Array(Math.max(this.#pending.length * 2, this.#pendingBytes + bytes))
      grown.set(this.#pending.subarray(0, this.#pendingBytes))
      this.#setPending(grown)
    }
    if (this.#pendingBytes === 0) this.#pendingFirstSeq = seq
    this.#pendingBytes = encodeRecordInto(
      this.#pending,
      this.#pendingView,
      this.#pendingBytes,
      seq,
      changeSet,
    )
    return bytes
  }

  #setPending(buffer: Uint8Array): void {
    this.#pending = buffer
    this.#pendingView = new DataView(buffer.buffer)
  }

  /** Hands the pending records to the OS, rolling over to a new segment when this one is full. */
  #writePending(): void {
    if (this.#pendingBytes === 0) return
    const full = this.#segment.position + this.#pendingBytes > this.#options.segmentBytes
    if (full && !this.#segment.isEmpty) this.#rollover(this.#pendingFirstSeq)
    this.#segment.append(this.#pending.subarray(0, this.#pendingBytes))
    this.#writtenSeq = this.#lastSeq
    this.#pendingBytes = 0
    if (this.#pending.length > 16 * PENDING_INITIAL_BYTES) {
      this.#setPending(new Uint8Array(PENDING_INITIAL_BYTES))
    }
    assert(this.#writtenSeq >= this.#durableSeq, 'written behind durable')
  }

  #writePendingOrFail(): boolean {
    try {
      this.#writePending()
      return true
    } catch (error) {
      this.#fail(ioError(`a log write in ${this.#options.dir}`, this.#segment.file.path, error))
      return false
    }
  }

  #scheduleWrite(): void {
    if (this.#writeScheduled) return
    this.#writeScheduled = true
    setImmediate(() => {
      this.#writeScheduled = false
      if (this.#failure === null && !this.#closed) this.#writePendingOrFail()
    })
  }

  /**
   * Closes the current segment (after making it durable, so a later segment never exists
   * while an earlier one may still be torn) and starts the one whose first record is `firstSeq`.
   */
  #rollover(firstSeq: bigint): void {
    const old = this.#segment
    old.file.datasyncSync()
    this.#markDurable(this.#writtenSeq)
    const { dir, device, preallocateBytes } = this.#options
    this.#segment = LogSegment.create(dir, device, firstSeq, preallocateBytes, this.#schemaId)
    this.#olderSegments.push(old.entry)
    this.#closeSegment(old)
  }

  // Flushing.

  #scheduleSyncFlush(): void {
    if (this.#syncFlushScheduled) return
    this.#syncFlushScheduled = true
    setImmediate(() => this.#runSyncFlush())
  }

  #runSyncFlush(): void {
    this.#syncFlushScheduled = false
    if (this.#failure !== null || this.#closed) return
    this.#resetDelayed()
    if (!this.#writePendingOrFail()) return
    if (this.#writtenSeq <= this.#durableSeq) return
    const upto = this.#writtenSeq
    try {
      this.#segment.file.datasyncSync()
    } catch (error) {
      this.#fail(ioError(`a log flush in ${this.#options.dir}`, this.#segment.file.path, error))
      return
    }
    this.#markDurable(upto)
  }

  /** Writes the pending records and flushes them on the threadpool. */
  #startAsyncFlush(): void {
    if (this.#failure !== null) return
    this.#resetDelayed()
    if (!this.#writePendingOrFail()) return
    if (this.#asyncFlushRunning) {
      this.#asyncFlushAgain = true
      return
    }
    if (this.#writtenSeq <= this.#durableSeq) {
      this.#markDurable(this.#durableSeq)
      return
    }
    const upto = this.#writtenSeq
    const segment = this.#segment
    const history = this.#history
    this.#inFlight.push({ upto, deferred: this.#waiting })
    this.#waiting = null
    this.#asyncFlushRunning = true
    segment.file.datasync().then(
      () => this.#asyncFlushDone(history === this.#history ? upto : 0n),
      (error: unknown) => {
        this.#asyncFlushRunning = false
        this.#fail(ioError(`a log flush in ${this.#options.dir}`, segment.file.path, error))
      },
    )
  }

  #asyncFlushDone(upto: bigint): void {
    this.#asyncFlushRunning = false
    for (const segment of this.#segmentsToClose) segment.file.closeSync()
    this.#segmentsToClose = []
    this.#markDurable(upto)
    if (this.#asyncFlushAgain && !this.#closed) {
      this.#asyncFlushAgain = false
      this.#startAsyncFlush()
    }
  }

  /** Everything up to `seq` is on stable storage: resolve whoever waited for it. */
  #markDurable(seq: bigint): void {
    assert(seq <= this.#writtenSeq, 'durable past what was written')
    if (seq > this.#durableSeq) this.#durableSeq = seq
    this.#durableLevelSeqs.dropThrough(this.#durableSeq)
    while (this.#inFlight.length > 0 && this.#inFlight[0]!.upto <= this.#durableSeq) {
      this.#inFlight.shift()!.deferred?.resolve('ok')
    }
    if (this.#waiting !== null && this.#durableSeq >= this.#lastSeq) {
      this.#waiting.resolve('ok')
      this.#waiting = null
    }
  }

  // The delayed policy.

  #onDelayedCommit(): void {
    const { delayedCommitThresholdBytes, maxDelayedTransactions, maxCommitDelayMs, clock } =
      this.#options
    const now = clock.nowMs()
    if (this.#oldestDelayedMs === null) {
      this.#oldestDelayedMs = now
      this.#cancelDelayTimer = clock.setTimer(maxCommitDelayMs, () => {
        this.#cancelDelayTimer = null
        if (this.#oldestDelayedMs !== null && !this.#closed) this.#startAsyncFlush()
      })
    }
    const crossed =
      this.#unflushedBytes >= delayedCommitThresholdBytes ||
      (maxDelayedTransactions > 0 && this.#unflushedTransactions >= maxDelayedTransactions) ||
      now - this.#oldestDelayedMs >= maxCommitDelayMs
    if (crossed) this.#startAsyncFlush()
  }

  /** A flush is starting: it takes every unflushed record, so the delayed counters restart. */
  #resetDelayed(): void {
    this.#unflushedBytes = 0
    this.#unflushedTransactions = 0
    this.#oldestDelayedMs = null
    this.#cancelDelayTimer?.()
    this.#cancelDelayTimer = null
  }

  // Failure.

  #fail(error: LogError): void {
    if (this.#failure !== null) return
    this.#failure = error
    this.#failedWrittenSeq = this.#writtenSeq
    this.#resetDelayed()
    this.#waiting?.reject(error)
    this.#waiting = null
    this.#detachedWaiting?.reject(error)
    this.#detachedWaiting = null
    for (const flush of this.#inFlight) flush.deferred?.reject(error)
    this.#inFlight = []
  }

  /** Runs a file-system step; an OS error becomes TDB_LOG_IO, a TandemError passes through. */
  #io<T>(doing: string, file: string, run: () => T): T {
    try {
      return run()
    } catch (error) {
      if (error instanceof TandemError) throw error
      throw ioError(doing, file, error)
    }
  }

  // Checkpoints.

  #maybeScheduleCheckpoint(): void {
    if (this.#bytesSinceCheckpoint < this.#options.checkpointBytes) return
    if (this.#checkpointScheduled || this.#checkpointRunning !== null) return
    this.#checkpointScheduled = true
    setImmediate(() => {
      this.#checkpointScheduled = false
      if (this.#closing || this.#failure !== null || this.#checkpointRunning !== null) return
      this.checkpoint().catch((error: unknown) => {
        if (this.#failure !== null) return
        this.#options.onWarning({
          code: 'TDB_LOG_CHECKPOINT_FAILED',
          message: `checkpoint in ${this.#options.dir} failed: ${String(error)}`,
          error,
        })
      })
    })
  }

  /**
   * Serializes the database now (synchronously: the snapshot is exactly the state at `seq`),
   * starts a new segment at seq + 1, then writes the snapshot off the main thread and drops
   * what it covers.
   */
  async #checkpoint(): Promise<void> {
    if (this.#detached) return
    const seq = this.#engine.getSequencer()
    assert(seq === this.#lastSeq, 'the engine and the log disagree on the last seq')
    if (seq === this.#snapshotSeq && this.#olderSegments.length === 0) return
    const snapshot = serializeSnapshot(this.#engine, this.#schemaId)
    try {
      this.#writePending()
      if (!this.#segment.isEmpty) this.#rollover(seq + 1n)
    } catch (error) {
      this.#fail(ioError('a checkpoint rollover', this.#segment.file.path, error))
      throw this.#failure
    }
    this.#bytesSinceCheckpoint = 0
    const covered = this.#olderSegments
    this.#olderSegments = []
    await this.#writeSnapshot(snapshot, covered)
  }

  /** Writes the snapshot file durably, then deletes the segments and snapshots it covers. */
  async #writeSnapshot(snapshot: SerializedSnapshot, covered: readonly LogDirEntry[]) {
    const { dir, device } = this.#options
    const target = logPath(dir, snapshotName(snapshot.seq))
    const temporary = target + TEMP_SUFFIX
    try {
      await device.writeFileDurable(temporary, snapshot.chunks)
      device.renameSync(temporary, target)
      device.syncDirSync(dir)
    } catch (error) {
      this.#olderSegments = [...covered, ...this.#olderSegments]
      removeQuietly(() => device.unlinkSync(temporary))
      throw ioError(`writing snapshot ${target}`, target, error)
    }
    this.#io(`dropping files covered by ${target}`, dir, () => {
      this.#dropCovered(snapshot.seq, covered)
    })
  }

  /** A full load begins: make what came before durable, then stop appending. */
  onClear(): void {
    if (this.#failure !== null || this.#closing || this.#detached) return
    try {
      this.#writePending()
      this.#segment.file.datasyncSync()
      this.#markDurable(this.#writtenSeq)
    } catch (error) {
      this.#fail(ioError(`a log flush in ${this.#options.dir}`, this.#segment.file.path, error))
      return
    }
    this.#resetDelayed()
    this.#detached = true
  }

  /**
   * The sequencer was set outside a commit: the end of a full load (or a jump). The log
   * restarts from a snapshot at `seq`. Setting it to 0 begins a load, like `onClear`.
   */
  onSetSequencer(seq: bigint): void {
    if (this.#failure !== null || this.#closing) return
    if (seq === 0n) {
      this.onClear()
      return
    }
    if (!this.#detached && seq === this.#lastSeq) return
    this.#restartAt(seq, this.#detached || seq <= this.#lastSeq)
  }

  /**
   * The engine's sequencer moved other than by one (a replica loaded a whole database, or was
   * rolled back): the log cannot continue record by record, so it restarts from a snapshot of
   * the state at `seq`, written synchronously (this is rare) so that no later commit can be
   * reported durable before it. When the previous history is abandoned (a rollback, a full
   * load) every file of it is removed first.
   */
  #restartAt(seq: bigint, abandon: boolean): void {
    const { dir, device, preallocateBytes } = this.#options
    try {
      this.#writePending()
      this.#segment.file.datasyncSync()
      this.#markDurable(this.#writtenSeq)
      const snapshot = serializeSnapshot(this.#engine, this.#schemaId)
      assert(snapshot.seq === seq, 'restart snapshot at the wrong seq')
      if (abandon) this.#removeEverything()
      const target = logPath(dir, snapshotName(seq))
      device.writeFileDurableSync(target + TEMP_SUFFIX, snapshot.chunks)
      device.renameSync(target + TEMP_SUFFIX, target)
      device.syncDirSync(dir)
      this.#lastSeq = seq
      this.#writtenSeq = seq
      const old = this.#segment
      this.#segment = LogSegment.create(dir, device, seq + 1n, preallocateBytes, this.#schemaId)
      this.#closeSegment(old)
      const covered = abandon ? [] : [...this.#olderSegments, old.entry]
      this.#dropCovered(seq, covered)
      this.#markDurable(seq)
      this.#detached = false
      this.#detachedWaiting?.resolve('ok')
      this.#detachedWaiting = null
    } catch (error) {
      this.#lastSeq = seq
      this.#fail(ioError(`restarting the log at seq ${seq}`, dir, error))
    }
  }

  /** Deletes every segment and snapshot (the history they hold was abandoned). */
  #removeEverything(): void {
    const { dir, device } = this.#options
    const listing = classifyLogDir(device.listSync(dir))
    for (const entry of [...listing.segments, ...listing.snapshots]) {
      device.unlinkSync(logPath(dir, entry.name))
    }
    device.syncDirSync(dir)
    this.#history++
    this.#olderSegments = []
    this.#durableLevelSeqs.clear()
    this.#durableSeq = 0n
  }

  #closeSegment(segment: LogSegment): void {
    if (this.#asyncFlushRunning) this.#segmentsToClose.push(segment)
    else segment.file.closeSync()
  }

  /** A snapshot at `seq` is durable: the covered segments and older snapshots go. */
  #dropCovered(seq: bigint, covered: readonly LogDirEntry[]): void {
    const { dir, device } = this.#options
    this.#snapshotSeq = seq
    this.#olderSegments = []
    this.#bytesSinceCheckpoint = 0
    const oldSnapshots = classifyLogDir(device.listSync(dir)).snapshots.filter(
      (entry) => entry.seq < seq,
    )
    for (const entry of [...covered, ...oldSnapshots]) device.unlinkSync(logPath(dir, entry.name))
    device.syncDirSync(dir)
  }
}

function removeQuietly(remove: () => void): void {
  try {
    remove()
  } catch {
    // The temporary file may never have been created; a leftover one is removed on open.
  }
}

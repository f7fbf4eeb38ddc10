/**
 * The seam between the transaction layer and everything that must hear of a commit (the log,
 * replication). Hooks are called synchronously, in sequencer order, right after a commit is
 * applied in memory; what they promise about durability they answer through `whenDurable`.
 */

/** How hard a commit is pushed to disk before its `durable` promise resolves (see the log). */
export type CommitPolicy = 'sync-flush' | 'delayed' | 'buffered' | 'no-sync'

/**
 * What a commit's `durable` promise resolves to. `replica-detached`: the commit applied on the
 * master, but a sync replica detached before it was known to have it (eXtremeDB
 * MCO_S_HA_REPLICA_DETACH); it may be lost if the application fails over to that replica.
 */
export type CommitStatus = 'ok' | 'replica-detached'

/** Where a commit came from. */
export type CommitOrigin =
  /** A write transaction of this process. */
  | 'local'
  /** A change set received from a master and applied here (a replica, or a cascade relay). */
  | 'replicated'

export interface CommitRecord {
  /** The sequencer value this commit produced. */
  readonly seq: bigint
  /** The encoded change set (see change-set.ts); the same bytes feed the log and replication. */
  readonly changeSet: Uint8Array
  /** True when some op of the change set is on a `local` class (replication must filter). */
  readonly hasLocal: boolean
  readonly origin: CommitOrigin
  /** The policy the committer asked for (the database default unless overridden). */
  readonly policy: CommitPolicy
}

export interface CommitHook {
  /** A short name for errors and status ('log', 'ha-master', ...). */
  readonly name: string
  /** Throws a TandemError to refuse a write before it starts (read-only replica, no quorum). */
  checkWrite?(): void
  /** Hears a commit, synchronously, in sequencer order. Must not throw for operating errors. */
  onCommit(record: CommitRecord): void
  /**
   * Resolves when this hook's part of the promise for commit `seq` holds (its log record is
   * flushed, its sync replicas acknowledged), or rejects with a TandemError when it never will.
   */
  whenDurable?(seq: bigint): Promise<CommitStatus>
  /** Hears that the database memory was extended by `bytes` (replicas are told). */
  onExtend?(bytes: number): void
  /**
   * Hears that every object was removed outside a commit (`clear()`: the start of a full
   * load). The log stops appending until the load ends, keeping the previous state on disk.
   */
  onClear?(): void
  /**
   * Hears that the sequencer was set outside a commit (`setSequencer(seq)`: the end of a full
   * load; 0 begins one). The log restarts from a snapshot of the content at `seq`.
   */
  onSetSequencer?(seq: bigint): void
}

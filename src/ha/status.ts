/**
 * Status of the cores, for `status` tables and tests (Slony's sl_status): per replica its
 * state, confirmed sequencer and lag.
 */
import type { ConnId } from './inputs.js'
import type { ReplicationMode, SyncKind } from './messages.js'

/**
 * The master's view of one replica connection:
 * `handshake` (connected, no Attach yet) → `loading` (hot load) → `catching-up` (waiting for
 * the ack of LoadEnd / StatefulEnd) → `streaming`; any → `detaching` (Detach sent, waiting for
 * the close) → gone.
 */
export type ReplicaConnState = 'handshake' | 'loading' | 'catching-up' | 'streaming' | 'detaching'

/** Byte counters the runtime's channel keeps, passed in to `status()`. */
export interface ChannelCounters {
  readonly bytesSent: number
  readonly bytesReceived: number
}

export interface ReplicaConnStatus {
  readonly conn: ConnId
  readonly channel: string
  /** How the master treats it: `sync` (acks awaited) or `async`; null before Attach. */
  readonly mode: ReplicationMode | null
  readonly state: ReplicaConnState
  /** How its initial sync was done; null before Attach. */
  readonly sync: SyncKind | null
  /** The highest sequencer the replica confirmed applied (-1n: nothing confirmed yet). */
  readonly confirmedSeq: bigint
  /** Master sequencer minus confirmedSeq (0 when confirmed nothing and the master is at 0). */
  readonly lagTransactions: bigint
  /**
   * Age of the oldest commit the replica has not confirmed (0 when none). When that commit
   * fell out of the backlog, the age of the oldest backlog entry (a lower bound).
   */
  readonly lagMs: number
  readonly bytesSent: number | null
  readonly bytesReceived: number | null
  /** Hot-load progress: objects sent so far, of the replicated objects there when it began. */
  readonly loadSentObjects: number
  /** Replicated objects in the database when the load began; null when there was no load. */
  readonly loadTotalObjects: number | null
}

export interface MasterStatus {
  readonly seq: bigint
  readonly generation: number
  readonly mode: ReplicationMode
  readonly windowSize: number
  readonly quorum: number
  /** Sync replicas in `streaming` state: what the quorum counts. */
  readonly activeSyncReplicas: number
  /** Change sets held for stateful catch-up, and the range they cover. */
  readonly backlogLength: number
  readonly backlogFirstSeq: bigint | null
  readonly commitsWaiting: number
  readonly stopping: boolean
  readonly replicas: readonly ReplicaConnStatus[]
}

/**
 * The replica's attach session: `idle` (not connected) → `handshake` (Attach sent) →
 * `loading` | `catching-up` | `streaming` → `stopped`.
 */
export type ReplicaState =
  | 'idle'
  | 'handshake'
  | 'loading'
  | 'catching-up'
  | 'streaming'
  | 'stopped'

export interface ReplicaStatus {
  readonly state: ReplicaState
  /** How the master treats this replica (from AttachAccepted); null before. */
  readonly mode: ReplicationMode | null
  readonly sync: SyncKind | null
  /** The highest sequencer applied (answered by `applied`). */
  readonly appliedSeq: bigint
  /** The highest sequencer received (applied or being applied). */
  readonly receivedSeq: bigint
  readonly masterGeneration: number | null
  /** Initial-load progress: objects received in load batches so far. */
  readonly loadedObjects: number
  readonly masterSeqAtAttach: bigint | null
}

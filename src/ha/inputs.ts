/**
 * Everything that enters a core goes through `step(input)`. Time enters only with `tick`:
 * the cores keep the `nowMs` of the last tick and stamp every other input with it, so the
 * runtime must tick before other inputs of a new instant (and the simulator decides order).
 */
import type { ErrorCode } from '../errors.js'
import type { CommitRecord } from '../txn/commit-hook.js'
import type { Message } from './messages.js'

/** A connection to a replica, numbered by the runtime (unique for the master's lifetime). */
export type ConnId = number

export type MasterInput =
  /** The clock moved to `nowMs` (never backwards). Timeouts, keep-alives, hot-load batches. */
  | { readonly kind: 'tick'; readonly nowMs: number }
  /** A replica connected over `channel` (its connection string, for status). */
  | { readonly kind: 'connected'; readonly conn: ConnId; readonly channel: string }
  /** A decoded message arrived from a replica. */
  | { readonly kind: 'received'; readonly conn: ConnId; readonly message: Message }
  /** The connection ended (`code` null: closed cleanly; else why, e.g. TDB_FRAME_MALFORMED). */
  | { readonly kind: 'disconnected'; readonly conn: ConnId; readonly code: ErrorCode | null }
  /** A commit happened on this database (origin 'local', or 'replicated' on a relay). */
  | { readonly kind: 'committed'; readonly record: CommitRecord }
  /** The database memory was extended by `bytes`. */
  | { readonly kind: 'extended'; readonly bytes: number }
  /** Force an acknowledgement of every outstanding change set (mco_HA_commit_window). */
  | { readonly kind: 'commitWindow' }
  /** Change the quorum at run time (throws TDB_INCOMPATIBLE_MODES / TDB_INVALID_PARAMETER). */
  | { readonly kind: 'setQuorum'; readonly quorum: number }
  /** Change the transaction window at run time (throws like setQuorum). */
  | { readonly kind: 'setWindowSize'; readonly windowSize: number }
  /**
   * The database was replaced under the master (a cascade relay finished a full load from
   * its own master): every replica is sent Detach and closed at once so that it attaches
   * again, the backlog is dropped, and the sequencer is read again from the view.
   */
  | { readonly kind: 'reset' }
  /** Detach one replica (mco_HA_detach_replica). */
  | { readonly kind: 'detach'; readonly conn: ConnId }
  /** Detach every replica; the master keeps accepting new ones. */
  | { readonly kind: 'detachAll' }
  /** Detach every replica and refuse new ones (mco_HA_stop); Ready.stopped turns true. */
  | { readonly kind: 'stop' }

export type ReplicaInput =
  /** The clock moved to `nowMs` (never backwards). */
  | { readonly kind: 'tick'; readonly nowMs: number }
  /** The channel to the master is up: the core sends Attach. */
  | { readonly kind: 'connected' }
  /** The channel to the master could not be opened: CONNECT_FAILED, then stopped. */
  | { readonly kind: 'connectFailed'; readonly code: ErrorCode }
  /** A decoded message arrived from the master. */
  | { readonly kind: 'received'; readonly message: Message }
  /** The channel broke or closed (`code` null: closed without an error). */
  | { readonly kind: 'disconnected'; readonly code: ErrorCode | null }
  /** The runtime finished an apply effect that carries `seq` (applyChangeSet, setSequencer). */
  | { readonly kind: 'applied'; readonly seq: bigint }
  /** An apply effect failed: the replica stops (COMMIT_FAILED or DB_LOAD_FAILED). */
  | { readonly kind: 'applyFailed'; readonly code: ErrorCode; readonly message: string }
  /** mco_HA_cancel: abandon the attach at once (stop reason STOPPED_BY_LOCAL_REQUEST). */
  | { readonly kind: 'cancel' }
  /** mco_HA_replica_stop: send Detach, close, stop (STOPPED_BY_LOCAL_REQUEST). */
  | { readonly kind: 'stop' }
  /** This node takes over as master: close, stop with BECOMES_MASTER. */
  | { readonly kind: 'becomeMaster' }

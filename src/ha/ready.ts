/**
 * The only way effects leave a core (raft `Ready`). After every `step`, the runtime loops:
 *
 * ```ts
 * core.step(input)
 * while (core.hasReady()) {
 *   const ready = core.ready()
 *   // perform it, in the documented order of its fields
 *   core.advance(ready)
 * }
 * ```
 *
 * Outcomes of effects (a send failed, an apply finished) come back later as inputs, never by
 * callbacks into the core.
 */
import type { ErrorCode } from '../errors.js'
import type { CommitStatus } from '../txn/commit-hook.js'
import type { ChangeOp } from '../txn/change-set.js'
import type { ConnId } from './inputs.js'
import type { Message } from './messages.js'
import type { Notification, StopReason } from './notify.js'

/** A message for one replica connection. */
export interface Outbound {
  readonly conn: ConnId
  readonly message: Message
}

/** The final word on one commit: resolve its `whenDurable(seq)` with `status`. */
export interface CommitOutcome {
  readonly seq: bigint
  readonly status: CommitStatus
}

/**
 * An async replica finished its initial sync: from now on the runtime's async sender
 * delivers it every change set with a sequencer above `fromSeq` (filtered with
 * `skipClassIds`), from its ring buffer. The core never sends it Change messages again, but
 * may still send KeepAlive, Extend and Detach to it.
 */
export interface AsyncStreamHandoff {
  readonly conn: ConnId
  readonly fromSeq: bigint
  readonly skipClassIds: readonly number[]
}

/** A notification about one replica connection of the master. */
export interface MasterNotification {
  readonly conn: ConnId
  readonly notification: Notification
}

/**
 * The master's effects. Perform them in this order: `messages` (in order, per connection),
 * `asyncStreams`, `closes` (after the messages to that connection were handed to the
 * channel), `commitOutcomes` (in sequencer order), `notifications`; then, when `stopped`,
 * the master is done (every replica was detached and closed).
 */
export interface MasterReady {
  readonly messages: readonly Outbound[]
  readonly asyncStreams: readonly AsyncStreamHandoff[]
  readonly closes: readonly ConnId[]
  readonly commitOutcomes: readonly CommitOutcome[]
  readonly notifications: readonly MasterNotification[]
  readonly stopped: boolean
}

/**
 * What the replica runtime does to its database, in order. `skipClassIds` are the classes the
 * replica does not write (its local classes while its filter is on): the runtime passes
 * `isLocal = (id) => skipClassIds.includes(id)` to the engine. Effects that carry `seq` are
 * answered with an `applied { seq }` input (or `applyFailed`).
 */
export type ReplicaApply =
  /**
   * Empty the database before a full load and set its sequencer to 0 (engine.clear();
   * engine.setSequencer(0n)), so that change sets forwarded during the load apply in order.
   */
  | { readonly kind: 'clear' }
  /** Insert loaded objects (engine.loadObjects(ops, isLocal)). */
  | {
      readonly kind: 'loadObjects'
      readonly ops: readonly ChangeOp[]
      readonly skipClassIds: readonly number[]
    }
  /** Apply one change set (engine.applyChangeSet(bytes, { isLocal })); answer `applied`. */
  | {
      readonly kind: 'applyChangeSet'
      readonly seq: bigint
      readonly changeSet: Uint8Array
      readonly skipClassIds: readonly number[]
    }
  /** Set the sequencer at the end of a load (engine.setSequencer(seq)); answer `applied`. */
  | { readonly kind: 'setSequencer'; readonly seq: bigint }
  /** Grow the database memory (engine.extend(bytes)). */
  | { readonly kind: 'extend'; readonly bytes: number }

/**
 * The replica's effects. Perform them in this order: `applies` (in order), `messages` (to
 * the master, in order), `close` (close the channel), `notifications`; `stopped` is set
 * once, with the reason, when the attach session is over (the core takes no more input
 * except ticks, which do nothing). Perform the applies of the Ready that stops too: a
 * session that stops in the middle of a full load ends with a `clear`, so that the next
 * attach starts from an empty database at sequencer 0 rather than a half-loaded one.
 */
export interface ReplicaReady {
  readonly applies: readonly ReplicaApply[]
  readonly messages: readonly Message[]
  readonly close: boolean
  readonly notifications: readonly Notification[]
  readonly stopped: { readonly reason: StopReason; readonly code: ErrorCode | null } | null
}

/** The shape both cores share (raft RawNode). */
export interface Core<Input, R> {
  /** Feeds one input; runs to completion; asserts the invariants at the end. */
  step(input: Input): void
  /** True when effects are waiting. */
  hasReady(): boolean
  /** A snapshot of the waiting effects; steps taken before `advance` only add to them. */
  ready(): R
  /** Declares `ready` performed: its effects are dropped from the core. */
  advance(ready: R): void
  /** Asserts the core's internal invariants (a failure is a bug: AssertionError). */
  invariants(): void
}

const NONE: readonly never[] = Object.freeze([])

/**
 * A frozen copy of a core's pending effects of one kind for its Ready. Most kinds are empty in
 * most Readies (one per commit on the hot path): those share one frozen empty array.
 */
export function readyList<T>(pending: readonly T[]): readonly T[] {
  return pending.length === 0 ? NONE : Object.freeze(pending.slice())
}

/** Drops the first `count` pending effects (what `advance` declares performed). */
export function dropPerformed<T>(pending: T[], count: number): void {
  if (count === 1) pending.shift()
  else if (count > 0) pending.splice(0, count)
}

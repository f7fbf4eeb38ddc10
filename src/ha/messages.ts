/**
 * The replication wire messages: tagged, frozen data, each with a companion factory
 * (`Change.create({...})`, `Change.is(message)`). Only codec.ts turns them into bytes.
 *
 * Direction: master → replica unless marked "replica → master".
 *
 * @example
 * const change = Change.create({ seq: 8n, changeSet: bytes, ack: true })
 * if (Change.is(message)) apply(message.changeSet)
 */
import type { ErrorCode } from '../errors.js'
import type { ChangeOp } from '../txn/change-set.js'

/** The version of this message set; codec.ts writes it into every frame and checks it. */
export const PROTOCOL_VERSION = 1

/** What a node says about one class of its dictionary at attach time. */
export interface ClassInfo {
  readonly id: number
  /** `ClassDef.shapeHash`: the class's shape without its `local` flag. */
  readonly shapeHash: string
  /** `local class` on that node. */
  readonly local: boolean
}

/** The master's replication mode. */
export type ReplicationMode = 'sync' | 'async'

/**
 * How the master brings an attaching replica up to date: `equal` (same sequencer and
 * generation, nothing to send), `stateful` (only the missed change sets, from the backlog),
 * `full` (a hot load of the whole database, then the live stream).
 */
export type SyncKind = 'equal' | 'stateful' | 'full'

/** Replica → master: the first message on a connection. */
export interface Attach {
  readonly kind: 'Attach'
  readonly protocolVersion: number
  /** The replica's database name (may differ from the master's). */
  readonly dbName: string
  /** Every class of the replica's dictionary, with its `local` flag. */
  readonly classes: readonly ClassInfo[]
  /** False when the replica ignores `local` (writes every class it receives). */
  readonly filter: boolean
  /** The replica's sequencer. */
  readonly seq: bigint
  /** The replication generation the replica's data belongs to. */
  readonly generation: number
  /** Ask an async master to treat this replica as sync (MCO_HAMODE_FORCE_SYNC). */
  readonly forceSync: boolean
}

/** The master accepts the replica and says how it will be synchronized. */
export interface AttachAccepted {
  readonly kind: 'AttachAccepted'
  /** How the master treats this replica: `sync` (acks) or `async` (no acks awaited). */
  readonly mode: ReplicationMode
  readonly windowSize: number
  readonly sync: SyncKind
  readonly masterSeq: bigint
  readonly memorySizeBytes: number
  readonly generation: number
}

/** The master refuses the replica; the connection is closed after it. */
export interface AttachRefused {
  readonly kind: 'AttachRefused'
  /** TDB_DICTIONARY_MISMATCH, TDB_MAX_REPLICAS, TDB_PROTOCOL or TDB_STOPPED. */
  readonly code: ErrorCode
  readonly message: string
}

/** A full (hot) load begins: the replica clears its database. */
export interface LoadBegin {
  readonly kind: 'LoadBegin'
  /** The master's sequencer when the load began. */
  readonly masterSeq: bigint
  /** The most objects one LoadBatch will carry (hotsyncMsgObjects). */
  readonly batchObjects: number
}

/** Objects of a full load, as insert ops in (classId, rid) order. */
export interface LoadBatch {
  readonly kind: 'LoadBatch'
  readonly ops: readonly ChangeOp[]
}

/** The full load is complete: the replica's sequencer becomes `seq`; the replica acks it. */
export interface LoadEnd {
  readonly kind: 'LoadEnd'
  readonly seq: bigint
}

/** Stateful catch-up begins: the change sets `fromSeq`..`toSeq` follow. */
export interface StatefulBegin {
  readonly kind: 'StatefulBegin'
  readonly fromSeq: bigint
  readonly toSeq: bigint
}

/** Stateful catch-up is complete at `seq`; the replica acks it. */
export interface StatefulEnd {
  readonly kind: 'StatefulEnd'
  readonly seq: bigint
}

/** One committed change set (filtered of the master's local classes). */
export interface Change {
  readonly kind: 'Change'
  readonly seq: bigint
  /** An encoded change set (src/txn/change-set.ts). */
  readonly changeSet: Uint8Array
  /** The replica must send Ack once it has applied this change set (a window boundary). */
  readonly ack: boolean
}

/** commitWindow(): the replica must ack once it has applied everything up to `seq`. */
export interface AckRequest {
  readonly kind: 'AckRequest'
  readonly seq: bigint
}

/**
 * Replica → master: everything up to `seq` is applied. Sent when asked (Change.ack,
 * AckRequest, LoadEnd, StatefulEnd) and every confirmIntervalMs when the replica advanced.
 */
export interface Ack {
  readonly kind: 'Ack'
  readonly seq: bigint
}

/** Sent to an idle replica so that its waitDataTimeoutMs does not fire. */
export interface KeepAlive {
  readonly kind: 'KeepAlive'
}

/**
 * Either side: the sender ends replication on this connection. From the master the replica
 * stops with MASTER_REQUESTED_DISCONNECT; from the replica it is its local stop.
 */
export interface Detach {
  readonly kind: 'Detach'
  readonly message: string
}

/** The master's memory grew by `bytes`; the replica extends its own (autoExtend). */
export interface Extend {
  readonly kind: 'Extend'
  readonly bytes: number
}

/** Every replication message. */
export type Message =
  | Attach
  | AttachAccepted
  | AttachRefused
  | LoadBegin
  | LoadBatch
  | LoadEnd
  | StatefulBegin
  | StatefulEnd
  | Change
  | AckRequest
  | Ack
  | KeepAlive
  | Detach
  | Extend

export type MessageKind = Message['kind']

/** The companion of a message type: a frozen-instance factory and a type guard. */
export interface MessageFactory<M extends Message> {
  readonly kind: M['kind']
  create(fields: Omit<M, 'kind'>): M
  is(message: Message): message is M
}

function factory<M extends Message>(kind: M['kind']): MessageFactory<M> {
  return Object.freeze({
    kind,
    create: (fields: Omit<M, 'kind'>) => Object.freeze({ kind, ...fields }) as M,
    is: (message: Message): message is M => message.kind === kind,
  })
}

export const Attach = factory<Attach>('Attach')
export const AttachAccepted = factory<AttachAccepted>('AttachAccepted')
export const AttachRefused = factory<AttachRefused>('AttachRefused')
export const LoadBegin = factory<LoadBegin>('LoadBegin')
export const LoadBatch = factory<LoadBatch>('LoadBatch')
export const LoadEnd = factory<LoadEnd>('LoadEnd')
export const StatefulBegin = factory<StatefulBegin>('StatefulBegin')
export const StatefulEnd = factory<StatefulEnd>('StatefulEnd')
export const Change = factory<Change>('Change')
export const AckRequest = factory<AckRequest>('AckRequest')
export const Ack = factory<Ack>('Ack')
export const KeepAlive = factory<KeepAlive>('KeepAlive')
export const Detach = factory<Detach>('Detach')
export const Extend = factory<Extend>('Extend')

/** Every message kind, in wire-tag order (codec.ts writes the index as the tag). */
export const MESSAGE_KINDS: readonly MessageKind[] = Object.freeze([
  'Attach',
  'AttachAccepted',
  'AttachRefused',
  'LoadBegin',
  'LoadBatch',
  'LoadEnd',
  'StatefulBegin',
  'StatefulEnd',
  'Change',
  'AckRequest',
  'Ack',
  'KeepAlive',
  'Detach',
  'Extend',
])

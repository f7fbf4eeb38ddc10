/**
 * tandemdb: an in-memory, schema-compiled object database for Node.js with high availability
 * built in. This file is the whole public surface; everything else is internal.
 *
 * - Schema: `loadDictionary(ddl)` (or `tandemdb compile` for typed accessors).
 * - Database: `Database.open({ dictionary, memorySize?, log? })`, `write`, `read`.
 * - Replication: `HaMaster.start(db, options)`, `HaReplica.attach(db, connectionString)`.
 * - Channels: `registerChannel` for a transport of your own.
 * - Errors: `TandemError` and its subclasses, with stable `code`s (`ERROR_CODES`).
 */

// Errors.
export {
  AssertionError,
  ChannelError,
  ERROR_CODES,
  LogError,
  ProtocolError,
  ReplicationError,
  SchemaError,
  StoreError,
  TandemError,
  TxnError,
} from './errors.js'
export type { ErrorCode } from './errors.js'

// Schema.
export { loadDictionary } from './schema/load-dictionary.js'
export { generateModule } from './schema/codegen.js'
export type { GenerateOptions } from './schema/codegen.js'
export type {
  ClassDef,
  Dictionary,
  EnumDef,
  FieldDef,
  FieldType,
  IndexDef,
  IndexKey,
  StructDef,
} from './schema/dictionary.js'

// Transactions.
export type {
  ClassRef,
  CompareOp,
  Cursor,
  IndexRef,
  KeyValue,
  ObjectValues,
  Oid,
  RangeOptions,
  ReadTransaction,
  WriteOptions,
  WriteResult,
  WriteTransaction,
} from './txn/api.js'
export type { CommitPolicy, CommitStatus } from './txn/commit-hook.js'

// The database and its log.
export { Database } from './node/database.js'
export type { DatabaseOptions } from './node/database.js'
export type { LogOptions } from './log/log-options.js'
export type { LogWarning } from './log/log-warning.js'

// Replication.
export { HaMaster } from './node/ha-master.js'
export type { HaMasterOptions } from './node/ha-master.js'
export { HaReplica } from './node/ha-replica.js'
export type { HaReplicaOptions, HaStopInfo } from './node/ha-replica.js'
export type { HaNotification, HaNotifyHandler } from './node/ha-notification.js'
export { NotificationCode, StopReason } from './ha/notify.js'
export type { NotificationName, StopReasonName } from './ha/notify.js'
export type { ReplicationMode } from './ha/messages.js'
export type {
  ChannelCounters,
  MasterStatus,
  ReplicaConnState,
  ReplicaConnStatus,
  ReplicaState,
  ReplicaStatus,
} from './ha/status.js'

// Channels.
export { registerChannel, registeredChannels, unregisterChannel } from './channels/registry.js'
export type {
  Channel,
  ChannelOptions,
  ChannelRole,
  Connection,
  Listener,
} from './channels/channel.js'

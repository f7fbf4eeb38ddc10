/**
 * Replication notifications: the eXtremeDB replica notification codes (MCO_REPL_NOTIFY_*) and
 * stop reasons (MCO_HA_REPLICA_STOP_REASON), with the same numbers and names. Both cores emit
 * them as data in their Ready; the runtime hands them to the user's callback.
 */
import { assert } from '../util/assert.js'

/** Notification codes, numbered exactly as eXtremeDB numbers them. */
export const NotificationCode = {
  CONNECTED: 0,
  CONNECT_FAILED: 1,
  DB_EQUAL: 2,
  DB_LOAD_BEGIN: 3,
  DB_LOAD_FAILED: 4,
  DB_LOAD_OK: 5,
  COMMIT_FAILED: 6,
  REPLICA_STOPPED: 7,
  DB_CREATION_FAILED: 8,
  HOTSYNC: 9,
  EOHOTSYNC: 10,
  STATEFUL_SYNC: 11,
  STATEFUL_SYNC_END: 12,
  MASTER_DB_EXTENDED: 13,
  MASTER_DB_CLEANED: 14,
  SCHEMA_CHANGED: 15,
} as const
export type NotificationName = keyof typeof NotificationCode
export type NotificationCode = (typeof NotificationCode)[NotificationName]

/** Why a replica stopped replicating, numbered exactly as eXtremeDB numbers the reasons. */
export const StopReason = {
  CONNECTION_ABORTED: 0,
  MASTER_REQUESTED_DISCONNECT: 1,
  HANDSHAKE_FAILED: 2,
  STOPPED_BY_LOCAL_REQUEST: 3,
  BECOMES_MASTER: 4,
  ITERATOR_ERROR: 5,
} as const
export type StopReasonName = keyof typeof StopReason
export type StopReason = (typeof StopReason)[StopReasonName]

/**
 * One notification. `param1` carries what eXtremeDB puts in param1 (an error code, a stop
 * reason), `param2` what it points to with param2 (the added bytes of MASTER_DB_EXTENDED).
 * `message` is a readable sentence for logs.
 *
 * @example
 * notification('REPLICA_STOPPED', { param1: StopReason.CONNECTION_ABORTED, message: 'link lost' })
 */
export interface Notification {
  readonly code: NotificationCode
  readonly name: NotificationName
  readonly param1?: number | string
  readonly param2?: number
  readonly message: string
}

const nameByCode = new Map<number, NotificationName>(
  Object.entries(NotificationCode).map(([name, code]) => [code, name as NotificationName]),
)
const stopNameByCode = new Map<number, StopReasonName>(
  Object.entries(StopReason).map(([name, code]) => [code, name as StopReasonName]),
)

/** The name of a notification code (`notificationName(13) === 'MASTER_DB_EXTENDED'`). */
export function notificationName(code: NotificationCode): NotificationName {
  const name = nameByCode.get(code)
  assert(name !== undefined, `unknown notification code ${code}`)
  return name
}

/** The name of a stop reason (`stopReasonName(1) === 'MASTER_REQUESTED_DISCONNECT'`). */
export function stopReasonName(reason: StopReason): StopReasonName {
  const name = stopNameByCode.get(reason)
  assert(name !== undefined, `unknown stop reason ${reason}`)
  return name
}

/** Builds a frozen notification; the message defaults to the lower-cased name. */
export function notification(
  name: NotificationName,
  fields: { param1?: number | string; param2?: number; message?: string } = {},
): Notification {
  const result: Notification = {
    code: NotificationCode[name],
    name,
    ...(fields.param1 === undefined ? {} : { param1: fields.param1 }),
    ...(fields.param2 === undefined ? {} : { param2: fields.param2 }),
    message: fields.message ?? name.toLowerCase().replaceAll('_', ' '),
  }
  return Object.freeze(result)
}

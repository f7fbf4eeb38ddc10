/**
 * Notifications as the application receives them (eXtremeDB's replica notification callback:
 * a code, its name, param1 and param2), from a replica about its attach session and from a
 * master about each of its replicas (then `replica` names the connection, as in `status()`).
 */
import type { Notification, NotificationCode, NotificationName } from '../ha/notify.js'

export interface HaNotification {
  /** The eXtremeDB notification code (0 CONNECTED ... 15 SCHEMA_CHANGED). */
  readonly code: NotificationCode
  readonly name: NotificationName
  /** An error code (CONNECT_FAILED, DB_LOAD_FAILED, COMMIT_FAILED) or a stop reason number. */
  readonly param1?: number | string
  /** The added bytes of MASTER_DB_EXTENDED. */
  readonly param2?: number
  /** A readable sentence for logs. */
  readonly message: string
  /** On a master: the replica connection the notification is about. */
  readonly replica?: number
}

/** The application's notification callback. */
export type HaNotifyHandler = (notification: HaNotification) => void

/**
 * Hands a notification to the application's callback on a microtask: user code never runs
 * inside a driver's step loop, so it may call back into the master or replica freely. Effects
 * of one step keep their order.
 */
export function deliverNotification(
  handler: HaNotifyHandler | undefined,
  notification: Notification,
  replica?: number,
): void {
  if (handler === undefined) return
  const delivered: HaNotification =
    replica === undefined ? notification : Object.freeze({ ...notification, replica })
  queueMicrotask(() => handler(delivered))
}

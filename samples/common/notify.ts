/**
 * Prints HA notifications the way the eXtremeDB samples' shared notification callback does:
 * one "** Notification ** ..." line per code, on the master (about one of its replicas) and on
 * a replica (about its attach session), and reports each to the runner as a `notify` event.
 */
import { stopReasonName } from '../../src/ha/notify.js'
import type { StopReason } from '../../src/ha/notify.js'
import type { HaNotification, HaNotifyHandler } from '../../src/node/ha-notification.js'
import { emit, say } from './child.js'

/** The sentence a sample prints for a notification. */
export function notificationText(n: HaNotification): string {
  switch (n.name) {
    case 'CONNECTED':
      return `connected (${n.message})`
    case 'CONNECT_FAILED':
      return `connection failed, error ${String(n.param1)}`
    case 'DB_EQUAL':
      return 'databases are equal'
    case 'DB_LOAD_BEGIN':
      return 'database is being loaded'
    case 'DB_LOAD_FAILED':
      return `database load failed, error ${String(n.param1)}`
    case 'DB_LOAD_OK':
      return 'database loaded successfully'
    case 'COMMIT_FAILED':
      return `commit failed, error ${String(n.param1)}`
    case 'REPLICA_STOPPED':
      return `replica stopped with reason ${String(n.param1)} (${reasonName(n.param1)})`
    case 'HOTSYNC':
      return 'hot synchronization started'
    case 'EOHOTSYNC':
      return 'hot synchronization complete'
    case 'STATEFUL_SYNC':
      return `stateful synchronization started (${String(n.param1)} transactions)`
    case 'STATEFUL_SYNC_END':
      return 'stateful synchronization complete'
    case 'MASTER_DB_EXTENDED':
      return `master database extended by ${String(n.param2)} bytes`
    default:
      return `${n.name} (${n.code}) ${n.message}`
  }
}

function reasonName(param1: number | string | undefined): string {
  return typeof param1 === 'number' ? stopReasonName(param1 as StopReason) : String(param1)
}

/**
 * A notification callback that prints as `who` and reports a `notify` event (name, param1,
 * replica). On a master, `replicaName` names the connection the notification is about.
 */
export function printingNotifier(
  who: string,
  replicaName: (conn: number) => string = (conn) => `replica connection ${conn}`,
): HaNotifyHandler {
  return (n) => {
    const about = n.replica === undefined ? '' : `${replicaName(n.replica)}: `
    say(who, `** Notification ** ${about}${notificationText(n)}`)
    emit('notify', {
      name: n.name,
      ...(n.param1 === undefined ? {} : { param1: n.param1 }),
      ...(n.replica === undefined ? {} : { replica: n.replica }),
    })
  }
}

/**
 * Notification codes and stop reasons (DESIGN.md "Replication": notifications): the numbers
 * and names are exactly eXtremeDB's (reference (b)), and notifications are frozen data.
 */
import { describe, expect, it } from 'vitest'
import { AssertionError } from '../../../src/errors.js'
import {
  NotificationCode,
  notification,
  notificationName,
  StopReason,
  stopReasonName,
} from '../../../src/ha/notify.js'

describe('notification codes (eXtremeDB MCO_REPL_NOTIFY_*)', () => {
  it('numbers the sixteen codes 0-15 as eXtremeDB does', () => {
    expect(Object.entries(NotificationCode)).toEqual([
      ['CONNECTED', 0],
      ['CONNECT_FAILED', 1],
      ['DB_EQUAL', 2],
      ['DB_LOAD_BEGIN', 3],
      ['DB_LOAD_FAILED', 4],
      ['DB_LOAD_OK', 5],
      ['COMMIT_FAILED', 6],
      ['REPLICA_STOPPED', 7],
      ['DB_CREATION_FAILED', 8],
      ['HOTSYNC', 9],
      ['EOHOTSYNC', 10],
      ['STATEFUL_SYNC', 11],
      ['STATEFUL_SYNC_END', 12],
      ['MASTER_DB_EXTENDED', 13],
      ['MASTER_DB_CLEANED', 14],
      ['SCHEMA_CHANGED', 15],
    ])
  })

  it('numbers the stop reasons 0-5 as eXtremeDB does', () => {
    expect(Object.entries(StopReason)).toEqual([
      ['CONNECTION_ABORTED', 0],
      ['MASTER_REQUESTED_DISCONNECT', 1],
      ['HANDSHAKE_FAILED', 2],
      ['STOPPED_BY_LOCAL_REQUEST', 3],
      ['BECOMES_MASTER', 4],
      ['ITERATOR_ERROR', 5],
    ])
  })

  it('maps codes back to names', () => {
    expect(notificationName(13)).toBe('MASTER_DB_EXTENDED')
    expect(stopReasonName(1)).toBe('MASTER_REQUESTED_DISCONNECT')
    expect(() => notificationName(16 as never)).toThrow(AssertionError)
    expect(() => stopReasonName(6 as never)).toThrow(AssertionError)
  })

  it('builds frozen notifications with their code, params and a message', () => {
    const note = notification('MASTER_DB_EXTENDED', { param2: 4096 })
    expect(note).toEqual({
      code: 13,
      name: 'MASTER_DB_EXTENDED',
      param2: 4096,
      message: 'master db extended',
    })
    expect(Object.isFrozen(note)).toBe(true)
    expect(notification('REPLICA_STOPPED', { param1: 3, message: 'bye' })).toEqual({
      code: 7,
      name: 'REPLICA_STOPPED',
      param1: 3,
      message: 'bye',
    })
  })
})

/**
 * MasterCore attach handling (DESIGN.md "Replication": attach, partial replication, backlog).
 * Raft paper-test style: build a master, put it in a state, step ONE input (the replica's
 * Attach), and assert on the Ready: accept or refuse with the exact code, and the choice of
 * equal / stateful / full sync at the boundaries of the backlog.
 */
import { describe, expect, it } from 'vitest'
import * as M from '../../../src/ha/messages.js'
import { NotificationCode, StopReason } from '../../../src/ha/notify.js'
import {
  MASTER_CLASSES,
  REPLICA_CLASSES,
  attach,
  attachReplica,
  kinds,
  makeMaster,
  masterNotes,
  sentTo,
  takeMaster,
} from './fixtures.js'

function commitN(master: ReturnType<typeof makeMaster>, n: number): void {
  for (let i = 0; i < n; i++) {
    master.master.step({ kind: 'committed', record: master.db.insertMany(1, 1) })
  }
  takeMaster(master.master)
}

describe('MasterCore handshake (DESIGN.md "Replication")', () => {
  it('accepts a compatible replica and says how it will sync', () => {
    const { master } = makeMaster()
    const ready = attachReplica(master, 7)
    const [accepted] = sentTo(ready, 7)
    expect(accepted).toEqual(
      M.AttachAccepted.create({
        mode: 'sync',
        windowSize: 1,
        sync: 'equal',
        masterSeq: 0n,
        memorySizeBytes: 1 << 20,
        generation: 0,
      }),
    )
    expect(masterNotes(ready, 7)).toEqual(['CONNECTED', 'DB_EQUAL'])
    expect(ready.closes).toEqual([])
  })

  it('refuses a replica whose shape of a replicated class differs: TDB_DICTIONARY_MISMATCH', () => {
    const { master } = makeMaster()
    const classes = MASTER_CLASSES.map((c) => (c.id === 2 ? { ...c, shapeHash: 'other' } : c))
    const ready = attachReplica(master, 1, { classes })
    const [refused] = sentTo(ready, 1)
    expect(refused?.kind).toBe('AttachRefused')
    expect(refused).toMatchObject({ code: 'TDB_DICTIONARY_MISMATCH' })
    expect((refused as M.AttachRefused).message).toContain('class 2')
    expect(ready.closes).toEqual([1])
    const stopped = ready.notifications.find((n) => n.notification.name === 'REPLICA_STOPPED')
    expect(stopped?.notification.param1).toBe(StopReason.HANDSHAKE_FAILED)
    expect(master.status().replicas).toEqual([])
  })

  it('refuses a replica that lacks a class the master sends', () => {
    const { master } = makeMaster()
    const ready = attachReplica(master, 1, { classes: MASTER_CLASSES.filter((c) => c.id !== 1) })
    expect(sentTo(ready, 1)[0]).toMatchObject({ code: 'TDB_DICTIONARY_MISMATCH' })
  })

  it('accepts different local classes (hafilter): a class local on either side may differ', () => {
    const { master } = makeMaster()
    // Class 3 is local on the master (never sent); class 1 local on the replica (never
    // written): their shapes may differ freely.
    const classes = [
      { id: 1, shapeHash: 'replica-only-shape', local: true },
      { id: 2, shapeHash: 'h2', local: false },
      { id: 3, shapeHash: 'different', local: false },
    ]
    const ready = attachReplica(master, 1, { classes, dbName: 'filterrpldb' })
    expect(kinds(sentTo(ready, 1))[0]).toBe('AttachAccepted')
  })

  it('checks every class when the replica filter is off', () => {
    const { master } = makeMaster()
    const classes = [
      { id: 1, shapeHash: 'replica-only-shape', local: true },
      { id: 2, shapeHash: 'h2', local: false },
      { id: 3, shapeHash: 'h3', local: false },
    ]
    const ready = attachReplica(master, 1, { classes, filter: false })
    expect(sentTo(ready, 1)[0]).toMatchObject({ code: 'TDB_DICTIONARY_MISMATCH' })
  })

  it('checks master-local classes too when the master filter is off', () => {
    const classes = REPLICA_CLASSES.map((c) => (c.id === 3 ? { ...c, shapeHash: 'x' } : c))
    const filtering = makeMaster()
    expect(sentTo(attachReplica(filtering.master, 1, { classes }), 1)[0]?.kind).toBe(
      'AttachAccepted',
    )
    const { master } = makeMaster({ filter: false })
    const ready = attachReplica(master, 1, { classes })
    expect(sentTo(ready, 1)[0]).toMatchObject({ code: 'TDB_DICTIONARY_MISMATCH' })
  })

  it('refuses beyond maxReplicas with TDB_MAX_REPLICAS', () => {
    const { master } = makeMaster({ maxReplicas: 1 })
    attachReplica(master, 1)
    const ready = attachReplica(master, 2)
    expect(sentTo(ready, 2)[0]).toMatchObject({ kind: 'AttachRefused', code: 'TDB_MAX_REPLICAS' })
    expect(ready.closes).toEqual([2])
    expect(master.status().replicas.map((r) => r.conn)).toEqual([1])
  })

  it('refuses another protocol version with TDB_PROTOCOL', () => {
    const { master } = makeMaster()
    const ready = attachReplica(master, 1, { protocolVersion: M.PROTOCOL_VERSION + 1 })
    expect(sentTo(ready, 1)[0]).toMatchObject({ code: 'TDB_PROTOCOL' })
  })

  it('refuses a replica of a newer generation (this master is stale)', () => {
    const { master } = makeMaster({ generation: 2 })
    const ready = attachReplica(master, 1, { generation: 3 })
    expect(sentTo(ready, 1)[0]).toMatchObject({ code: 'TDB_PROTOCOL' })
  })

  it('closes a connection whose first message is not Attach', () => {
    const { master } = makeMaster()
    master.step({ kind: 'connected', conn: 1, channel: ':mem:1' })
    master.step({ kind: 'received', conn: 1, message: M.Ack.create({ seq: 0n }) })
    const ready = takeMaster(master)
    expect(ready.closes).toEqual([1])
    expect(ready.notifications[0]?.notification.param1).toBe(StopReason.CONNECTION_ABORTED)
  })

  describe('sync selection at the backlog boundaries (transLogLength 3, master at 5)', () => {
    function master5() {
      const built = makeMaster({ transLogLength: 3 })
      commitN(built, 5) // the backlog holds 3, 4, 5
      return built
    }

    it('equal sequencers: no load', () => {
      const ready = attachReplica(master5().master, 1, { seq: 5n })
      expect(sentTo(ready, 1)[0]).toMatchObject({ sync: 'equal', masterSeq: 5n })
    })

    it('the oldest point the backlog can serve (2): stateful, only 3..5', () => {
      const ready = attachReplica(master5().master, 1, { seq: 2n })
      const sent = sentTo(ready, 1)
      expect(kinds(sent)).toEqual([
        'AttachAccepted',
        'StatefulBegin',
        'Change',
        'Change',
        'Change',
        'StatefulEnd',
      ])
      expect(sent[0]).toMatchObject({ sync: 'stateful' })
      expect(sent[1]).toEqual(M.StatefulBegin.create({ fromSeq: 3n, toSeq: 5n }))
      expect(sent.slice(2, 5).map((m) => (m as M.Change).seq)).toEqual([3n, 4n, 5n])
      expect(masterNotes(ready, 1)).toEqual(['CONNECTED', 'STATEFUL_SYNC'])
    })

    it('STATEFUL_SYNC_END once the replica acks the end of the catch-up; then streaming', () => {
      const { master } = master5()
      attachReplica(master, 1, { seq: 2n })
      master.step({ kind: 'received', conn: 1, message: M.Ack.create({ seq: 4n }) })
      expect(masterNotes(takeMaster(master), 1)).toEqual([])
      master.step({ kind: 'received', conn: 1, message: M.Ack.create({ seq: 5n }) })
      expect(masterNotes(takeMaster(master), 1)).toEqual(['STATEFUL_SYNC_END'])
      expect(master.status().replicas[0]).toMatchObject({ state: 'streaming', sync: 'stateful' })
    })

    it('one before that (1): a full load', () => {
      const ready = attachReplica(master5().master, 1, { seq: 1n })
      expect(sentTo(ready, 1)[0]).toMatchObject({ sync: 'full' })
      expect(kinds(sentTo(ready, 1))).toContain('LoadBegin')
    })

    it('a replica ahead of the master (6): a full load', () => {
      const ready = attachReplica(master5().master, 1, { seq: 6n })
      expect(sentTo(ready, 1)[0]).toMatchObject({ sync: 'full' })
    })

    it('an older generation at an equal sequencer: a full load', () => {
      const built = makeMaster({ generation: 1 })
      commitN(built, 2)
      const ready = attachReplica(built.master, 1, { seq: 2n, generation: 0 })
      expect(sentTo(ready, 1)[0]).toMatchObject({ sync: 'full' })
    })

    it('transLogLength 0 keeps no backlog: always a full load', () => {
      const built = makeMaster({ transLogLength: 0 })
      commitN(built, 2)
      const ready = attachReplica(built.master, 1, { seq: 1n })
      expect(sentTo(ready, 1)[0]).toMatchObject({ sync: 'full' })
    })
  })

  it('numbers its notifications with the eXtremeDB codes', () => {
    const { master } = makeMaster()
    const ready = attachReplica(master, 1)
    expect(ready.notifications.map((n) => n.notification.code)).toEqual([
      NotificationCode.CONNECTED,
      NotificationCode.DB_EQUAL,
    ])
  })

  it('sends nothing to a replica before its Attach', () => {
    const { master } = makeMaster()
    master.step({ kind: 'connected', conn: 1, channel: ':mem:1' })
    expect(master.hasReady()).toBe(false)
    expect(attach().kind).toBe('Attach')
  })
})

/**
 * MasterCore hot full load (DESIGN.md "Replication": "a full load of the database, streamed
 * in chunks with progress; then the live stream"; eXtremeDB hot sync). Paper-test style: a
 * master with objects in classes 1, 2 and the master-local class 3, a replica attached with a
 * sequencer the backlog cannot serve; each test steps one input (a tick, a commit, an ack)
 * and checks the batches, the forwarding rule for commits made during the load (ops at or
 * before the scan position go out, later ones wait for the scan), and the notifications.
 */
import { describe, expect, it } from 'vitest'
import { decodeChangeSet } from '../../../src/txn/change-set.js'
import * as M from '../../../src/ha/messages.js'
import { attachReplica, FakeDb, kinds, makeMaster, masterNotes } from './fixtures.js'
import { sentTo, takeMaster } from './fixtures.js'

/** Class 1: rids 0, 1, 3 (2 is a gap); class 2: rids 0, 1; class 3 (local): rid 0. */
function loadedMaster(options: Parameters<typeof makeMaster>[0] = {}) {
  const db = new FakeDb()
  const oids: Record<string, number> = {}
  db.commit((tx) => {
    oids.a0 = tx.insert(1, ['a0'], 0)
    oids.a1 = tx.insert(1, ['a1'], 1)
    oids.a3 = tx.insert(1, ['a3'], 3)
    oids.b0 = tx.insert(2, ['b0'], 0)
    oids.b1 = tx.insert(2, ['b1'], 1)
    oids.c0 = tx.insert(3, ['c0'], 0)
  })
  const built = makeMaster(
    { transLogLength: 0, hotsyncMsgObjects: 2, hotsyncBatchesPerTick: 1, ...options },
    db,
  )
  return { ...built, oids }
}

function batchKeys(message: M.Message | undefined): string[] {
  return (message as M.LoadBatch).ops.map((op) => `${op[1]}:${op[3]}`)
}

function changeKeys(message: M.Message | undefined): string[] {
  return decodeChangeSet((message as M.Change).changeSet).ops.map((op) => `${op[1]}:${op[3]}`)
}

describe('MasterCore hot load (DESIGN.md "Replication")', () => {
  it('begins with LoadBegin and the first batch, in (classId, rid) order', () => {
    const { master } = loadedMaster()
    const ready = attachReplica(master, 1, { seq: 0n })
    const sent = sentTo(ready, 1)
    expect(kinds(sent)).toEqual(['AttachAccepted', 'LoadBegin', 'LoadBatch'])
    expect(sent[1]).toEqual(M.LoadBegin.create({ masterSeq: 1n, batchObjects: 2 }))
    expect(batchKeys(sent[2])).toEqual(['1:0', '1:1'])
    expect(masterNotes(ready, 1)).toEqual(['CONNECTED', 'DB_LOAD_BEGIN', 'HOTSYNC'])
    expect(master.status().replicas[0]?.state).toBe('loading')
    // Progress: 2 of the 5 replicated objects (the local class 3 is not counted).
    expect(master.status().replicas[0]).toMatchObject({ loadSentObjects: 2, loadTotalObjects: 5 })
  })

  it('sends one batch per tick, skips local classes, and ends with LoadEnd and EOHOTSYNC', () => {
    const { master } = loadedMaster()
    attachReplica(master, 1)
    master.step({ kind: 'tick', nowMs: 1 })
    expect(batchKeys(sentTo(takeMaster(master), 1)[0])).toEqual(['1:3', '2:0'])
    master.step({ kind: 'tick', nowMs: 2 })
    const last = takeMaster(master)
    // The third scan holds 2:1 and the local 3:0, which is not sent.
    expect(kinds(sentTo(last, 1))).toEqual(['LoadBatch', 'LoadEnd'])
    expect(batchKeys(sentTo(last, 1)[0])).toEqual(['2:1'])
    expect(sentTo(last, 1)[1]).toEqual(M.LoadEnd.create({ seq: 1n }))
    expect(masterNotes(last, 1)).toEqual(['EOHOTSYNC'])
    expect(master.status().replicas[0]?.state).toBe('catching-up')
  })

  it('sends hotsyncBatchesPerTick batches a tick', () => {
    const { master } = loadedMaster({ hotsyncBatchesPerTick: 2 })
    attachReplica(master, 1)
    master.step({ kind: 'tick', nowMs: 1 })
    const sent = sentTo(takeMaster(master), 1)
    expect(kinds(sent)).toEqual(['LoadBatch', 'LoadBatch', 'LoadEnd'])
    expect(sent.slice(0, 2).map(batchKeys)).toEqual([['1:3', '2:0'], ['2:1']])
  })

  it('finishes the load on the ack of LoadEnd: DB_LOAD_OK, streaming', () => {
    const { master } = loadedMaster({ hotsyncMsgObjects: 100 })
    attachReplica(master, 1)
    master.step({ kind: 'received', conn: 1, message: M.Ack.create({ seq: 1n }) })
    const ready = takeMaster(master)
    expect(masterNotes(ready, 1)).toEqual(['DB_LOAD_OK'])
    expect(master.status().replicas[0]).toMatchObject({ state: 'streaming', confirmedSeq: 1n })
  })

  it('forwards a commit op at or before the scan position, holds back one after it', () => {
    const { master, db, oids } = loadedMaster()
    attachReplica(master, 1) // scanned up to 1:1
    const record = db.commit((tx) => {
      tx.update(oids.a1 as number, ['a1*']) // 1:1, sent: forward
      tx.update(oids.a3 as number, ['a3*']) // 1:3, not scanned yet: hold back
      tx.update(oids.b0 as number, ['b0*']) // 2:0: hold back
    })
    master.step({ kind: 'committed', record })
    const sent = sentTo(takeMaster(master), 1)
    expect(kinds(sent)).toEqual(['Change'])
    expect(changeKeys(sent[0])).toEqual(['1:1'])
    expect(sent[0]).toMatchObject({ seq: 2n, ack: false })
  })

  it('forwards an insert into a gap behind the scan, which the scan would never see', () => {
    const { master, db } = loadedMaster()
    attachReplica(master, 1)
    master.step({ kind: 'tick', nowMs: 1 }) // scanned up to 2:0, past the gap at 1:2
    takeMaster(master)
    const record = db.commit((tx) => tx.insert(1, ['gap'], 2))
    master.step({ kind: 'committed', record })
    const sent = sentTo(takeMaster(master), 1)
    expect(changeKeys(sent[0])).toEqual(['1:2'])
    master.step({ kind: 'tick', nowMs: 2 })
    expect(batchKeys(sentTo(takeMaster(master), 1)[0])).toEqual(['2:1'])
  })

  it('ends a load while writers insert faster than it scans, and the replica converges', () => {
    // Each tick, 5 inserts into class 1 (rids 2, then 4, 5, ...) against a scan of 2 objects a
    // tick: without the bound taken at LoadBegin the scan would chase the new slots forever.
    const { master, db } = loadedMaster()
    const replica = new Map<number, { classId: number; values: readonly unknown[] }>()
    const apply = (sent: readonly M.Message[]): void => {
      for (const message of sent) {
        const ops =
          message.kind === 'LoadBatch' ? message.ops
          : message.kind === 'Change' ? decodeChangeSet(message.changeSet).ops
          : []
        for (const op of ops) {
          if (op[0] === 3) replica.delete(op[2])
          else replica.set(op[2], { classId: op[1], values: op[4] })
        }
      }
    }
    let sent = sentTo(attachReplica(master, 1), 1)
    apply(sent)
    let ticks = 0
    while (!kinds(sent).includes('LoadEnd')) {
      ticks++
      expect(ticks).toBeLessThan(20)
      master.step({ kind: 'committed', record: db.insertMany(1, 5) })
      master.step({ kind: 'tick', nowMs: ticks })
      sent = sentTo(takeMaster(master), 1)
      apply(sent)
    }
    const expected = [...db.objects.entries()].filter(([, o]) => o.classId !== 3)
    expect(replica.size).toBe(expected.length)
    for (const [oid, object] of expected) expect(replica.get(oid)?.values).toEqual(object.values)
  })

  it('sends nothing for a commit that touches only objects after the scan position', () => {
    const { master, db, oids } = loadedMaster()
    attachReplica(master, 1)
    master.step({ kind: 'committed', record: db.commit((tx) => tx.remove(oids.b1 as number)) })
    const ready = takeMaster(master)
    expect(sentTo(ready, 1)).toEqual([])
    // The loading replica is not waited on: the commit is decided at once.
    expect(ready.commitOutcomes).toEqual([{ seq: 2n, status: 'ok' }])
  })

  it('never forwards ops of master-local classes, during the load or after it', () => {
    const { master, db, oids } = loadedMaster()
    attachReplica(master, 1) // scanned up to 1:1
    const both = () =>
      db.commit((tx) => {
        tx.update(oids.c0 as number, [`c0*${db.seq}`]) // local class 3
        tx.update(oids.a0 as number, [`a0*${db.seq}`])
      })
    master.step({ kind: 'committed', record: both() })
    expect(changeKeys(sentTo(takeMaster(master), 1)[0])).toEqual(['1:0'])
    for (let t = 1; t <= 2; t++) master.step({ kind: 'tick', nowMs: t })
    expect(kinds(sentTo(takeMaster(master), 1)).at(-1)).toBe('LoadEnd')
    master.step({ kind: 'committed', record: both() })
    const live = sentTo(takeMaster(master), 1)
    expect(live[0]).toMatchObject({ kind: 'Change', seq: 3n, ack: true })
    expect(changeKeys(live[0])).toEqual(['1:0'])
  })

  it('cuts a batch near hotsyncMsgBytes before hotsyncMsgObjects', () => {
    const db = new FakeDb()
    const big = 'x'.repeat(700)
    db.commit((tx) => {
      for (let i = 0; i < 6; i++) tx.insert(1, [big])
    })
    const { master } = makeMaster(
      { transLogLength: 0, hotsyncMsgObjects: 100, hotsyncMsgBytes: 1024 },
      db,
    )
    const sent = sentTo(attachReplica(master, 1), 1)
    expect(kinds(sent)).toEqual(['AttachAccepted', 'LoadBegin', 'LoadBatch'])
    expect((sent[2] as M.LoadBatch).ops).toHaveLength(2)
    master.step({ kind: 'tick', nowMs: 1 })
    expect(batchKeys(sentTo(takeMaster(master), 1)[0])).toEqual(['1:2', '1:3'])
  })

  it('detaches a replica whose initial sync outlasts initialTimeoutMs', () => {
    const { master } = loadedMaster({ initialTimeoutMs: 100, hotsyncMsgObjects: 100 })
    attachReplica(master, 1) // LoadEnd sent, never acked
    master.step({ kind: 'tick', nowMs: 99 })
    expect(kinds(sentTo(takeMaster(master), 1))).toEqual([])
    master.step({ kind: 'tick', nowMs: 100 })
    const sent = sentTo(takeMaster(master), 1)
    expect(kinds(sent)).toEqual(['Detach'])
    expect((sent[0] as M.Detach).message).toContain('initial')
  })
})

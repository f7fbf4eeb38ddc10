/**
 * ReplicaCore, one input at a time (DESIGN.md "Replication"; eXtremeDB replica notifications
 * and stop reasons, reference (b)). Paper-test style: build a replica, put it in a state by
 * stepping the master's messages, step ONE input, and assert on the Ready: the applies it
 * asks the runtime for, the messages it sends, each notification it fires, and the stop
 * reason when the session ends.
 */
import { describe, expect, it } from 'vitest'
import * as M from '../../../src/ha/messages.js'
import { StopReason } from '../../../src/ha/notify.js'
import type { ReplicaCore } from '../../../src/ha/replica.js'
import { encodeChangeSet } from '../../../src/txn/change-set.js'
import { kinds, makeReplica, REPLICA_CLASSES, takeReplica } from './fixtures.js'

const names = (replica: ReplicaCore) => takeReplica(replica).notifications.map((n) => n.name)

function accepted(sync: M.SyncKind, masterSeq: bigint, mode: M.ReplicationMode = 'sync') {
  return M.AttachAccepted.create({
    mode,
    windowSize: 1,
    sync,
    masterSeq,
    memorySizeBytes: 1 << 20,
    generation: 0,
  })
}

function change(seq: bigint, ack = false) {
  return M.Change.create({ seq, changeSet: encodeChangeSet({ seq, ops: [] }), ack })
}

/** A replica at `seq` that attached and is streaming (equal sync). */
function streamingReplica(seq = 5n, options = {}) {
  const replica = makeReplica(options, { seq, generation: 0 })
  replica.step({ kind: 'connected' })
  replica.step({ kind: 'received', message: accepted('equal', seq) })
  takeReplica(replica)
  return replica
}

function receive(replica: ReplicaCore, message: M.Message) {
  replica.step({ kind: 'received', message })
}

describe('ReplicaCore attach (DESIGN.md "Replication": attach)', () => {
  it('sends Attach with its name, classes, filter, sequencer, generation and forceSync', () => {
    const replica = makeReplica({ forceSync: true, filter: false }, { seq: 12n, generation: 3 })
    replica.step({ kind: 'connected' })
    expect(takeReplica(replica).messages).toEqual([
      M.Attach.create({
        protocolVersion: M.PROTOCOL_VERSION,
        dbName: 'rpl',
        classes: REPLICA_CLASSES,
        filter: false,
        seq: 12n,
        generation: 3,
        forceSync: true,
      }),
    ])
    expect(replica.state).toBe('handshake')
  })

  it('CONNECT_FAILED (1): a failed connection stops with CONNECTION_ABORTED', () => {
    const replica = makeReplica()
    replica.step({ kind: 'connectFailed', code: 'TDB_CONNECTION_BROKEN' })
    const ready = takeReplica(replica)
    expect(ready.notifications.map((n) => [n.code, n.param1])).toEqual([
      [1, 'TDB_CONNECTION_BROKEN'],
      [7, StopReason.CONNECTION_ABORTED],
    ])
    expect(ready.stopped).toEqual({ reason: 0, code: 'TDB_CONNECTION_BROKEN' })
    expect(ready.close).toBe(false)
  })

  it('CONNECTED (0) and DB_EQUAL (2) on an equal attach; then streaming', () => {
    const replica = makeReplica({}, { seq: 5n, generation: 0 })
    replica.step({ kind: 'connected' })
    takeReplica(replica)
    receive(replica, accepted('equal', 5n))
    expect(names(replica)).toEqual(['CONNECTED', 'DB_EQUAL'])
    expect(replica.state).toBe('streaming')
  })

  it('HANDSHAKE_FAILED when refused for a dictionary mismatch', () => {
    const replica = makeReplica()
    replica.step({ kind: 'connected' })
    takeReplica(replica)
    const message = 'class 2 has shape x'
    receive(replica, M.AttachRefused.create({ code: 'TDB_DICTIONARY_MISMATCH', message }))
    const ready = takeReplica(replica)
    expect(ready.stopped).toEqual({
      reason: StopReason.HANDSHAKE_FAILED,
      code: 'TDB_DICTIONARY_MISMATCH',
    })
    expect(ready.close).toBe(true)
    expect(ready.notifications[0]).toMatchObject({ name: 'REPLICA_STOPPED', param1: 2 })
    expect(ready.notifications[0]?.message).toContain(message)
  })
})

describe('ReplicaCore full load (DESIGN.md "Replication": full load)', () => {
  function loading() {
    const replica = makeReplica({}, { seq: 50n, generation: 0 })
    replica.step({ kind: 'connected' })
    receive(replica, accepted('full', 7n))
    takeReplica(replica)
    return replica
  }

  it('DB_LOAD_BEGIN (3) and HOTSYNC (9) on LoadBegin, which clears the database', () => {
    const replica = loading()
    receive(replica, M.LoadBegin.create({ masterSeq: 7n, batchObjects: 100 }))
    const ready = takeReplica(replica)
    expect(ready.notifications.map((n) => n.code)).toEqual([3, 9])
    expect(ready.applies).toEqual([{ kind: 'clear' }])
  })

  it('loads batches, skipping its own local classes, applies forwarded change sets', () => {
    const replica = makeReplica(
      { classes: REPLICA_CLASSES.map((c) => (c.id === 2 ? { ...c, local: true } : c)) },
      { seq: 0n, generation: 0 },
    )
    replica.step({ kind: 'connected' })
    receive(replica, accepted('full', 7n))
    receive(replica, M.LoadBegin.create({ masterSeq: 7n, batchObjects: 100 }))
    takeReplica(replica)
    const ops = [[1, 1, 10, 0, ['x']]] as const
    receive(replica, M.LoadBatch.create({ ops: [...ops] }))
    receive(replica, change(8n))
    const ready = takeReplica(replica)
    expect(ready.applies[0]).toEqual({ kind: 'loadObjects', ops, skipClassIds: [2] })
    expect(ready.applies[1]).toMatchObject({ kind: 'applyChangeSet', seq: 8n, skipClassIds: [2] })
    expect(ready.messages).toEqual([])
    expect(replica.status().loadedObjects).toBe(1)
  })

  it('EOHOTSYNC (10) and DB_LOAD_OK (5) once LoadEnd is applied, then acks it', () => {
    const replica = loading()
    receive(replica, M.LoadBegin.create({ masterSeq: 7n, batchObjects: 100 }))
    receive(replica, M.LoadEnd.create({ seq: 7n }))
    const ready = takeReplica(replica)
    expect(ready.applies.at(-1)).toEqual({ kind: 'setSequencer', seq: 7n })
    expect(ready.messages).toEqual([])
    replica.step({ kind: 'applied', seq: 7n })
    const done = takeReplica(replica)
    expect(done.notifications.map((n) => n.code)).toEqual([10, 5])
    expect(done.messages).toEqual([M.Ack.create({ seq: 7n })])
    expect(replica.state).toBe('streaming')
    expect(replica.status().appliedSeq).toBe(7n)
  })

  it('DB_LOAD_FAILED (4) when an apply of the load fails; the replica stops', () => {
    const replica = loading()
    receive(replica, M.LoadBegin.create({ masterSeq: 7n, batchObjects: 100 }))
    takeReplica(replica)
    replica.step({ kind: 'applyFailed', code: 'TDB_OUT_OF_MEMORY', message: 'full' })
    const ready = takeReplica(replica)
    expect(ready.notifications.map((n) => [n.code, n.param1])).toEqual([
      [4, 'TDB_OUT_OF_MEMORY'],
      [7, StopReason.CONNECTION_ABORTED],
    ])
    expect(kinds(ready.messages)).toEqual(['Detach'])
    expect(ready.stopped?.code).toBe('TDB_OUT_OF_MEMORY')
  })

  it('DB_LOAD_FAILED (4) when the connection drops during the load', () => {
    const replica = loading()
    replica.step({ kind: 'disconnected', code: null })
    expect(names(replica)).toEqual(['DB_LOAD_FAILED', 'REPLICA_STOPPED'])
  })

  it('clears a half-loaded database when the session stops during the load', () => {
    const replica = loading()
    receive(replica, M.LoadBegin.create({ masterSeq: 7n, batchObjects: 100 }))
    receive(replica, M.LoadBatch.create({ ops: [[1, 1, 10, 0, ['x']]] }))
    takeReplica(replica)
    replica.step({ kind: 'disconnected', code: 'TDB_CONNECTION_BROKEN' })
    const ready = takeReplica(replica)
    expect(ready.applies).toEqual([{ kind: 'clear' }])
    expect(ready.stopped?.reason).toBe(StopReason.CONNECTION_ABORTED)
    const before = loading() // stopped before LoadBegin: nothing was touched
    before.step({ kind: 'stop' })
    expect(takeReplica(before).applies).toEqual([])
  })

  it('a LoadBatch before LoadBegin is a protocol error', () => {
    const replica = loading()
    receive(replica, M.LoadBatch.create({ ops: [] }))
    const ready = takeReplica(replica)
    expect(ready.stopped).toEqual({ reason: 0, code: 'TDB_PROTOCOL' })
  })
})

describe('ReplicaCore stateful catch-up (DESIGN.md "Replication": backlog)', () => {
  it('STATEFUL_SYNC (11), the missed change sets, STATEFUL_SYNC_END (12) and an ack', () => {
    const replica = makeReplica({}, { seq: 3n, generation: 0 })
    replica.step({ kind: 'connected' })
    receive(replica, accepted('stateful', 5n))
    takeReplica(replica)
    receive(replica, M.StatefulBegin.create({ fromSeq: 4n, toSeq: 5n }))
    expect(takeReplica(replica).notifications.map((n) => [n.code, n.param1])).toEqual([[11, 2]])
    receive(replica, change(4n))
    receive(replica, change(5n))
    receive(replica, M.StatefulEnd.create({ seq: 5n }))
    expect(takeReplica(replica).applies.map((a) => a.kind)).toEqual([
      'applyChangeSet',
      'applyChangeSet',
    ])
    replica.step({ kind: 'applied', seq: 4n })
    expect(replica.hasReady()).toBe(false)
    replica.step({ kind: 'applied', seq: 5n })
    const done = takeReplica(replica)
    expect(done.notifications.map((n) => n.code)).toEqual([12])
    expect(done.messages).toEqual([M.Ack.create({ seq: 5n })])
    expect(replica.state).toBe('streaming')
  })

  it('a StatefulBegin that does not continue the replica sequencer is a protocol error', () => {
    const replica = makeReplica({}, { seq: 3n, generation: 0 })
    replica.step({ kind: 'connected' })
    receive(replica, accepted('stateful', 5n))
    receive(replica, M.StatefulBegin.create({ fromSeq: 5n, toSeq: 5n }))
    expect(takeReplica(replica).stopped?.code).toBe('TDB_PROTOCOL')
  })
})

describe('ReplicaCore live stream (DESIGN.md "Replication": window, acks)', () => {
  it('acks a Change that asks for it once applied, not before', () => {
    const replica = streamingReplica()
    receive(replica, change(6n, true))
    const ready = takeReplica(replica)
    expect(ready.applies).toEqual([expect.objectContaining({ kind: 'applyChangeSet', seq: 6n })])
    expect(ready.messages).toEqual([])
    replica.step({ kind: 'applied', seq: 6n })
    expect(takeReplica(replica).messages).toEqual([M.Ack.create({ seq: 6n })])
  })

  it('does not ack a Change inside the window until the boundary', () => {
    const replica = streamingReplica()
    receive(replica, change(6n))
    replica.step({ kind: 'applied', seq: 6n })
    expect(takeReplica(replica).messages).toEqual([])
    receive(replica, change(7n, true))
    replica.step({ kind: 'applied', seq: 7n })
    expect(takeReplica(replica).messages).toEqual([M.Ack.create({ seq: 7n })])
  })

  it('answers an AckRequest at once when applied, else when it gets there', () => {
    const replica = streamingReplica()
    receive(replica, M.AckRequest.create({ seq: 5n }))
    expect(takeReplica(replica).messages).toEqual([M.Ack.create({ seq: 5n })])
    receive(replica, change(6n))
    receive(replica, M.AckRequest.create({ seq: 6n }))
    expect(takeReplica(replica).messages).toEqual([])
    replica.step({ kind: 'applied', seq: 6n })
    expect(takeReplica(replica).messages).toEqual([M.Ack.create({ seq: 6n })])
  })

  it('confirms its position every confirmIntervalMs when it moved (async replicas)', () => {
    const replica = streamingReplica(5n, { confirmIntervalMs: 100 })
    receive(replica, change(6n))
    replica.step({ kind: 'applied', seq: 6n })
    takeReplica(replica)
    replica.step({ kind: 'tick', nowMs: 99 })
    expect(replica.hasReady()).toBe(false)
    replica.step({ kind: 'tick', nowMs: 100 })
    expect(takeReplica(replica).messages).toEqual([M.Ack.create({ seq: 6n })])
    replica.step({ kind: 'tick', nowMs: 300 })
    expect(replica.hasReady()).toBe(false)
  })

  it('ignores a duplicate change set and stops on a gap', () => {
    const replica = streamingReplica()
    receive(replica, change(5n))
    expect(replica.hasReady()).toBe(false)
    receive(replica, change(7n))
    const ready = takeReplica(replica)
    expect(ready.stopped).toEqual({ reason: StopReason.CONNECTION_ABORTED, code: 'TDB_PROTOCOL' })
    expect(kinds(ready.messages)).toEqual(['Detach'])
  })

  it('COMMIT_FAILED (6) when applying a change set fails', () => {
    const replica = streamingReplica()
    receive(replica, change(6n))
    takeReplica(replica)
    replica.step({ kind: 'applyFailed', code: 'TDB_DUPLICATE_KEY', message: 'dup' })
    const ready = takeReplica(replica)
    expect(ready.notifications.map((n) => [n.code, n.param1])).toEqual([
      [6, 'TDB_DUPLICATE_KEY'],
      [7, 0],
    ])
  })

  it('COMMIT_FAILED (6) when the runtime takes longer than commitTimeoutMs to apply', () => {
    const replica = streamingReplica(5n, { commitTimeoutMs: 50 })
    receive(replica, change(6n))
    takeReplica(replica)
    replica.step({ kind: 'tick', nowMs: 49 })
    expect(replica.hasReady()).toBe(false)
    replica.step({ kind: 'tick', nowMs: 50 })
    const ready = takeReplica(replica)
    expect(ready.notifications[0]).toMatchObject({ code: 6, param1: 'TDB_TIMEOUT' })
  })

  it('MASTER_DB_EXTENDED (13) with the added bytes, and extends itself (autoExtend)', () => {
    const replica = streamingReplica()
    receive(replica, M.Extend.create({ bytes: 8192 }))
    const ready = takeReplica(replica)
    expect(ready.notifications).toEqual([
      expect.objectContaining({ code: 13, name: 'MASTER_DB_EXTENDED', param2: 8192 }),
    ])
    expect(ready.applies).toEqual([{ kind: 'extend', bytes: 8192 }])
    const manual = streamingReplica(5n, { autoExtend: false })
    receive(manual, M.Extend.create({ bytes: 8192 }))
    expect(takeReplica(manual).applies).toEqual([])
  })
})

describe('ReplicaCore stop reasons (eXtremeDB MCO_HA_REPLICA_STOP_REASON)', () => {
  it('MASTER_REQUESTED_DISCONNECT (1) on Detach from the master', () => {
    const replica = streamingReplica()
    receive(replica, M.Detach.create({ message: 'master stopping' }))
    const ready = takeReplica(replica)
    expect(ready.stopped).toEqual({ reason: 1, code: null })
    expect(ready.close).toBe(true)
    expect(ready.notifications).toEqual([expect.objectContaining({ code: 7, param1: 1 })])
  })

  it('CONNECTION_ABORTED (0) when the channel closes', () => {
    const replica = streamingReplica()
    replica.step({ kind: 'disconnected', code: 'TDB_CONNECTION_BROKEN' })
    expect(takeReplica(replica).stopped).toEqual({ reason: 0, code: 'TDB_CONNECTION_BROKEN' })
  })

  it('CONNECTION_ABORTED (0) after waitDataTimeoutMs of silence; KeepAlive resets it', () => {
    const replica = streamingReplica(5n, { waitDataTimeoutMs: 1000 })
    replica.step({ kind: 'tick', nowMs: 900 })
    receive(replica, M.KeepAlive.create({}))
    replica.step({ kind: 'tick', nowMs: 1899 })
    expect(replica.hasReady()).toBe(false)
    replica.step({ kind: 'tick', nowMs: 1900 })
    expect(takeReplica(replica).stopped).toEqual({ reason: 0, code: 'TDB_TIMEOUT' })
  })

  it('CONNECTION_ABORTED (0) when the initial sync outlasts initialTimeoutMs', () => {
    const replica = makeReplica({ initialTimeoutMs: 500, waitDataTimeoutMs: 10_000 })
    replica.step({ kind: 'connected' })
    receive(replica, accepted('full', 9n))
    for (let t = 100; t < 500; t += 100) {
      replica.step({ kind: 'tick', nowMs: t })
      receive(replica, M.KeepAlive.create({}))
    }
    expect(replica.state).toBe('loading')
    replica.step({ kind: 'tick', nowMs: 500 })
    expect(takeReplica(replica).stopped).toEqual({ reason: 0, code: 'TDB_TIMEOUT' })
  })

  it('STOPPED_BY_LOCAL_REQUEST (3) on stop: Detach, close', () => {
    const replica = streamingReplica()
    replica.step({ kind: 'stop' })
    const ready = takeReplica(replica)
    expect(kinds(ready.messages)).toEqual(['Detach'])
    expect(ready.close).toBe(true)
    expect(ready.stopped).toEqual({ reason: 3, code: null })
  })

  it('STOPPED_BY_LOCAL_REQUEST (3) with TDB_CANCELLED on cancel, without Detach', () => {
    const replica = makeReplica()
    replica.step({ kind: 'connected' })
    takeReplica(replica)
    replica.step({ kind: 'cancel' })
    const ready = takeReplica(replica)
    expect(ready.messages).toEqual([])
    expect(ready.stopped).toEqual({ reason: 3, code: 'TDB_CANCELLED' })
  })

  it('BECOMES_MASTER (4) when this node takes over', () => {
    const replica = streamingReplica()
    replica.step({ kind: 'becomeMaster' })
    expect(takeReplica(replica).stopped).toEqual({ reason: 4, code: null })
  })

  it('takes no more input once stopped, and reports stopped once', () => {
    const replica = streamingReplica()
    replica.step({ kind: 'becomeMaster' })
    takeReplica(replica)
    replica.step({ kind: 'received', message: change(6n) })
    replica.step({ kind: 'tick', nowMs: 1_000_000 })
    expect(replica.hasReady()).toBe(false)
    expect(replica.ready().stopped).toBeNull()
  })
})

describe('ReplicaCore batches (DESIGN.md "Replication": acks are cumulative)', () => {
  it('answers a batch of applied change sets that each asked for an ack with one Ack', () => {
    const replica = streamingReplica(5n)
    for (const seq of [6n, 7n, 8n]) receive(replica, change(seq, true))
    const applies = takeReplica(replica).applies
    expect(applies.map((apply) => apply.kind)).toEqual(Array(3).fill('applyChangeSet'))
    for (const seq of [6n, 7n, 8n]) replica.step({ kind: 'applied', seq })
    expect(takeReplica(replica).messages).toEqual([M.Ack.create({ seq: 8n })])
    expect(replica.status().appliedSeq).toBe(8n)
  })

  it('replaces a waiting Ack with a newer one, but never inside a Ready handed out', () => {
    const replica = streamingReplica(5n)
    receive(replica, change(6n, true))
    replica.step({ kind: 'applied', seq: 6n })
    receive(replica, change(7n, true))
    replica.step({ kind: 'applied', seq: 7n })
    expect(takeReplica(replica).messages).toEqual([M.Ack.create({ seq: 7n })])
    receive(replica, change(8n, true))
    replica.step({ kind: 'applied', seq: 8n })
    const ready = replica.ready()
    receive(replica, change(9n, true))
    replica.step({ kind: 'applied', seq: 9n })
    expect(ready.messages).toEqual([M.Ack.create({ seq: 8n })])
    replica.advance(ready)
    expect(takeReplica(replica).messages).toEqual([M.Ack.create({ seq: 9n })])
  })
})

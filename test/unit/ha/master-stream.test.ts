/**
 * MasterCore live stream (DESIGN.md "Replication": modes, transaction window, commitWindow,
 * quorum, replica-detached, memory extension, detach and detach timeout, async sender).
 * Paper-test style: a master with streaming replicas, one input stepped, the Ready checked.
 */
import { describe, expect, it } from 'vitest'
import { ReplicationError } from '../../../src/errors.js'
import * as M from '../../../src/ha/messages.js'
import { StopReason } from '../../../src/ha/notify.js'
import type { MasterOptions } from '../../../src/ha/master-config.js'
import { attachReplica, kinds, makeMaster, masterNotes, sentTo, takeMaster } from './fixtures.js'

/** A master with replicas 1 and 2 attached (equal sync: both stream at once). */
function streaming(options: Partial<MasterOptions> = {}, forceSync: boolean[] = [false, false]) {
  const built = makeMaster(options)
  forceSync.forEach((force, index) => attachReplica(built.master, index + 1, { forceSync: force }))
  takeMaster(built.master)
  const commit = () => {
    const record = built.db.insertMany(1, 1)
    built.master.step({ kind: 'committed', record })
    return takeMaster(built.master)
  }
  const ack = (conn: number, seq: bigint) => {
    built.master.step({ kind: 'received', conn, message: M.Ack.create({ seq }) })
    return takeMaster(built.master)
  }
  return { ...built, commit, ack }
}

describe('MasterCore sync stream and window (DESIGN.md "Replication")', () => {
  it('window 1: every Change asks for an ack; the outcome waits for every sync replica', () => {
    const { commit, ack } = streaming()
    const ready = commit()
    expect(sentTo(ready, 1)).toEqual([
      expect.objectContaining({ kind: 'Change', seq: 1n, ack: true }),
    ])
    expect(sentTo(ready, 2)).toHaveLength(1)
    expect(ready.commitOutcomes).toEqual([])
    expect(ack(1, 1n).commitOutcomes).toEqual([])
    expect(ack(2, 1n).commitOutcomes).toEqual([{ seq: 1n, status: 'ok' }])
  })

  it('window 3: only every third Change asks for an ack, which decides all three', () => {
    const { commit, ack } = streaming({ windowSize: 3 }, [false])
    const flags = [commit(), commit(), commit()].map((r) => (sentTo(r, 1)[0] as M.Change).ack)
    expect(flags).toEqual([false, false, true])
    expect(ack(1, 3n).commitOutcomes.map((o) => o.seq)).toEqual([1n, 2n, 3n])
  })

  it('commitWindow asks for an ack of what is outstanding and restarts the window', () => {
    const { master, commit, ack } = streaming({ windowSize: 3 }, [false])
    commit()
    commit()
    master.step({ kind: 'commitWindow' })
    const ready = takeMaster(master)
    expect(sentTo(ready, 1)).toEqual([M.AckRequest.create({ seq: 2n })])
    expect(ack(1, 2n).commitOutcomes.map((o) => o.seq)).toEqual([1n, 2n])
    const flags = [commit(), commit(), commit()].map((r) => (sentTo(r, 1)[0] as M.Change).ack)
    expect(flags).toEqual([false, false, true])
  })

  it('commitWindow with nothing outstanding sends nothing', () => {
    const { master, commit, ack } = streaming({}, [false])
    commit()
    ack(1, 1n)
    master.step({ kind: 'commitWindow' })
    expect(master.hasReady()).toBe(false)
  })

  it('setWindowSize takes effect at the next commit', () => {
    const { master, commit } = streaming({ windowSize: 5 }, [false])
    commit()
    master.step({ kind: 'setWindowSize', windowSize: 2 })
    expect((sentTo(commit(), 1)[0] as M.Change).ack).toBe(true)
  })

  it('outcomes leave in sequencer order even when a later commit is acked first', () => {
    const { commit, ack } = streaming({ windowSize: 1 }, [false])
    commit()
    commit()
    // An ack of 2 covers 1 as well: both are decided, in order.
    expect(ack(1, 2n).commitOutcomes.map((o) => o.seq)).toEqual([1n, 2n])
  })

  it('a replica that does not ack within synchTimeoutMs is detached: replica-detached', () => {
    const { master, commit } = streaming({ synchTimeoutMs: 500 }, [false, false])
    master.step({ kind: 'tick', nowMs: 100 })
    takeMaster(master)
    commit()
    master.step({ kind: 'received', conn: 2, message: M.Ack.create({ seq: 1n }) })
    master.step({ kind: 'tick', nowMs: 599 })
    expect(takeMaster(master).commitOutcomes).toEqual([])
    master.step({ kind: 'tick', nowMs: 600 })
    const ready = takeMaster(master)
    expect(kinds(sentTo(ready, 1))).toEqual(['Detach'])
    expect(ready.commitOutcomes).toEqual([{ seq: 1n, status: 'replica-detached' }])
    expect(master.status().replicas.find((r) => r.conn === 1)?.state).toBe('detaching')
  })

  it('a replica that disconnects before acking makes the commit replica-detached', () => {
    const { master, commit } = streaming({}, [false])
    commit()
    master.step({ kind: 'disconnected', conn: 1, code: 'TDB_CONNECTION_BROKEN' })
    const ready = takeMaster(master)
    expect(ready.commitOutcomes).toEqual([{ seq: 1n, status: 'replica-detached' }])
    expect(ready.notifications[0]?.notification).toMatchObject({
      name: 'REPLICA_STOPPED',
      param1: StopReason.CONNECTION_ABORTED,
    })
    expect(ready.closes).toEqual([])
  })

  it('a replica that sends Detach leaves with STOPPED_BY_LOCAL_REQUEST', () => {
    const { master } = streaming({}, [false])
    master.step({ kind: 'received', conn: 1, message: M.Detach.create({ message: 'bye' }) })
    const ready = takeMaster(master)
    expect(ready.closes).toEqual([1])
    expect(ready.notifications[0]?.notification.param1).toBe(StopReason.STOPPED_BY_LOCAL_REQUEST)
  })

  it('an ack beyond the master sequencer is a protocol violation: the replica is dropped', () => {
    const { master, ack } = streaming({}, [false])
    const ready = ack(1, 9n)
    expect(ready.closes).toEqual([1])
    expect(master.status().replicas).toEqual([])
  })
})

describe('MasterCore quorum (DESIGN.md "Replication": quorum)', () => {
  it('checkWrite refuses with TDB_NO_QUORUM below the quorum and passes at it', () => {
    const { master } = makeMaster({ quorum: 2 })
    expect(() => master.checkWrite()).toThrow(ReplicationError)
    attachReplica(master, 1)
    try {
      master.checkWrite()
      expect.unreachable()
    } catch (error) {
      expect((error as ReplicationError).code).toBe('TDB_NO_QUORUM')
    }
    attachReplica(master, 2)
    expect(() => master.checkWrite()).not.toThrow()
  })

  it('counts only streaming sync replicas (not one still loading)', () => {
    const { master, db } = makeMaster({ quorum: 1, transLogLength: 0 })
    master.step({ kind: 'committed', record: db.insertMany(1, 1) })
    takeMaster(master)
    attachReplica(master, 1, { seq: 0n }) // full load, not yet acked
    expect(() => master.checkWrite()).toThrow(/quorum is 1/)
    master.step({ kind: 'received', conn: 1, message: M.Ack.create({ seq: 1n }) })
    expect(() => master.checkWrite()).not.toThrow()
  })

  it('setQuorum changes it at run time', () => {
    const { master } = makeMaster()
    master.checkWrite()
    master.step({ kind: 'setQuorum', quorum: 1 })
    expect(() => master.checkWrite()).toThrow(ReplicationError)
    master.step({ kind: 'setQuorum', quorum: 0 })
    expect(() => master.checkWrite()).not.toThrow()
  })

  it('setQuorum > 0 with a window > 1 or async mode is TDB_INCOMPATIBLE_MODES', () => {
    const windowed = makeMaster({ windowSize: 2 }).master
    expect(() => windowed.step({ kind: 'setQuorum', quorum: 1 })).toThrow(
      expect.objectContaining({ code: 'TDB_INCOMPATIBLE_MODES' }),
    )
    const quorate = makeMaster({ quorum: 1 }).master
    expect(() => quorate.step({ kind: 'setWindowSize', windowSize: 2 })).toThrow(
      expect.objectContaining({ code: 'TDB_INCOMPATIBLE_MODES' }),
    )
    expect(() => makeMaster({ mode: 'async' }).master.step({ kind: 'setQuorum', quorum: 1 }))
      .toThrow(expect.objectContaining({ code: 'TDB_INCOMPATIBLE_MODES' }))
    expect(() => quorate.step({ kind: 'setQuorum', quorum: -1 })).toThrow(
      expect.objectContaining({ code: 'TDB_INVALID_PARAMETER' }),
    )
  })
})

describe('MasterCore async mode (DESIGN.md "Replication": async, forceSync)', () => {
  it('hands an async replica to the async sender once synced, and never waits on it', () => {
    const { master, commit } = streaming({ mode: 'async' }, [])
    const ready = attachReplica(master, 1)
    expect(sentTo(ready, 1)[0]).toMatchObject({ mode: 'async', sync: 'equal' })
    expect(ready.asyncStreams).toEqual([{ conn: 1, fromSeq: 0n, skipClassIds: [3] }])
    const next = commit()
    expect(sentTo(next, 1)).toEqual([])
    expect(next.commitOutcomes).toEqual([{ seq: 1n, status: 'ok' }])
  })

  it('hands off after LoadEnd, at the load sequencer', () => {
    const { master, db } = makeMaster({ mode: 'async', transLogLength: 0 })
    master.step({ kind: 'committed', record: db.insertMany(1, 3) })
    takeMaster(master)
    const ready = attachReplica(master, 1, { seq: 0n })
    expect(kinds(sentTo(ready, 1)).at(-1)).toBe('LoadEnd')
    expect(ready.asyncStreams).toEqual([{ conn: 1, fromSeq: 1n, skipClassIds: [3] }])
  })

  it('treats a forceSync replica as sync under an async master', () => {
    const { master, commit, ack } = streaming({ mode: 'async' }, [true, false])
    expect(master.status().replicas.map((r) => r.mode)).toEqual(['sync', 'async'])
    const ready = commit()
    expect(kinds(sentTo(ready, 1))).toEqual(['Change'])
    expect(sentTo(ready, 2)).toEqual([])
    expect(ready.commitOutcomes).toEqual([])
    expect(ack(1, 1n).commitOutcomes).toEqual([{ seq: 1n, status: 'ok' }])
  })

  it('tracks async confirmations for status: confirmed sequencer and lag', () => {
    const { master, commit, ack } = streaming({ mode: 'async' }, [false])
    master.step({ kind: 'tick', nowMs: 1000 })
    commit()
    master.step({ kind: 'tick', nowMs: 1500 })
    commit()
    master.step({ kind: 'tick', nowMs: 1800 })
    takeMaster(master)
    expect(master.status().replicas[0]).toMatchObject({
      confirmedSeq: 0n,
      lagTransactions: 2n,
      lagMs: 800,
    })
    ack(1, 1n)
    expect(master.status().replicas[0]).toMatchObject({ lagTransactions: 1n, lagMs: 300 })
    ack(1, 2n)
    expect(master.status().replicas[0]).toMatchObject({ lagTransactions: 0n, lagMs: 0 })
  })
})

describe('MasterCore keep-alive, extend, detach, stop (DESIGN.md "Replication")', () => {
  it('sends KeepAlive to a replica idle for keepAliveIntervalMs, not before', () => {
    const { master, commit, ack } = streaming({ keepAliveIntervalMs: 1000 }, [false])
    master.step({ kind: 'tick', nowMs: 999 })
    expect(master.hasReady()).toBe(false)
    master.step({ kind: 'tick', nowMs: 1000 })
    expect(sentTo(takeMaster(master), 1)).toEqual([M.KeepAlive.create({})])
    master.step({ kind: 'tick', nowMs: 1500 })
    commit() // traffic at 1500 restarts the idle clock
    ack(1, 1n)
    master.step({ kind: 'tick', nowMs: 2400 })
    expect(master.hasReady()).toBe(false)
    master.step({ kind: 'tick', nowMs: 2500 })
    expect(kinds(sentTo(takeMaster(master), 1))).toEqual(['KeepAlive'])
  })

  it('tells every attached replica of a memory extension', () => {
    const { master } = streaming({}, [false, false])
    master.step({ kind: 'extended', bytes: 4096 })
    const ready = takeMaster(master)
    expect(sentTo(ready, 1)).toEqual([M.Extend.create({ bytes: 4096 })])
    expect(sentTo(ready, 2)).toEqual([M.Extend.create({ bytes: 4096 })])
  })

  it('detach sends Detach and closes when the replica closes', () => {
    const { master } = streaming({}, [false])
    master.step({ kind: 'detach', conn: 1 })
    const ready = takeMaster(master)
    expect(kinds(sentTo(ready, 1))).toEqual(['Detach'])
    expect(ready.closes).toEqual([])
    master.step({ kind: 'disconnected', conn: 1, code: null })
    const closed = takeMaster(master)
    expect(closed.notifications[0]?.notification.param1).toBe(
      StopReason.MASTER_REQUESTED_DISCONNECT,
    )
    expect(master.status().replicas).toEqual([])
  })

  it('detach closes the connection after detachTimeoutMs if the replica keeps it open', () => {
    const { master } = streaming({ detachTimeoutMs: 200 }, [false])
    master.step({ kind: 'tick', nowMs: 50 })
    master.step({ kind: 'detach', conn: 1 })
    takeMaster(master)
    master.step({ kind: 'tick', nowMs: 249 })
    expect(takeMaster(master).closes).toEqual([])
    master.step({ kind: 'tick', nowMs: 250 })
    const ready = takeMaster(master)
    expect(ready.closes).toEqual([1])
    expect(masterNotes(ready, 1)).toEqual(['REPLICA_STOPPED'])
  })

  it('detachTimeoutMs 0 skips the Detach message and closes at once', () => {
    const { master } = streaming({ detachTimeoutMs: 0 }, [false])
    master.step({ kind: 'detach', conn: 1 })
    const ready = takeMaster(master)
    expect(sentTo(ready, 1)).toEqual([])
    expect(ready.closes).toEqual([1])
  })

  it('detach of an unknown connection is TDB_INVALID_PARAMETER', () => {
    const { master } = makeMaster()
    expect(() => master.step({ kind: 'detach', conn: 9 })).toThrow(
      expect.objectContaining({ code: 'TDB_INVALID_PARAMETER' }),
    )
  })

  it('stop detaches every replica, refuses new ones, and reports stopped when all closed', () => {
    const { master } = streaming({}, [false, false])
    master.step({ kind: 'stop' })
    const ready = takeMaster(master)
    expect(kinds(sentTo(ready, 1))).toEqual(['Detach'])
    expect(kinds(sentTo(ready, 2))).toEqual(['Detach'])
    expect(ready.stopped).toBe(false)
    master.step({ kind: 'disconnected', conn: 1, code: null })
    expect(takeMaster(master).stopped).toBe(false)
    master.step({ kind: 'disconnected', conn: 2, code: null })
    expect(takeMaster(master).stopped).toBe(true)
    master.step({ kind: 'connected', conn: 3, channel: ':mem:3' })
    expect(takeMaster(master).closes).toEqual([3])
  })

  it('reset (a relay reloaded): Detach and close all, decide commits, new sequencer', () => {
    const { master, db, commit } = streaming({}, [false])
    commit()
    commit()
    db.seq = 1n
    master.step({ kind: 'reset' })
    const ready = takeMaster(master)
    const detach = M.Detach.create({ message: 'the master database was replaced' })
    expect(sentTo(ready, 1)).toEqual([detach])
    expect(ready.closes).toEqual([1])
    const statuses = ready.commitOutcomes.map((o) => o.status)
    expect(statuses).toEqual(['replica-detached', 'replica-detached'])
    expect(master.status()).toMatchObject({ seq: 1n, backlogLength: 0, replicas: [] })
    const next = db.insertMany(1, 1)
    master.step({ kind: 'committed', record: next })
    expect(takeMaster(master).commitOutcomes).toEqual([{ seq: 2n, status: 'ok' }])
  })

  it('detachAll detaches every replica but keeps accepting new ones', () => {
    const { master } = streaming({ detachTimeoutMs: 0 }, [false, false])
    master.step({ kind: 'detachAll' })
    expect(takeMaster(master).closes).toEqual([1, 2])
    const ready = attachReplica(master, 3)
    expect(sentTo(ready, 3)[0]?.kind).toBe('AttachAccepted')
  })
})

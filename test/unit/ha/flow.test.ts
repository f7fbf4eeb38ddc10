/**
 * End-to-end flows through the in-memory harness (DESIGN.md "Replication"): a MasterCore and
 * ReplicaCores joined by queues of encoded frames, effects performed on fake databases. Each
 * test runs a whole scenario (attach, initial sync, live commits, detach) and checks that the
 * replicas converge to the master's replicated content and that every commit got an outcome.
 */
import { describe, expect, it } from 'vitest'
import { Cluster } from './harness.js'
import { FakeDb } from './fixtures.js'

const REPLICATED = [1, 2]

function seedMaster(cluster: Cluster, count: number): void {
  for (let i = 0; i < count; i++) {
    cluster.commit((tx) => {
      tx.insert(1 + (i % 2), [`a${i}`])
      tx.insert(3, [`local${i}`])
    })
  }
}

describe('replication flows (DESIGN.md "Replication")', () => {
  it('a fresh sync replica is hot-loaded, then follows live commits', () => {
    const cluster = new Cluster({ hotsyncMsgObjects: 3, transLogLength: 4 })
    seedMaster(cluster, 10)
    cluster.run()
    const node = cluster.addReplica(1)
    cluster.run()
    for (let t = 0; t < 10; t++) {
      cluster.tick(10)
      cluster.commit((tx) => tx.insert(1, [`live${t}`]))
      cluster.run()
    }
    expect(node.core.state).toBe('streaming')
    expect(node.db.content(REPLICATED)).toBe(cluster.masterDb.content(REPLICATED))
    expect(node.db.content([3])).toBe('[]')
    expect(node.db.seq).toBe(cluster.masterDb.seq)
    expect(cluster.outcomes.map((o) => o.seq)).toEqual(cluster.records.map((r) => r.seq))
    expect(cluster.outcomes.every((o) => o.status === 'ok')).toBe(true)
    const names = node.notifications.map((n) => n.name)
    expect(names).toEqual(['CONNECTED', 'DB_LOAD_BEGIN', 'HOTSYNC', 'EOHOTSYNC', 'DB_LOAD_OK'])
  })

  it('commits during a hot load still converge (updates, deletes, inserts behind the scan)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const cluster = new Cluster({ hotsyncMsgObjects: 2, transLogLength: 2 }, seed)
      seedMaster(cluster, 12)
      cluster.run()
      const node = cluster.addReplica(1)
      const oids = () => [...cluster.masterDb.objects.keys()]
      for (let t = 0; t < 15; t++) {
        const all = oids()
        const pick = all[cluster.prng.nextInt(all.length)] as number
        const kind = cluster.prng.nextInt(3)
        cluster.commit((tx) => {
          if (kind === 0) tx.update(pick, [`u${t}`])
          else if (kind === 1) tx.remove(pick)
          else tx.insert(1 + cluster.prng.nextInt(3), [`n${t}`])
        })
        cluster.tick(5)
        cluster.run()
      }
      for (let t = 0; t < 20; t++) cluster.tick(5)
      cluster.run()
      expect(node.core.status().sync, `seed ${seed}`).toBe('full')
      expect(node.core.state, `seed ${seed}`).toBe('streaming')
      expect(node.db.content(REPLICATED), `seed ${seed}`).toBe(cluster.masterDb.content(REPLICATED))
    }
  })

  it('an async master streams through the async sender; a forceSync replica acks', () => {
    const cluster = new Cluster({ mode: 'async' })
    seedMaster(cluster, 4)
    const plain = cluster.addReplica(1)
    const forced = cluster.addReplica(2, { forceSync: true })
    cluster.run()
    for (let t = 0; t < 5; t++) cluster.commit((tx) => tx.insert(2, [`x${t}`]))
    cluster.run()
    for (const node of [plain, forced]) {
      expect(node.db.content(REPLICATED)).toBe(cluster.masterDb.content(REPLICATED))
    }
    const status = cluster.master.status()
    expect(status.replicas.map((r) => r.mode)).toEqual(['async', 'sync'])
    expect(cluster.outcomes).toHaveLength(9)
  })

  it('a replica that reconnects within the backlog catches up statefully', () => {
    const cluster = new Cluster()
    seedMaster(cluster, 3)
    const first = cluster.addReplica(1)
    cluster.run()
    first.core.step({ kind: 'stop' })
    cluster.run()
    for (let t = 0; t < 4; t++) cluster.commit((tx) => tx.insert(1, [`m${t}`]))
    cluster.run()
    const second = cluster.addReplica(2, {}, first.db)
    cluster.run()
    expect(second.notifications.map((n) => n.name)).toEqual([
      'CONNECTED',
      'STATEFUL_SYNC',
      'STATEFUL_SYNC_END',
    ])
    expect(second.db.content(REPLICATED)).toBe(cluster.masterDb.content(REPLICATED))
  })

  it('a master stop detaches every replica with MASTER_REQUESTED_DISCONNECT', () => {
    const cluster = new Cluster()
    const node = cluster.addReplica(1)
    cluster.run()
    cluster.master.step({ kind: 'stop' })
    cluster.run()
    expect(node.core.state).toBe('stopped')
    expect(node.notifications.at(-1)?.param1).toBe(1)
    expect(cluster.master.status().replicas).toEqual([])
  })

  it('converges with a replica database that had other data (a full reload replaces it)', () => {
    const stale = new FakeDb([])
    stale.seq = 99n
    const cluster = new Cluster({}, 3)
    seedMaster(cluster, 5)
    const node = cluster.addReplica(1, {}, stale)
    cluster.run()
    expect(node.db.seq).toBe(5n)
    expect(node.db.content(REPLICATED)).toBe(cluster.masterDb.content(REPLICATED))
  })

  it('survives random link breaks and reattaches, then converges (seeded)', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const prngSeeded = new Cluster({}, seed)
      const { prng } = prngSeeded
      const mode = prng.nextInt(2) === 0 ? 'sync' : 'async'
      const cluster = new Cluster(
        { mode, transLogLength: 1 + prng.nextInt(6), hotsyncMsgObjects: 1 + prng.nextInt(4) },
        seed,
      )
      let nextConn = 10
      const conns = [1, 2, 3]
      conns.forEach((conn, i) => cluster.addReplica(conn, { forceSync: i === 0 }))
      for (let step = 0; step < 60; step++) {
        const roll = cluster.prng.nextInt(10)
        if (roll < 5) {
          const all = [...cluster.masterDb.objects.keys()]
          const pick = all[cluster.prng.nextInt(Math.max(1, all.length))]
          cluster.commit((tx) => {
            if (pick !== undefined && roll === 0) tx.remove(pick)
            else if (pick !== undefined && roll === 1) tx.update(pick, [`u${step}`])
            else tx.insert(1 + cluster.prng.nextInt(3), [`n${step}`])
          })
        } else if (roll < 7) {
          cluster.tick(1 + cluster.prng.nextInt(50))
        } else if (roll === 7) {
          const index = cluster.prng.nextInt(conns.length)
          cluster.breakLink(conns[index] as number)
        } else if (roll === 8) {
          const index = cluster.prng.nextInt(conns.length)
          const conn = nextConn++
          cluster.reattach(conns[index] as number, conn, { forceSync: index === 0 })
          conns[index] = conn
        }
        cluster.run()
      }
      conns.forEach((conn, index) => {
        if (cluster.nodes.get(conn)?.core.state === 'stopped') {
          const fresh = nextConn++
          cluster.reattach(conn, fresh, { forceSync: index === 0 })
          conns[index] = fresh
        }
      })
      for (let t = 0; t < 30; t++) {
        cluster.tick(10)
        cluster.run()
      }
      for (const conn of conns) {
        const node = cluster.nodes.get(conn)
        expect(node?.core.state, `seed ${seed} conn ${conn}`).toBe('streaming')
        expect(node?.db.content(REPLICATED), `seed ${seed}`).toBe(
          cluster.masterDb.content(REPLICATED),
        )
      }
      const seqs = cluster.outcomes.map((o) => o.seq)
      expect(seqs, `seed ${seed}`).toEqual(cluster.records.map((r) => r.seq))
    }
  })
})

/**
 * Checks HaMaster and HaReplica in sync mode in one process (DESIGN "Replication": sync
 * mode, transaction window, quorum, read-only replica, partial replication, memory extend,
 * detach). Two engines, a master listening on loopback tcp (port 0) and a replica attached to
 * it; writes on the master, then reads and content hashes on the replica; one async case
 * (its sender worker runs the built module under dist/). The real-process cases (kill -9,
 * pipe, udp, hot load) are in test/integration/ha-*.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadDictionary } from '../../../src/schema/load-dictionary.js'
import { Engine } from '../../../src/txn/engine.js'
import { HaMaster } from '../../../src/node/ha-master.js'
import { HaReplica } from '../../../src/node/ha-replica.js'
import type { HaNotification } from '../../../src/node/ha-notification.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const schemaDir = path.resolve(here, '../../../schema')
const masterSchema = loadDictionary(readFileSync(path.join(schemaDir, 'filtermstdb.mco'), 'utf8'))
const replicaSchema = loadDictionary(readFileSync(path.join(schemaDir, 'filterrpldb.mco'), 'utf8'))

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function pair(
  masterOptions: Partial<Parameters<typeof HaMaster.start>[1]> = {},
  replicaOptions: Parameters<typeof HaReplica.attach>[2] = {},
) {
  const masterDb = { engine: new Engine({ dictionary: masterSchema }) }
  const master = await HaMaster.start(masterDb, { listen: ':tcp:127.0.0.1:0', ...masterOptions })
  cleanups.push(() => master.stop())
  const replicaDb = { engine: new Engine({ dictionary: masterSchema }) }
  const notes: HaNotification[] = []
  const replica = await HaReplica.attach(replicaDb, master.addresses[0] as string, {
    onNotify: (n) => notes.push(n),
    ...replicaOptions,
  })
  cleanups.push(() => replica.stop())
  await replica.synced
  return { master, masterDb, replica, replicaDb, notes }
}

function insertKeys(db: { engine: Engine }, cls: string, keys: readonly number[]) {
  return db.engine.write((tx) => {
    for (const key of keys) tx.insert(cls, { key })
  })
}

describe('HA sync mode in one process (DESIGN Replication)', () => {
  it('a sync commit resolves ok once the replica has applied it', async () => {
    const { masterDb, replicaDb, notes } = await pair()
    for (let i = 0; i < 20; i++) {
      const result = insertKeys(masterDb, 'T1', [i])
      expect(await result.durable).toBe('ok')
      // Applied before the ack: the replica already sees it.
      expect(replicaDb.engine.getSequencer()).toBe(result.seq)
    }
    expect(replicaDb.engine.contentHash()).toBe(masterDb.engine.contentHash())
    expect(notes.map((n) => n.name)).toContain('CONNECTED')
  })

  it('refuses writes on the replica with TDB_READ_ONLY_REPLICA', async () => {
    const { replicaDb } = await pair()
    expect(() => insertKeys(replicaDb, 'T1', [1])).toThrow(
      expect.objectContaining({ code: 'TDB_READ_ONLY_REPLICA' }),
    )
  })

  it('loads a populated master, then streams', async () => {
    const masterDb = { engine: new Engine({ dictionary: masterSchema }) }
    for (let i = 0; i < 50; i++) insertKeys(masterDb, i % 2 ? 'T2' : 'T3', [i])
    const master = await HaMaster.start(masterDb, { listen: ':tcp:127.0.0.1:0' })
    cleanups.push(() => master.stop())
    const replicaDb = { engine: new Engine({ dictionary: masterSchema }) }
    const replica = await HaReplica.attach(replicaDb, master.addresses[0] as string)
    cleanups.push(() => replica.stop())
    await replica.synced
    expect(replicaDb.engine.contentHash()).toBe(masterDb.engine.contentHash())
    expect(await insertKeys(masterDb, 'T1', [1000]).durable).toBe('ok')
    expect(replicaDb.engine.contentHash()).toBe(masterDb.engine.contentHash())
    expect(master.status()[0]).toMatchObject({ state: 'streaming', mode: 'sync', sync: 'full' })
  })

  it('quorum refuses writes without enough sync replicas', async () => {
    const masterDb = { engine: new Engine({ dictionary: masterSchema }) }
    const master = await HaMaster.start(masterDb, { listen: ':tcp:127.0.0.1:0', quorum: 1 })
    cleanups.push(() => master.stop())
    expect(() => insertKeys(masterDb, 'T1', [1])).toThrow(
      expect.objectContaining({ code: 'TDB_NO_QUORUM' }),
    )
    const replicaDb = { engine: new Engine({ dictionary: masterSchema }) }
    const replica = await HaReplica.attach(replicaDb, master.addresses[0] as string)
    cleanups.push(() => replica.stop())
    await replica.synced
    expect(await insertKeys(masterDb, 'T1', [1]).durable).toBe('ok')
    master.setQuorum(2)
    expect(() => insertKeys(masterDb, 'T1', [2])).toThrow(
      expect.objectContaining({ code: 'TDB_NO_QUORUM' }),
    )
  })

  it('window N acknowledges per window and commitWindow forces the rest', async () => {
    const { master, masterDb } = await pair({ windowSize: 4 })
    const results = [1, 2, 3].map((key) => insertKeys(masterDb, 'T1', [key]))
    const settled: string[] = []
    for (const result of results) void result.durable.then((status) => settled.push(status))
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(settled).toEqual([])
    master.commitWindow()
    await Promise.all(results.map((result) => result.durable))
    expect(settled).toEqual(['ok', 'ok', 'ok'])
  })

  it('filters local classes both ways (hafilter schemas)', async () => {
    const masterDb = { engine: new Engine({ dictionary: masterSchema }) }
    const master = await HaMaster.start(masterDb, { listen: ':tcp:127.0.0.1:0' })
    cleanups.push(() => master.stop())
    const replicaDb = { engine: new Engine({ dictionary: replicaSchema }) }
    const replica = await HaReplica.attach(replicaDb, master.addresses[0] as string)
    cleanups.push(() => replica.stop())
    await replica.synced
    for (const cls of ['T1', 'T2', 'T3', 'T4']) await insertKeys(masterDb, cls, [1, 2]).durable
    const counts = replicaDb.engine.read((tx) => ['T1', 'T2', 'T3', 'T4'].map((c) => tx.count(c)))
    // T4 is local on the master (never sent); T1 is local on the replica (never written).
    expect(counts).toEqual([0, 2, 2, 0])
  })

  it('extends the replica when the master extends its memory', async () => {
    const { masterDb, replicaDb, notes } = await pair()
    const before = replicaDb.engine.memory.sizeBytes
    masterDb.engine.extend(1 << 20)
    await insertKeys(masterDb, 'T1', [1]).durable
    expect(replicaDb.engine.memory.sizeBytes).toBe(before + (1 << 20))
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(notes.find((n) => n.name === 'MASTER_DB_EXTENDED')?.param2).toBe(1 << 20)
  })

  it('async mode from the sources: the sender worker streams to the replica', async () => {
    const { masterDb, replicaDb } = await pair({ mode: 'async' })
    for (let i = 0; i < 50; i++) expect(await insertKeys(masterDb, 'T2', [i]).durable).toBe('ok')
    const deadline = Date.now() + 10_000
    while (replicaDb.engine.getSequencer() < masterDb.engine.getSequencer()) {
      expect(Date.now()).toBeLessThan(deadline)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    expect(replicaDb.engine.contentHash()).toBe(masterDb.engine.contentHash())
  })

  it('a master that cannot listen throws and leaves the database as it was', async () => {
    const first = { engine: new Engine({ dictionary: masterSchema }) }
    const master = await HaMaster.start(first, { listen: ':tcp:127.0.0.1:0' })
    cleanups.push(() => master.stop())
    const second = { engine: new Engine({ dictionary: masterSchema }) }
    const taken = master.addresses[0] as string
    await expect(HaMaster.start(second, { listen: taken, quorum: 1 })).rejects.toThrow()
    await expect(HaMaster.start(second, { listen: taken, mode: 'async' })).rejects.toThrow()
    // No hook was left behind: the quorum of the failed master does not refuse writes.
    expect(await insertKeys(second, 'T1', [1]).durable).toBe('ok')
    await expect(HaMaster.start(second, { listen: [] })).rejects.toMatchObject({
      code: 'TDB_INVALID_PARAMETER',
    })
    await expect(HaMaster.start(second, { listen: taken, mode: 'async', quorum: 1 })).rejects
      .toMatchObject({ code: 'TDB_INCOMPATIBLE_MODES' })
  })

  it('detach stops the replica with MASTER_REQUESTED_DISCONNECT', async () => {
    const { master, replica } = await pair()
    const conn = master.status()[0]?.conn as number
    master.detach(conn)
    expect(await replica.stopped).toMatchObject({ name: 'MASTER_REQUESTED_DISCONNECT' })
  })
})

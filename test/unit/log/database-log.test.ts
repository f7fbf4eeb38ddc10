// Checks the log under the real engine through Database (DESIGN.md "Commit policies and the
// log"): seeded random workloads (inserts, updates, deletes, per-transaction policies) are
// closed and reopened with equal content hash and sequencer, across segment rollovers and
// checkpoints; flush() and checkpoint() work; a disk refusal rejects the durable promise,
// refuses further writes with TDB_LOG_IO, leaves reads working, and loses nothing durable.
import fs from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { Database } from '../../../src/node/database.js'
import type { LogOptions } from '../../../src/log/log-options.js'
import { loadDictionary } from '../../../src/schema/load-dictionary.js'
import type { CommitPolicy } from '../../../src/txn/commit-hook.js'
import { prng, tempDir } from './model-engine.js'
import { TestDevice } from './test-device.js'

const dictionary = loadDictionary(`declare database logtest;
class Item {
  signed<4> key;
  string name;
  double score;
  unique tree<key> byKey;
};
class Tag {
  signed<4> item;
  string label;
  tree<item> byItem;
};`)

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

function freshDir(): string {
  const { dir, remove } = tempDir('log-db')
  cleanups.push(remove)
  return dir
}

function open(dir: string, log: Partial<LogOptions> = {}) {
  return Database.open({ dictionary, log: { dir, preallocateBytes: 64 * 1024, ...log } })
}

const policies: CommitPolicy[] = ['sync-flush', 'delayed', 'buffered', 'no-sync']

/** One random transaction: a few inserts, updates or deletes of Items and Tags. */
function randomWrite(db: Database, random: () => number) {
  const policy = policies[Math.floor(random() * policies.length)]!
  return db.write(
    (tx) => {
      for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
        const key = Math.floor(random() * 40)
        const oid = tx.findOid('Item', 'byKey', key)
        const roll = random()
        if (oid === undefined) {
          const item = tx.insert('Item', { key, name: `item ${key}`, score: random() })
          tx.insert('Tag', { item, label: `tag of ${key}` })
        } else if (roll < 0.6) {
          const name = `renamed ${Math.floor(random() * 1000)}`
          tx.update('Item', oid, { name, score: random() })
        } else {
          tx.delete('Item', oid)
        }
      }
    },
    { policy },
  )
}

describe('Database with a log (DESIGN.md "Commit policies and the log")', () => {
  for (const seed of [11, 12]) {
    it(`reopens random workloads with equal content and sequencer (seed ${seed})`, async () => {
      const dir = freshDir()
      const random = prng(seed)
      const small = { segmentBytes: 8192, checkpointBytes: 30_000 }
      let expected = { hash: '', seq: 0n }
      for (let session = 0; session < 4; session++) {
        const db = await open(dir, small)
        expect(db.getSequencer()).toBe(expected.seq)
        if (session > 0) expect(db.contentHash()).toBe(expected.hash)
        const durable: Promise<unknown>[] = []
        for (let i = 0; i < 300; i++) {
          durable.push(randomWrite(db, random).durable)
          if (random() < 0.05) await new Promise((resolve) => setImmediate(resolve))
        }
        await Promise.all(durable)
        expected = { hash: db.contentHash(), seq: db.getSequencer() }
        await db.close()
      }
      const snapshots = fs.readdirSync(dir).filter((name) => name.endsWith('.tsnap'))
      expect(snapshots.length).toBe(1)
      const db = await open(dir, small)
      expect(db.contentHash()).toBe(expected.hash)
      expect(db.getSequencer()).toBe(expected.seq)
      await db.close()
    })
  }

  it('uses the log policy as the default and resolves durable after the flush', async () => {
    const dir = freshDir()
    const db = await open(dir, { policy: 'buffered' })
    const result = db.write((tx) => tx.insert('Item', { key: 1, name: 'one', score: 1 }))
    await expect(result.durable).resolves.toBe('ok')
    const synced = db.write((tx) => tx.insert('Item', { key: 2, name: 'two', score: 2 }), {
      policy: 'sync-flush',
    })
    await expect(synced.durable).resolves.toBe('ok')
    db.write((tx) => tx.insert('Item', { key: 3, name: 'three', score: 3 }), { policy: 'no-sync' })
    await db.flush()
    await db.checkpoint()
    const hash = db.contentHash()
    await db.close()
    const again = await open(dir)
    expect(again.getSequencer()).toBe(3n)
    expect(again.contentHash()).toBe(hash)
    await again.close()
  })

  it('refuses writes with TDB_LOG_IO after a disk error; reads and durable data stay', async () => {
    const dir = freshDir()
    const device = new TestDevice()
    const db = await open(dir, { device })
    await db.write((tx) => tx.insert('Item', { key: 1, name: 'kept', score: 1 })).durable
    device.failing = { call: 'write', code: 'ENOSPC' }
    const lost = db.write((tx) => tx.insert('Item', { key: 2, name: 'lost', score: 2 }))
    await expect(lost.durable).rejects.toMatchObject({ code: 'TDB_LOG_IO' })
    expect(() => db.write((tx) => tx.insert('Item', { key: 3, name: 'x', score: 3 }))).toThrow(
      expect.objectContaining({ code: 'TDB_LOG_IO', message: expect.stringContaining('ENOSPC') }),
    )
    // The in-memory state is consistent: the committed (not durable) write is visible.
    expect(db.read((tx) => tx.count('Item'))).toBe(2)
    await db.close()
    device.failing = null
    const again = await open(dir)
    expect(again.read((tx) => tx.find('Item', 'byKey', 1))).toMatchObject({ name: 'kept' })
    await again.close()
  })
})

describe('Database with a log written under another schema', () => {
  it('refuses to open with TDB_DICTIONARY_MISMATCH naming the file', async () => {
    const dir = freshDir()
    const db = await open(dir)
    db.write((tx) => tx.insert('Tag', { item: 1, label: 'only in this schema' }))
    await db.checkpoint()
    db.write((tx) => tx.insert('Tag', { item: 2, label: 'in the log' }))
    await db.close()
    const other = loadDictionary('declare database other;\nclass Item { signed<4> key; };')
    await expect(Database.open({ dictionary: other, log: { dir } })).rejects.toMatchObject({
      code: 'TDB_DICTIONARY_MISMATCH',
      message: expect.stringMatching(/snap-00000000000000000001\.tsnap was written with another/),
    })
    const reopened = await open(dir)
    expect(reopened.read((tx) => tx.count('Tag'))).toBe(2)
    await reopened.close()
  })
})

describe('Database with a log as a replica (DESIGN.md "Commit policies and the log")', () => {
  it('logs a full load followed by replicated change sets, and reopens equal', async () => {
    const masterDir = freshDir()
    const replicaDir = freshDir()
    const master = await open(masterDir)
    const random = prng(5)
    for (let i = 0; i < 50; i++) randomWrite(master, random)
    const replica = await open(replicaDir)
    // A full load: the master's objects, then its sequencer, without commits.
    let from = null as Parameters<typeof master.engine.scan>[0]
    do {
      const { ops, next } = master.engine.scan(from, 16)
      replica.engine.loadObjects(ops)
      from = next
    } while (from !== null)
    replica.engine.setSequencer(master.getSequencer())
    // Then the live stream: the master's next change sets, applied with hooks (logged).
    const changeSets: Uint8Array[] = []
    master.engine.addHook({
      name: 'capture',
      onCommit: (record) => changeSets.push(record.changeSet),
    })
    for (let i = 0; i < 30; i++) randomWrite(master, random)
    for (const changeSet of changeSets) replica.engine.applyChangeSet(changeSet)
    await replica.flush()
    expect(replica.contentHash()).toBe(master.contentHash())
    await replica.close()
    const reopened = await open(replicaDir)
    expect(reopened.getSequencer()).toBe(master.getSequencer())
    expect(reopened.contentHash()).toBe(master.contentHash())
    await reopened.close()
    await master.close()
  })
})

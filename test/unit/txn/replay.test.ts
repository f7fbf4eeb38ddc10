/**
 * Change sets as redo records (DESIGN.md "Store and transactions": the change set of a commit
 * feeds the log and replication). Random seeded workloads run on engine A while a hook
 * collects its change sets; applying them in order to an empty engine B with the same
 * dictionary must give the same content hash and sequencer; with an isLocal filter the local
 * class stays empty on B; a scan + loadObjects copy reproduces the content; a bad change set
 * changes nothing.
 */
import { describe, expect, it } from 'vitest'
import { decodeChangeSet, encodeChangeSet } from '../../../src/txn/change-set.js'
import { Engine } from '../../../src/txn/engine.js'
import { classDef, dictionary, field, hash, list, tree, types } from './dictionary-fixtures.js'
import { seededRandom as prng } from '../../../src/util/prng.js'

const dict = dictionary([
  classDef(
    1,
    'Account',
    [
      field('no', types.u4),
      field('owner', types.string),
      field('balance', types.i8),
      field('notes', types.vector(types.string)),
    ],
    [tree('byNo', ['no'], true), tree('byOwner', ['owner', 'no']), list('all')],
  ),
  classDef(
    2,
    'Session',
    [field('token', types.char(8)), field('hits', types.u4)],
    [tree('byToken', ['token'], true)],
    true,
  ),
])


function randomWorkload(engine: Engine, seed: number, transactions: number): void {
  const random = prng(seed)
  const pick = (n: number): number => Math.floor(random() * n)
  for (let t = 0; t < transactions; t++) {
    try {
      engine.write((tx) => {
        const steps = 1 + pick(6)
        for (let s = 0; s < steps; s++) {
          const accounts = [...tx.cursor('Account', 'all')].length
          const choice = pick(10)
          if (choice < 4 || accounts === 0) {
            tx.insert(
              'Account',
              {
                no: pick(300),
                owner: `o${pick(20)}`,
                balance: BigInt(pick(1000)) - 500n,
                notes: ['n'.repeat(pick(3))],
              },
            )
          } else if (choice < 6) {
            tx.insert('Session', { token: `s${pick(1000)}`, hits: pick(10) })
          } else {
            const cursor = tx.cursor('Account', 'all')
            cursor.first()
            for (let skip = pick(accounts); skip > 0; skip--) cursor.next()
            if (choice < 8) tx.update(
              'Account',
              cursor.oid,
              { owner: `o${pick(20)}`, balance: BigInt(pick(100)) },
            )
            else tx.delete('Account', cursor.oid)
          }
        }
        if (pick(10) === 0) throw new Error('abort')
      })
    } catch (error) {
      const code = (error as { code?: string }).code
      if ((error as Error).message !== 'abort' && code !== 'TDB_DUPLICATE_KEY') throw error
    }
  }
}

function recorded(seed: number, transactions: number): {
  source: Engine; changeSets: Uint8Array[]
} {
  const source = new Engine({ dictionary: dict })
  const changeSets: Uint8Array[] = []
  source.addHook({ name: 'collect', onCommit: (record) => changeSets.push(record.changeSet) })
  randomWorkload(source, seed, transactions)
  return { source, changeSets }
}

describe('change-set replay (DESIGN.md: Store and transactions)', () => {
  for (const seed of [1, 2, 3, 42, 1234]) {
    it(`reproduces engine A on engine B (seed ${seed})`, () => {
      const { source, changeSets } = recorded(seed, 300)
      const target = new Engine({ dictionary: dict })
      const replicated: bigint[] = []
      target.addHook({ name: 'seen', onCommit: (record) => replicated.push(record.seq) })
      for (const bytes of changeSets) target.applyChangeSet(bytes)
      expect(target.contentHash()).toBe(source.contentHash())
      expect(target.getSequencer()).toBe(source.getSequencer())
      source.checkInvariants()
      target.checkInvariants()
      expect(replicated).toHaveLength(changeSets.length)
      expect(target.read((tx) => [...tx.cursor('Account', 'byOwner')])).toEqual(
        source.read((tx) => [...tx.cursor('Account', 'byOwner')]),
      )
    })
  }

  it('skips local classes with isLocal and without notifying when asked', () => {
    const { source, changeSets } = recorded(7, 200)
    const target = new Engine({ dictionary: dict })
    let notified = 0
    target.addHook({ name: 'seen', onCommit: () => notified++ })
    for (const bytes of changeSets) target.applyChangeSet(
      bytes,
      { isLocal: (id) => id === 2, notifyHooks: false },
    )
    expect(notified).toBe(0)
    expect(target.read((tx) => tx.count('Session'))).toBe(0)
    const skipSessions = (classId: number): boolean => classId === 2
    expect(target.contentHash(skipSessions)).toBe(source.contentHash(skipSessions))
    expect(target.contentHash()).not.toBe(source.contentHash())
    expect(source.read((tx) => tx.count('Session'))).toBeGreaterThan(0)
    expect(target.read((tx) => [...tx.cursor('Account', 'byNo')])).toEqual(
      source.read((tx) => [...tx.cursor('Account', 'byNo')])
    )
  })

  it('copies the content with scan and loadObjects, in chunks, keeping oids', () => {
    const { source } = recorded(9, 200)
    const target = new Engine({ dictionary: dict })
    target.write((tx) => tx.insert('Account', { no: 1 }))
    target.clear()
    let position = null
    let chunks = 0
    do {
      const { ops, next } = source.scan(position, 17)
      target.loadObjects(ops)
      position = next
      chunks++
    } while (position !== null)
    expect(chunks).toBeGreaterThan(2)
    expect(target.contentHash()).toBe(source.contentHash())
    expect(target.getSequencer()).toBe(1n)
    // The oid counter moved past every loaded oid.
    const oid = target.write((tx) => tx.insert('Account', { no: 100_000 })).value
    expect(source.read((tx) => tx.get('Account', oid))).toBeUndefined()
  })

  it('applies a change set atomically and refuses an old sequence number', () => {
    const target = new Engine({ dictionary: dict })
    const first = encodeChangeSet({ seq: 1n, ops: [[1, 1, 10, 0, [1, 'a', 5n, []]]] })
    target.applyChangeSet(first)
    const hashBefore = target.contentHash()
    const usedBefore = target.memory.usedBytes
    const bad = encodeChangeSet({ seq: 2n, ops: [[1, 1, 11, 0, [2, 'b', 0n, []]], [3, 1, 99, 0]] })
    expect(() => target.applyChangeSet(bad)).toThrow(
      expect.objectContaining({ code: 'TDB_PROTOCOL' })
    )
    expect([target.contentHash(), target.memory.usedBytes, target.getSequencer()]).toEqual(
      [hashBefore, usedBefore, 1n]
    )
    expect(() => target.applyChangeSet(first)).toThrow(
      expect.objectContaining({ code: 'TDB_PROTOCOL' })
    )
    const duplicate = encodeChangeSet({ seq: 2n, ops: [[1, 1, 12, 0, [1, 'dup', 0n, []]]] })
    expect(() => target.applyChangeSet(duplicate)).toThrow(
      expect.objectContaining({ code: 'TDB_DUPLICATE_KEY' })
    )
    expect(target.contentHash()).toBe(hashBefore)
    expect(decodeChangeSet(first).ops).toHaveLength(1)
  })

  it('marks commits that touch a local class', () => {
    const engine = new Engine({ dictionary: dict })
    const flags: boolean[] = []
    engine.addHook({ name: 'flags', onCommit: (record) => flags.push(record.hasLocal) })
    engine.write((tx) => tx.insert('Account', { no: 1 }))
    engine.write((tx) => tx.insert('Session', { token: 'x' }))
    expect(flags).toEqual([false, true])
  })
})

describe('hash indexes', () => {
  it('finds, walks and keeps unique keys through a hash index', () => {
    const withHash = dictionary([
      classDef(
        1,
        'H',
        [field('k', types.u4), field('tag', types.string)],
        [hash('byK', ['k'], true), hash('byTag', ['tag'])],
      ),
    ])
    const engine = new Engine({ dictionary: withHash })
    engine.write((tx) => {
      for (let k = 0; k < 20; k++) tx.insert('H', { k, tag: `t${k % 3}` })
    })
    expect(engine.read((tx) => tx.find('H', 'byK', 5))).toEqual({ k: 5, tag: 't2' })
    expect(engine.read((tx) => tx.findAll('H', 'byTag', 't1').map((o) => o.k))).toHaveLength(7)
    expect(() => engine.write((tx) => tx.insert('H', { k: 5 }))).toThrow(
      expect.objectContaining({ code: 'TDB_DUPLICATE_KEY' }),
    )
    const walked = engine.read((tx) => [...tx.cursor('H', 'byK')].map((o) => o.k as number))
    expect(walked.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, k) => k))
    expect(() => engine.read((tx) => tx.search('H', 'byK', 'ge', 1))).toThrow(
      expect.objectContaining({ code: 'TDB_INVALID_ARGUMENT' }),
    )
  })
})

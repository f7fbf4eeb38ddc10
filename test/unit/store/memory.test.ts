/**
 * Memory accounting of the store (DESIGN.md "Store and transactions": fixed memory size, out
 * of memory rolls back, `extend`): a write that passes the size fails with TDB_OUT_OF_MEMORY
 * and leaves data, every index, usedBytes and the content hash exactly as before; `extend`
 * lets a full database continue; used bytes stay flat under insert/delete churn because freed
 * slots and heap blocks are reused. Also checks the heap's size classes and the oid map.
 */
import { describe, expect, it } from 'vitest'
import { blockBytes, SIZE_CLASSES, sizeClassOf } from '../../../src/store/heap.js'
import { Budget } from '../../../src/store/memory-device.js'
import { OidMap } from '../../../src/store/oid-map.js'
import { Engine } from '../../../src/txn/engine.js'
import {
  benchDictionary,
  classDef,
  dictionary,
  field,
  hash,
  tree,
  types,
} from '../txn/dictionary-fixtures.js'

const indexedDictionary = dictionary([
  classDef(
    1,
    'Doc',
    [
      field('id', types.u4),
      field('title', types.string),
      field('tags', types.vector(types.string)),
    ],
    [
      tree('byId', ['id'], true),
      tree('byTitle', ['title']),
      { kind: 'list', name: 'all' },
      hash('hashId', ['id'], true),
    ],
  ),
])

function snapshot(engine: Engine): unknown {
  return engine.read((tx) => ({
    byId: [...tx.cursor('Doc', 'byId')],
    byIdReverse: [...tx.range('Doc', 'byId', { reverse: true })],
    byTitle: [...tx.cursor('Doc', 'byTitle')],
    all: [...tx.cursor('Doc', 'all')],
    hashed: [...tx.cursor('Doc', 'hashId')].map((doc) => doc.id).sort(),
    count: tx.count('Doc'),
    hash: engine.contentHash(),
    used: engine.memory.usedBytes,
  }))
}

describe('out of memory (DESIGN.md: Store and transactions)', () => {
  it('rolls a write that passes the size back exactly, and extend lets it continue', () => {
    const engine = new Engine({ dictionary: indexedDictionary, memorySize: 96 * 1024 })
    let next = 0
    const insertBatch = (count: number): void => {
      engine.write((tx) => {
        for (let i = 0; i < count; i++, next++) {
          tx.insert(
            'Doc',
            {
              id: next,
              title: `title ${next % 37} `.repeat(1 + (next % 5)),
              tags: ['a', `t${next}`],
            },
          )
        }
      })
    }
    let failure: unknown = null
    for (let round = 0; round < 1000 && failure === null; round++) {
      const before = snapshot(engine)
      const nextBefore = next
      try {
        insertBatch(50)
      } catch (error) {
        failure = error
        next = nextBefore
        expect(snapshot(engine)).toEqual(before)
        engine.checkInvariants()
      }
    }
    expect(failure).toMatchObject({ code: 'TDB_OUT_OF_MEMORY' })
    // A delete and an update that grows a string also fit back exactly when they fail.
    const before = snapshot(engine)
    expect(() =>
      engine.write((tx) => {
        tx.delete('Doc', 1)
        tx.update('Doc', 2, { title: 'x'.repeat(200_000) })
      }),
    ).toThrow(expect.objectContaining({ code: 'TDB_OUT_OF_MEMORY' }))
    expect(snapshot(engine)).toEqual(before)
    engine.extend(1 << 20)
    insertBatch(50)
    expect(engine.read((tx) => tx.count('Doc'))).toBe(next)
  })

  it('keeps used bytes flat under insert/delete churn', () => {
    const engine = new Engine({ dictionary: benchDictionary() })
    const usedAfter: number[] = []
    for (let round = 0; round < 50; round++) {
      const oids = engine.write((tx) => {
        const inserted: number[] = []
        for (let i = 0; i < 10_000; i++) {
          inserted.push(
            tx.insert(
              'Item',
              { key: i, name: `name-${String(round).padStart(2, '0')}-${i}`, value: i },
            )
          )
        }
        return inserted
      }).value
      engine.write((tx) => {
        for (const oid of oids) tx.delete('Item', oid)
      })
      usedAfter.push(engine.memory.usedBytes)
    }
    expect(new Set(usedAfter)).toEqual(new Set([usedAfter[0]]))
  })

  it('gives large values a page of their own and releases it when they go', () => {
    const engine = new Engine({ dictionary: indexedDictionary, memorySize: 4 << 20 })
    engine.write((tx) => tx.insert('Doc', { id: 0, title: 'small' }))
    const baseline = engine.memory.usedBytes
    const big = 'é'.repeat(150_000)
    const oid = engine.write((tx) => tx.insert('Doc', { id: 1, title: big, tags: [big] })).value
    expect(engine.memory.usedBytes).toBeGreaterThan(baseline + 600_000)
    expect(engine.read((tx) => tx.get('Doc', oid))).toEqual({ id: 1, title: big, tags: [big] })
    engine.write((tx) => tx.update('Doc', oid, { title: 'short', tags: [] }))
    engine.write((tx) => tx.delete('Doc', oid))
    // The slot and the small blocks stay on free lists; the large pages are gone.
    expect(engine.memory.usedBytes - baseline).toBeLessThan(4096)
  })

  it('rejects a memory size out of range', () => {
    expect(() => new Engine({ dictionary: benchDictionary(), memorySize: 0 })).toThrow(
      expect.objectContaining({ code: 'TDB_INVALID_ARGUMENT' }),
    )
  })
})

describe('heap size classes', () => {
  it('rounds every length up to the smallest class that holds it', () => {
    for (const length of [1, 7, 8, 9, 63, 64, 65, 100, 1000, 4097, 65_536]) {
      const size = SIZE_CLASSES[sizeClassOf(length)] as number
      expect(size).toBeGreaterThanOrEqual(length)
      if (sizeClassOf(length) > 0) expect(SIZE_CLASSES[sizeClassOf(length) - 1]).toBeLessThan(
        length
      )
      expect(blockBytes(length)).toBe(size)
    }
    expect(blockBytes(70_001)).toBe(70_008)
  })
})

describe('oid map', () => {
  it('maps dense and sparse oids, drops emptied pages and releases their bytes', () => {
    const budget = new Budget(1 << 24)
    const map = new OidMap(budget)
    const oids = [
      ...Array.from({ length: 5000 }, (_, i) => i + 1),
      ...Array.from({ length: 50 }, (_, i) => 2 ** 40 + i * 100_003),
    ]
    oids.forEach((oid, i) => map.insert(oid, 1 + (i % 3), i))
    expect(() => map.insert(oids[0] as number, 1, 0)).toThrow(/already mapped/)
    const dense = budget.usedBytes
    expect(dense / oids.length).toBeLessThan(40)
    for (let i = 0; i < oids.length; i += 2) map.remove(oids[i] as number)
    oids.forEach((oid, i) => {
      expect(map.ridOf(oid)).toBe(i % 2 === 0 ? -1 : i)
      expect(map.classIdOf(oid)).toBe(i % 2 === 0 ? 0 : 1 + (i % 3))
      expect(map.ridIn(oid, 1 + (i % 3))).toBe(i % 2 === 0 ? -1 : i)
      expect(map.ridIn(oid, 4)).toBe(-1)
    })
    expect(map.size).toBe(oids.length / 2)
    for (let i = 1; i < oids.length; i += 2) map.remove(oids[i] as number)
    expect([map.size, budget.usedBytes, map.bytesCharged]).toEqual([0, 0, 0])
    map.insert(7, 1, 0)
    map.clear()
    expect(budget.usedBytes).toBe(0)
  })
})

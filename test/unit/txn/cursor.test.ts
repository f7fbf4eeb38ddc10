/**
 * Cursors and ranges (DESIGN.md "Store and transactions": indexes and cursors). Tree cursors
 * walk in key order both ways and keep their place when the index changes under them (deletes
 * and key updates inside the same write transaction); search positions with every operator on
 * full and prefix keys; range honours exclusive and inclusive bounds, reverse and limit; list
 * and autoid indexes walk and find by oid; cursors die with their transaction.
 */
import { describe, expect, it } from 'vitest'
import type { Cursor, ObjectValues } from '../../../src/txn/api.js'
import { Engine } from '../../../src/txn/engine.js'
import { classDef, dictionary, field, list, tree, types } from './dictionary-fixtures.js'

const dict = dictionary([
  classDef(
    1,
    'P',
    [field('group', types.string), field('rank', types.i4)],
    [
      tree('byGroupRank', ['group', 'rank'], true, [false, true]),
      tree('byRank', ['rank']),
      list('all'),
      { kind: 'autoid', name: 'byOid', initialSize: 16 },
    ],
  ),
])

function filled(): Engine {
  const engine = new Engine({ dictionary: dict })
  engine.write((tx) => {
    for (const group of ['b', 'a', 'c']) {
      for (const rank of [3, 1, 2]) tx.insert('P', { group, rank })
    }
  })
  return engine
}

const label = (value: ObjectValues | undefined): string =>
  value === undefined ? '-' : `${String(value.group)}${String(value.rank)}`

function walk(cursor: Cursor, reverse = false): string[] {
  const seen: string[] = []
  const step = (): boolean => (reverse ? cursor.prev() : cursor.next())
  for (let on = reverse ? cursor.last() : cursor.first(); on; on = step()) {
    seen.push(label(cursor.value()))
  }
  return seen
}

describe('tree cursors (DESIGN.md: Store and transactions)', () => {
  it('walks a compound key with a descending part both ways', () => {
    const engine = filled()
    const forward = ['a3', 'a2', 'a1', 'b3', 'b2', 'b1', 'c3', 'c2', 'c1']
    expect(engine.read((tx) => walk(tx.cursor('P', 'byGroupRank')))).toEqual(forward)
    expect(engine.read((tx) => walk(tx.cursor('P', 'byGroupRank'), true))).toEqual(
      [...forward].reverse()
    )
    expect(engine.read((tx) => [...tx.cursor('P', 0)].map(label))).toEqual(forward)
  })

  it('searches with every operator on full and prefix keys', () => {
    const engine = filled()
    const at = (op: 'lt' | 'le' | 'eq' | 'ge' | 'gt', key: unknown): string =>
      engine.read((tx) => {
        const cursor = tx.search('P', 'byGroupRank', op, key)
        return cursor.valid ? label(cursor.value()) : '-'
      })
    expect(
      [
        at('lt', ['b', 2]),
        at('le', ['b', 2]),
        at('eq', ['b', 2]),
        at('ge', ['b', 2]),
        at('gt', ['b', 2]),
      ]
    ).toEqual([
      'b3',
      'b2',
      'b2',
      'b2',
      'b1',
    ])
    expect([at('lt', 'b'), at('le', 'b'), at('eq', 'b'), at('ge', 'b'), at('gt', 'b')]).toEqual(
      ['a1', 'b1', 'b3', 'b3', 'c3']
    )
    expect([at('eq', 'bb'), at('lt', 'a'), at('gt', 'c'), at('eq', ['b', 7])]).toEqual(
      ['-', '-', '-', '-']
    )
  })

  it('returns ranges with bounds, reverse and limit', () => {
    const engine = filled()
    const range = (options: object): string[] =>
      engine.read((tx) => [...tx.range('P', 'byRank', options)].map((value) => String(value.rank)))
    expect(range({})).toEqual(['1', '1', '1', '2', '2', '2', '3', '3', '3'])
    expect(range({ gt: 1, le: 2 })).toEqual(['2', '2', '2'])
    expect(range({ ge: 2, lt: 3, reverse: true })).toEqual(['2', '2', '2'])
    expect(range({ ge: 2, reverse: true, limit: 4 })).toEqual(['3', '3', '3', '2'])
    expect(range({ lt: 1 })).toEqual([])
    expect(
      engine.read((tx) => [...tx.range('P', 'byGroupRank', { ge: ['a'], lt: ['b'] })].map(label))
    ).toEqual(['a3', 'a2', 'a1'])
    expect(engine.read((tx) => tx.findAll('P', 'byGroupRank', 'c').map(label))).toEqual(
      ['c3', 'c2', 'c1']
    )
    expect(() => engine.read((tx) => tx.range('P', 'all', {}))).toThrow(
      expect.objectContaining({ code: 'TDB_INVALID_ARGUMENT' })
    )
  })

  it('keeps its place when objects are deleted during a walk, both ways', () => {
    const engine = filled()
    const seen = engine.write((tx) => {
      const visited: string[] = []
      const cursor = tx.cursor('P', 'byGroupRank')
      for (let on = cursor.first(); on; on = cursor.next()) {
        visited.push(label(cursor.value()))
        if (cursor.value().rank === 2) tx.delete('P', cursor.oid)
      }
      return visited
    }).value
    expect(seen).toEqual(['a3', 'a2', 'a1', 'b3', 'b2', 'b1', 'c3', 'c2', 'c1'])
    expect(engine.read((tx) => walk(tx.cursor('P', 'byGroupRank')))).toEqual(
      ['a3', 'a1', 'b3', 'b1', 'c3', 'c1']
    )
    const backwards = engine.write((tx) => {
      const cursor = tx.cursor('P', 'byGroupRank')
      const visited: string[] = []
      for (let on = cursor.last(); on; on = cursor.prev()) {
        visited.push(label(cursor.value()))
        tx.delete('P', cursor.oid)
      }
      return visited
    }).value
    expect(backwards).toEqual(['c1', 'c3', 'b1', 'b3', 'a1', 'a3'])
    expect(engine.read((tx) => tx.count('P'))).toBe(0)
  })

  it('follows an object whose key changes during a walk to its new place', () => {
    const engine = filled()
    const seen = engine.write((tx) => {
      const visited: string[] = []
      const cursor = tx.cursor('P', 'byGroupRank')
      for (let on = cursor.first(); on; on = cursor.next()) {
        const value = cursor.value()
        visited.push(label(value))
        // a3 becomes a0, which sorts after a1 (rank descends): the cursor moves with it.
        if (value.group === 'a' && value.rank === 3) tx.update('P', cursor.oid, { rank: 0 })
      }
      return visited
    }).value
    expect(seen).toEqual(['a3', 'b3', 'b2', 'b1', 'c3', 'c2', 'c1'])
    expect(engine.read((tx) => walk(tx.cursor('P', 'byGroupRank')).slice(0, 3))).toEqual(
      ['a2', 'a1', 'a0']
    )
  })

  it('reports an unpositioned or exhausted cursor and dies with its transaction', () => {
    const engine = filled()
    let kept: Cursor | undefined
    engine.read((tx) => {
      const cursor = tx.cursor('P', 'byRank')
      expect(cursor.valid).toBe(false)
      expect(cursor.next()).toBe(false)
      expect(() => cursor.value()).toThrow(expect.objectContaining({ code: 'TDB_NOT_FOUND' }))
      expect(cursor.last()).toBe(true)
      expect(cursor.next()).toBe(false)
      expect(cursor.valid).toBe(false)
      kept = cursor
    })
    expect(() => kept!.first()).toThrow(expect.objectContaining({ code: 'TDB_TXN_NOT_ACTIVE' }))
  })
})

describe('list and autoid indexes', () => {
  it('walks every object and finds by oid', () => {
    const engine = filled()
    const oids = engine.read((tx) => {
      const cursor = tx.cursor('P', 'all')
      const found: number[] = []
      for (let on = cursor.first(); on; on = cursor.next()) found.push(cursor.oid)
      return found
    })
    expect(oids).toHaveLength(9)
    engine.write((tx) => tx.delete('P', oids[4]!))
    expect(engine.read((tx) => walk(tx.cursor('P', 'all'), true))).toHaveLength(8)
    expect(engine.read((tx) => label(tx.find('P', 'byOid', oids[0])))).toBe('b3')
    expect(engine.read((tx) => tx.find('P', 'byOid', oids[4]))).toBeUndefined()
    expect(engine.read((tx) => tx.findAll('P', 'byOid', oids[1]).map(label))).toEqual(['b1'])
    expect(() => engine.read((tx) => tx.find('P', 'all', 1))).toThrow(
      expect.objectContaining({ code: 'TDB_INVALID_ARGUMENT' })
    )
  })

  it('deletes every object of a class', () => {
    const engine = filled()
    engine.write((tx) => tx.deleteAll('P'))
    expect(engine.read((tx) => [tx.count('P'), [...tx.cursor('P', 'byRank')].length])).toEqual(
      [0, 0]
    )
  })
})

describe('ranges while writing', () => {
  it('walk safely when a read inside a write deletes what it walks', () => {
    const engine = filled()
    const seen = engine.write((tx) =>
      engine.read((reader) => {
        const ranks: number[] = []
        for (const value of reader.range('P', 'byRank', { ge: 2 })) {
          ranks.push(value.rank as number)
          tx.delete('P', tx.findOid('P', 'byGroupRank', [value.group, value.rank])!)
        }
        return ranks
      }),
    ).value
    expect(seen).toEqual([2, 2, 2, 3, 3, 3])
    expect(engine.read((tx) => tx.count('P'))).toBe(3)
  })
})

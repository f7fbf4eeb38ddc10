/*
 * Checks the ordered index (TreeIndex, DESIGN.md "Store and transactions"): lookups, seeks and
 * cursor walks against a sorted-array model on large seeded workloads (deep trees, numeric and
 * record-compared keys), unique-key refusal without change, budget refusal without change, and
 * that memory stays flat under insert/delete churn. The invariant checker audits the structure
 * (order, separators, fill, leaf links, charged bytes) after each phase.
 */
import { describe, expect, it } from 'vitest'
import { StoreError } from '../../../src/errors.js'
import { TreeIndex } from '../../../src/store/index-tree.js'
import type { IndexPosition } from '../../../src/store/index-contract.js'
import {
  ArrayKeyReader,
  ModelIndex,
  NumericKeyReader,
  TestBudget,
  seededRandom,
} from './index-fixtures.js'

function walkForward(at: IndexPosition): number[] {
  const rids: number[] = []
  for (let ok = at.valid; ok; ok = at.next()) rids.push(at.rid)
  return rids
}

function walkBackward(at: IndexPosition): number[] {
  const rids: number[] = []
  for (let ok = at.valid; ok; ok = at.prev()) rids.push(at.rid)
  return rids
}

function shuffled(n: number, random: () => number): number[] {
  const values = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[values[i], values[j]] = [values[j] as number, values[i] as number]
  }
  return values
}

describe('TreeIndex basics (DESIGN.md "Store and transactions")', () => {
  it('finds, seeks and walks a small non-unique compound index', () => {
    const keys = new ArrayKeyReader([false, true])
    const tree = new TreeIndex(keys, false, new TestBudget())
    const rows: [number, string][] = [[1, 'a'], [1, 'c'], [2, 'b'], [1, 'c'], [3, 'a']]
    rows.forEach((row, rid) => {
      keys.records[rid] = row
      tree.insert(rid)
    })
    // Order: key part 0 ascending, part 1 descending, then rid.
    expect(walkForward(tree.first())).toEqual([1, 3, 0, 2, 4])
    expect(walkBackward(tree.last())).toEqual([4, 2, 0, 3, 1])
    expect(tree.findFirst([1, 'c'])).toBe(1)
    expect(tree.findFirst([1])).toBe(1)
    expect(tree.findFirst([1, 'b'])).toBe(-1)
    expect(walkForward(tree.seekFirst([1], false))).toEqual([2, 4])
    expect(walkBackward(tree.seekLast([1], true))).toEqual([0, 3, 1])
    expect(walkBackward(tree.seekLast([1], false))).toEqual([])
    expect(walkForward(tree.seekFirst([], true))).toEqual([1, 3, 0, 2, 4])
    tree.remove(3)
    expect(walkForward(tree.first())).toEqual([1, 0, 2, 4])
    expect(tree.size).toBe(4)
    tree.checkInvariants()
  })

  it('refuses a duplicate unique key with TDB_DUPLICATE_KEY and changes nothing', () => {
    const keys = new NumericKeyReader()
    const budget = new TestBudget()
    const tree = new TreeIndex(keys, true, budget)
    for (let rid = 0; rid < 1000; rid++) {
      keys.records[rid] = [rid * 2]
      tree.insert(rid)
    }
    const version = tree.version
    const bytes = budget.used
    for (const value of [0, 998, 1998, 640]) {
      keys.records[5000] = [value]
      let error: unknown
      try {
        tree.insert(5000)
      } catch (thrown) {
        error = thrown
      }
      expect(error).toBeInstanceOf(StoreError)
      expect((error as StoreError).code).toBe('TDB_DUPLICATE_KEY')
    }
    expect([tree.size, tree.version, budget.used]).toEqual([1000, version, bytes])
    keys.records[5000] = [641]
    tree.insert(5000)
    expect(tree.findFirst([641])).toBe(5000)
    tree.checkInvariants()
  })
})

describe('TreeIndex against a model on large workloads', () => {
  for (const numeric of [true, false]) {
    it(`keeps order and finds every key (${numeric ? 'numeric cache' : 'record compare'})`, () => {
      const keys = numeric ? new NumericKeyReader() : new ArrayKeyReader([false])
      const budget = new TestBudget()
      const tree = new TreeIndex(keys, false, budget)
      const random = seededRandom(numeric ? 7 : 8)
      const n = 60_000
      for (const rid of shuffled(n, random)) {
        keys.records[rid] = [Math.floor(random() * 20_000)]
        tree.insert(rid)
      }
      tree.checkInvariants()
      expect(tree.height).toBeGreaterThanOrEqual(3)
      const expected = Array.from({ length: n }, (_, rid) => rid).sort(
        (a, b) => keys.compareRecords(a, b) || a - b,
      )
      expect(walkForward(tree.first())).toEqual(expected)
      expect(walkBackward(tree.last())).toEqual([...expected].reverse())
      for (let i = 0; i < 2000; i++) {
        const value = Math.floor(random() * 20_002) - 1
        const at = expected.findIndex((rid) => (keys.key(rid)[0] as number) >= value)
        const first = at < 0 ? -1 : (expected[at] as number)
        const found = first >= 0 && keys.key(first)[0] === value ? first : -1
        expect(tree.findFirst([value])).toBe(found)
        const seek = tree.seekFirst([value], true)
        expect(seek.valid ? seek.rid : -1).toBe(first)
      }
      for (const rid of shuffled(n, random).slice(0, n - 100)) tree.remove(rid)
      tree.checkInvariants()
      expect(tree.size).toBe(100)
      expect(budget.used).toBe(tree.bytesCharged)
    })
  }
})

describe('TreeIndex memory', () => {
  it('gives every byte back after inserting then deleting 100k keys, round after round', () => {
    const keys = new NumericKeyReader()
    const budget = new TestBudget()
    const tree = new TreeIndex(keys, true, budget)
    const random = seededRandom(11)
    const peaks: number[] = []
    for (let round = 0; round < 4; round++) {
      const order = shuffled(100_000, random)
      for (const rid of order) {
        keys.records[rid] = [rid * 3 + round]
        tree.insert(rid)
      }
      peaks.push(tree.bytesCharged)
      for (const rid of shuffled(100_000, random)) tree.remove(rid)
      expect(tree.bytesCharged).toBe(0)
      expect(budget.used).toBe(0)
    }
    const [firstPeak] = peaks as [number]
    for (const peak of peaks) expect(peak).toBeLessThan(firstPeak * 1.2)
    // Half-full leaves at worst: under 4 KB of node per 32 keys.
    expect(firstPeak).toBeLessThan((100_000 / 32) * 4096)
  })

  it('fills nodes when keys arrive in ascending order', () => {
    const keys = new NumericKeyReader()
    const tree = new TreeIndex(keys, true, new TestBudget())
    for (let rid = 0; rid < 100_000; rid++) {
      keys.records[rid] = [rid]
      tree.insert(rid)
    }
    tree.checkInvariants()
    // Leaves hold 96 entries (3/4 full) instead of 64; internal nodes add about 1%.
    const leafBytes = 192 + 128 * 12
    expect(tree.bytesCharged).toBeLessThan((100_000 / 96) * leafBytes * 1.05)
    expect(tree.bytesCharged).toBeGreaterThan((100_000 / 96) * leafBytes)
    expect(walkForward(tree.seekFirst([99_990], true))).toEqual(
      Array.from({ length: 10 }, (_, i) => 99_990 + i),
    )
  })

  it('stays flat under steady random insert/delete churn', () => {
    const keys = new NumericKeyReader()
    const budget = new TestBudget()
    const tree = new TreeIndex(keys, false, budget)
    const random = seededRandom(12)
    const live: number[] = []
    let nextRid = 0
    for (; nextRid < 50_000; nextRid++) {
      keys.records[nextRid] = [Math.floor(random() * 1e6)]
      tree.insert(nextRid)
      live.push(nextRid)
    }
    const start = tree.bytesCharged
    for (let op = 0; op < 300_000; op++) {
      if (random() < 0.5) {
        keys.records[nextRid] = [Math.floor(random() * 1e6)]
        tree.insert(nextRid)
        live.push(nextRid++)
      } else {
        const i = Math.floor(random() * live.length)
        const rid = live[i] as number
        live[i] = live[live.length - 1] as number
        live.pop()
        tree.remove(rid)
        keys.records[rid] = undefined
      }
      if (op % 50_000 === 0) {
        expect(tree.bytesCharged).toBeLessThan(start * 2 * (1 + live.length / 50_000))
      }
    }
    tree.checkInvariants()
    const perEntry = tree.bytesCharged / tree.size
    expect(perEntry).toBeLessThan((start / 50_000) * 2)
  })

  it('leaves the index exactly as it was when the budget refuses an insert', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = seededRandom(seed)
      const keys = new ArrayKeyReader([false, true])
      const budget = new TestBudget()
      const tree = new TreeIndex(keys, false, budget)
      const model = new ModelIndex(keys)
      budget.chargesLeft = 20 + Math.floor(random() * 100)
      let refusedRid = -1
      for (let rid = 0; refusedRid < 0; rid++) {
        keys.records[rid] = [Math.floor(random() * 500), String(Math.floor(random() * 50))]
        const state = [tree.size, tree.version, tree.bytesCharged, budget.used]
        try {
          tree.insert(rid)
          model.insert(rid)
        } catch (error) {
          expect((error as StoreError).code).toBe('TDB_OUT_OF_MEMORY')
          expect([tree.size, tree.version, tree.bytesCharged, budget.used]).toEqual(state)
          refusedRid = rid
        }
      }
      expect(walkForward(tree.first())).toEqual(model.rids)
      tree.checkInvariants()
      budget.chargesLeft = -1
      tree.insert(refusedRid)
      model.insert(refusedRid)
      expect(walkForward(tree.first())).toEqual(model.rids)
      tree.checkInvariants()
    }
  })
})

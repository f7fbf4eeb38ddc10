/*
 * Checks the hash index (HashTable, DESIGN.md "Store and transactions"): exact lookups of
 * full keys (findFirst, findAll, all) against a model on seeded workloads, unique-key refusal
 * without change, a clear error for a partial key, budget refusal during a grow without change,
 * and that memory returns to the declared size after churn. The invariant checker audits the
 * table (reachability, cached hashes, counts, charged bytes) after each phase.
 */
import { describe, expect, it } from 'vitest'
import { StoreError } from '../../../src/errors.js'
import { HashTable } from '../../../src/store/index-hash.js'
import { ArrayKeyReader, ModelIndex, TestBudget, seededRandom } from './index-fixtures.js'

function sortedAll(table: HashTable): number[] {
  return [...table.all()].sort((a, b) => a - b)
}

describe('HashTable (DESIGN.md "Store and transactions")', () => {
  it('finds every rid of a key in a non-unique compound index', () => {
    const keys = new ArrayKeyReader([false, false])
    const table = new HashTable(keys, false, 10, new TestBudget())
    const model = new ModelIndex(keys)
    const random = seededRandom(3)
    for (let rid = 0; rid < 20_000; rid++) {
      keys.records[rid] = [Math.floor(random() * 300), random() < 0.5 ? 'x' : 'y']
      table.insert(rid)
      model.insert(rid)
    }
    table.checkInvariants()
    for (let a = -1; a <= 300; a++) {
      for (const b of ['x', 'y', 'z']) {
        const expected = model.findAll([a, b]).sort((p, q) => p - q)
        expect(table.findAll([a, b]).sort((p, q) => p - q)).toEqual(expected)
        const first = table.findFirst([a, b])
        if (expected.length === 0) expect(first).toBe(-1)
        else expect(expected).toContain(first)
      }
    }
    expect(sortedAll(table)).toEqual(Array.from({ length: 20_000 }, (_, i) => i))
  })

  it('refuses a duplicate unique key and a partial key with typed errors', () => {
    const keys = new ArrayKeyReader([false, false])
    const budget = new TestBudget()
    const table = new HashTable(keys, true, 0, budget)
    for (let rid = 0; rid < 1000; rid++) {
      keys.records[rid] = [rid, 'k']
      table.insert(rid)
    }
    keys.records[1000] = [500, 'k']
    const used = budget.used
    expect(() => table.insert(1000)).toThrow(expect.objectContaining({
      code: 'TDB_DUPLICATE_KEY',
    }) as unknown as Error)
    expect([table.size, budget.used, table.findFirst([500, 'k'])]).toEqual([1000, used, 500])
    expect(() => table.findFirst([500])).toThrow(StoreError)
    expect(() => table.findAll([500, 'k', 1])).toThrow(
      expect.objectContaining({ code: 'TDB_INVALID_ARGUMENT' }) as unknown as Error,
    )
    table.checkInvariants()
  })

  it('leaves the table as it was when the budget refuses a grow', () => {
    const keys = new ArrayKeyReader([false])
    for (const seed of [1, 2, 3]) {
      const random = seededRandom(seed)
      const budget = new TestBudget()
      const table = new HashTable(keys, false, 4, budget)
      budget.chargesLeft = 1 + Math.floor(random() * 8)
      let refused = false
      let rid = 0
      for (; !refused; rid++) {
        keys.records[rid] = [Math.floor(random() * 50)]
        const state = [table.size, table.capacity, table.bytesCharged, budget.used]
        try {
          table.insert(rid)
        } catch (error) {
          expect((error as StoreError).code).toBe('TDB_OUT_OF_MEMORY')
          expect([table.size, table.capacity, table.bytesCharged, budget.used]).toEqual(state)
          refused = true
        }
      }
      const expected = Array.from({ length: rid - 1 }, (_, i) => i)
      expect(sortedAll(table)).toEqual(expected)
      table.checkInvariants()
    }
  })

  it('returns to its declared size after 100k inserts then deletes, round after round', () => {
    const keys = new ArrayKeyReader([false])
    const budget = new TestBudget()
    const table = new HashTable(keys, true, 1000, budget)
    const declared = table.bytesCharged
    const random = seededRandom(5)
    for (let round = 0; round < 4; round++) {
      for (let rid = 0; rid < 100_000; rid++) {
        keys.records[rid] = [rid * 7 + round]
        table.insert(rid)
      }
      expect(table.bytesCharged).toBeLessThanOrEqual(262_144 * 8 + 256)
      const order = Array.from({ length: 100_000 }, (_, i) => i).sort(() => random() - 0.5)
      for (const rid of order) table.remove(rid)
      table.checkInvariants()
      expect(table.bytesCharged).toBe(declared)
      expect(budget.used).toBe(declared)
    }
  })

  it('stays flat under steady random churn, tombstones included', () => {
    const keys = new ArrayKeyReader([false])
    const budget = new TestBudget()
    const table = new HashTable(keys, false, 0, budget)
    const random = seededRandom(6)
    const live: number[] = []
    let nextRid = 0
    for (; nextRid < 10_000; nextRid++) {
      keys.records[nextRid] = [Math.floor(random() * 3000)]
      table.insert(nextRid)
      live.push(nextRid)
    }
    const start = table.bytesCharged
    for (let op = 0; op < 400_000; op++) {
      if (random() < 0.5) {
        keys.records[nextRid] = [Math.floor(random() * 3000)]
        table.insert(nextRid)
        live.push(nextRid++)
      } else if (live.length > 0) {
        const i = Math.floor(random() * live.length)
        const rid = live[i] as number
        live[i] = live[live.length - 1] as number
        live.pop()
        table.remove(rid)
      }
      expect(table.bytesCharged).toBeLessThanOrEqual(start * 4)
    }
    table.checkInvariants()
    expect(sortedAll(table)).toEqual([...live].sort((a, b) => a - b))
  })
})

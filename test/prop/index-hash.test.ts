/*
 * Property test of the hash index (HashTable, DESIGN.md "Store and transactions"): random
 * sequences of thousands of inserts, removes, findFirst/findAll and full scans run against a
 * model (a plain list of rids), for compound and one-part keys, unique and non-unique, with a
 * weak key hash (many collisions) and a budget that refuses grows at random points. Removed rids
 * lose their record (reading one throws) and are reused.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { StoreError } from '../../src/errors.js'
import { HashTable } from '../../src/store/index-hash.js'
import { ArrayKeyReader, ModelIndex, TestBudget } from '../unit/store/index-fixtures.js'

type Op =
  | { kind: 'insert'; a: number; b: number }
  | { kind: 'remove'; pick: number }
  | { kind: 'find'; a: number; b: number }
  | { kind: 'scan' }
  | { kind: 'squeeze'; charges: number }

function opArbitrary(insertWeight: number, removeWeight: number): fc.Arbitrary<Op> {
  const a = fc.integer({ min: 0, max: 80 })
  const b = fc.integer({ min: 0, max: 3 })
  return fc.oneof(
    { weight: insertWeight, arbitrary: fc.record({ kind: fc.constant('insert' as const), a, b }) },
    { weight: removeWeight, arbitrary: fc.record({ kind: fc.constant('remove' as const),
      pick: fc.nat() }) },
    { weight: 30, arbitrary: fc.record({ kind: fc.constant('find' as const), a, b }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('scan' as const) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('squeeze' as const),
      charges: fc.integer({ min: 0, max: 2 }) }) },
  )
}

const workload = fc
  .tuple(
    fc.array(opArbitrary(120, 20), { minLength: 1500, maxLength: 3000 }),
    fc.array(opArbitrary(20, 100), { minLength: 1500, maxLength: 3000 }),
  )
  .map(([grow, shrink]) => [...grow, ...shrink])

/** Keys whose hash only sees the first part modulo 8, so probe chains collide often. */
class WeakHashKeys extends ArrayKeyReader {
  override hashRecord(rid: number): number {
    return (this.key(rid)[0] as number) % 8
  }

  override hashKey(key: readonly unknown[]): number {
    return (key[0] as number) % 8
  }
}

interface Config {
  name: string
  unique: boolean
  makeKeys: () => ArrayKeyReader
  keyOf: (a: number, b: number) => (number | string)[]
}

const CONFIGS: Config[] = [
  { name: 'compound, non-unique', unique: false,
    makeKeys: () => new ArrayKeyReader([false, true]), keyOf: (a, b) => [a, `s${b}`] },
  { name: 'compound, unique', unique: true,
    makeKeys: () => new ArrayKeyReader([false, true]), keyOf: (a, b) => [a, `s${b}`] },
  { name: 'weak hash, non-unique', unique: false,
    makeKeys: () => new WeakHashKeys([false]), keyOf: (a) => [a] },
  { name: 'weak hash, unique', unique: true,
    makeKeys: () => new WeakHashKeys([false]), keyOf: (a, b) => [a * 4 + b] },
]

class Harness {
  readonly keys: ArrayKeyReader
  readonly budget = new TestBudget()
  readonly table: HashTable
  readonly model: ModelIndex
  readonly #free: number[] = []
  #nextRid = 0

  constructor(readonly config: Config) {
    this.keys = config.makeKeys()
    this.table = new HashTable(this.keys, config.unique, 8, this.budget)
    this.model = new ModelIndex(this.keys)
  }

  insert(a: number, b: number): void {
    const reuse = this.#free.length > 0 && a % 2 === 0
    const rid = reuse ? (this.#free.pop() as number) : this.#nextRid++
    this.keys.records[rid] = this.config.keyOf(a, b)
    const duplicate = this.config.unique && this.model.hasKeyOf(rid)
    const before = [this.table.size, this.table.capacity, this.budget.used]
    try {
      this.table.insert(rid)
    } catch (error) {
      const code = (error as StoreError).code
      expect(code).toBe(duplicate ? 'TDB_DUPLICATE_KEY' : 'TDB_OUT_OF_MEMORY')
      expect([this.table.size, this.table.capacity, this.budget.used]).toEqual(before)
      this.checkScan()
      this.keys.records[rid] = undefined
      this.#free.push(rid)
      this.budget.chargesLeft = -1
      return
    }
    expect(duplicate).toBe(false)
    this.model.insert(rid)
  }

  remove(pick: number): void {
    if (this.model.rids.length === 0) return
    const rid = this.model.rids[pick % this.model.rids.length] as number
    this.table.remove(rid)
    this.model.remove(rid)
    this.keys.records[rid] = undefined
    this.#free.push(rid)
  }

  find(a: number, b: number): void {
    const key = this.config.keyOf(a, b)
    const expected = this.model.findAll(key).sort((p, q) => p - q)
    expect(this.table.findAll(key).sort((p, q) => p - q)).toEqual(expected)
    const first = this.table.findFirst(key)
    if (expected.length === 0) expect(first).toBe(-1)
    else expect(expected).toContain(first)
  }

  checkScan(): void {
    const sorted = (rids: Iterable<number>): number[] => [...rids].sort((p, q) => p - q)
    expect(sorted(this.table.all())).toEqual(sorted(this.model.rids))
  }

  run(op: Op): void {
    if (op.kind === 'insert') this.insert(op.a, op.b)
    else if (op.kind === 'remove') this.remove(op.pick)
    else if (op.kind === 'find') this.find(op.a, op.b)
    else if (op.kind === 'scan') this.checkScan()
    else this.budget.chargesLeft = op.charges
    expect(this.table.size).toBe(this.model.rids.length)
  }
}

describe('HashTable matches a model (DESIGN.md "Store and transactions")', () => {
  for (const config of CONFIGS) {
    it(config.name, () => {
      fc.assert(
        fc.property(workload, (ops) => {
          const harness = new Harness(config)
          ops.forEach((op, i) => {
            harness.run(op)
            if (i % 500 === 0) harness.table.checkInvariants()
          })
          harness.table.checkInvariants()
          harness.checkScan()
          expect(harness.budget.used).toBe(harness.table.bytesCharged)
        }),
        { numRuns: 6, seed: 20261121 + config.name.length, endOnFailure: true },
      )
    })
  }
})

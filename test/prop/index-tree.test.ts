/*
 * Property test of the ordered index (TreeIndex, DESIGN.md "Store and transactions"): random
 * sequences of thousands of inserts, removes, point lookups (full and prefix keys), seeks and
 * cursor walks in both directions run against a sorted-array model, for compound keys (one part
 * descending), one-part keys with and without the numeric cache, unique and non-unique. A budget
 * that starts refusing at random points must leave the index exactly as before. Removed rids
 * lose their record (reading one throws) and are reused, so a stale separator cannot hide.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { StoreError } from '../../src/errors.js'
import type { IndexPosition, SearchKey } from '../../src/store/index-contract.js'
import { TreeIndex } from '../../src/store/index-tree.js'
import {
  ArrayKeyReader,
  ModelIndex,
  NumericKeyReader,
  TestBudget,
} from '../unit/store/index-fixtures.js'

type Op =
  | { kind: 'insert'; a: number; b: number }
  | { kind: 'remove'; pick: number }
  | { kind: 'find'; a: number; b: number; parts: number }
  | { kind: 'seek'; a: number; b: number; parts: number; last: boolean; inclusive: boolean;
      moves: boolean[] }
  | { kind: 'squeeze'; charges: number }

const LETTERS = 'abcdef'

function opArbitrary(insertWeight: number, removeWeight: number): fc.Arbitrary<Op> {
  const a = fc.integer({ min: -1, max: 60 })
  const b = fc.integer({ min: 0, max: 6 })
  const parts = fc.integer({ min: 0, max: 2 })
  return fc.oneof(
    { weight: insertWeight, arbitrary: fc.record({ kind: fc.constant('insert' as const), a, b }) },
    { weight: removeWeight, arbitrary: fc.record({ kind: fc.constant('remove' as const),
      pick: fc.nat() }) },
    { weight: 20, arbitrary: fc.record({ kind: fc.constant('find' as const), a, b, parts }) },
    { weight: 20, arbitrary: fc.record({ kind: fc.constant('seek' as const), a, b, parts,
      last: fc.boolean(), inclusive: fc.boolean(), moves: fc.array(fc.boolean(),
        { maxLength: 12 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('squeeze' as const),
      charges: fc.integer({ min: 0, max: 3 }) }) },
  )
}

const workload = fc
  .tuple(
    fc.array(opArbitrary(120, 20), { minLength: 1500, maxLength: 3000 }),
    fc.array(opArbitrary(20, 100), { minLength: 1500, maxLength: 3000 }),
  )
  .map(([grow, shrink]) => [...grow, ...shrink])

interface Config {
  name: string
  unique: boolean
  makeKeys: () => ArrayKeyReader
  keyOf: (a: number, b: number) => (number | string)[]
}

const CONFIGS: Config[] = [
  { name: 'compound asc/desc, non-unique', unique: false,
    makeKeys: () => new ArrayKeyReader([false, true]), keyOf: (a, b) => [a, LETTERS[b] ?? 'z'] },
  { name: 'compound asc/desc, unique', unique: true,
    makeKeys: () => new ArrayKeyReader([false, true]),
    keyOf: (a, b) => [a * 7 + b, LETTERS[b] ?? 'z'] },
  { name: 'numeric cache, non-unique', unique: false,
    makeKeys: () => new NumericKeyReader(), keyOf: (a) => [a] },
  { name: 'numeric cache, unique', unique: true,
    makeKeys: () => new NumericKeyReader(), keyOf: (a, b) => [a * 50 + b * 7] },
  { name: 'one part desc, record compare, non-unique', unique: false,
    makeKeys: () => new ArrayKeyReader([true]), keyOf: (a) => [a] },
]

class Harness {
  readonly keys: ArrayKeyReader
  readonly budget = new TestBudget()
  readonly tree: TreeIndex
  readonly model: ModelIndex
  readonly #free: number[] = []
  #nextRid = 0

  constructor(readonly config: Config) {
    this.keys = config.makeKeys()
    this.tree = new TreeIndex(this.keys, config.unique, this.budget)
    this.model = new ModelIndex(this.keys)
  }

  searchKey(a: number, b: number, parts: number): SearchKey {
    return this.config.keyOf(a, b).slice(0, Math.min(parts, this.keys.arity))
  }

  insert(a: number, b: number): void {
    const reuse = this.#free.length > 0 && a % 2 === 0
    const rid = reuse ? (this.#free.pop() as number) : this.#nextRid++
    this.keys.records[rid] = this.config.keyOf(a, b)
    const duplicate = this.config.unique && this.model.hasKeyOf(rid)
    const before = [this.tree.size, this.tree.version, this.tree.bytesCharged, this.budget.used]
    try {
      this.tree.insert(rid)
    } catch (error) {
      const code = (error as StoreError).code
      expect(code).toBe(duplicate ? 'TDB_DUPLICATE_KEY' : 'TDB_OUT_OF_MEMORY')
      expect([this.tree.size, this.tree.version, this.tree.bytesCharged, this.budget.used])
        .toEqual(before)
      this.checkWalk()
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
    const version = this.tree.version
    this.tree.remove(rid)
    expect(this.tree.version).toBe(version + 1)
    this.model.remove(rid)
    this.keys.records[rid] = undefined
    this.#free.push(rid)
  }

  seek(key: SearchKey, last: boolean, inclusive: boolean, moves: boolean[]): void {
    const at = last ? this.tree.seekLast(key, inclusive) : this.tree.seekFirst(key, !!inclusive)
    let index = last
      ? this.model.bound(key, inclusive) - 1
      : this.model.bound(key, !inclusive)
    this.expectAt(at, index)
    for (const forward of moves) {
      if (!at.valid) return
      const moved = forward ? at.next() : at.prev()
      index += forward ? 1 : -1
      expect(moved).toBe(index >= 0 && index < this.model.rids.length)
      this.expectAt(at, index)
    }
  }

  expectAt(at: IndexPosition, index: number): void {
    const inside = index >= 0 && index < this.model.rids.length
    expect(at.valid).toBe(inside)
    if (inside) expect(at.rid).toBe(this.model.rids[index])
  }

  checkWalk(): void {
    const forward: number[] = []
    for (const at = this.tree.first(); at.valid; at.next()) forward.push(at.rid)
    expect(forward).toEqual(this.model.rids)
    const backward: number[] = []
    for (const at = this.tree.last(); at.valid; at.prev()) backward.push(at.rid)
    expect(backward.reverse()).toEqual(this.model.rids)
  }

  run(op: Op): void {
    if (op.kind === 'insert') this.insert(op.a, op.b)
    else if (op.kind === 'remove') this.remove(op.pick)
    else if (op.kind === 'squeeze') this.budget.chargesLeft = op.charges
    else if (op.kind === 'find') {
      const key = this.searchKey(op.a, op.b, op.parts)
      expect(this.tree.findFirst(key)).toBe(this.model.findFirst(key))
    } else this.seek(this.searchKey(op.a, op.b, op.parts), op.last, op.inclusive, op.moves)
    expect(this.tree.size).toBe(this.model.rids.length)
  }
}

describe('TreeIndex matches a sorted-array model (DESIGN.md "Store and transactions")', () => {
  for (const config of CONFIGS) {
    it(config.name, () => {
      fc.assert(
        fc.property(workload, (ops) => {
          const harness = new Harness(config)
          ops.forEach((op, i) => {
            harness.run(op)
            if (i % 500 === 0) harness.tree.checkInvariants()
          })
          harness.tree.checkInvariants()
          harness.checkWalk()
          expect(harness.budget.used).toBe(harness.tree.bytesCharged)
        }),
        { numRuns: 6, seed: 20261121 + config.name.length, endOnFailure: true },
      )
    })
  }
})

/**
 * Model test of the engine (DESIGN.md "Store and transactions"): fast-check generates
 * thousands of random transactions (inserts, updates, deletes, duplicate-key attempts caught
 * inside the transaction, whole-transaction aborts) over two classes with unique and non-unique
 * trees (compound keys, a descending part, nullable and string parts), hash and list indexes, run
 * against a plain Map model. After every transaction every index is checked against the model:
 * full cursor walks both ways, find and findAll of every key, search with every operator and
 * ranges with bounds, reverse and limit. Fixed seeds make failures replayable.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { ReadTransaction, WriteTransaction } from '../../src/txn/api.js'
import { Engine } from '../../src/txn/engine.js'
import type { IndexDef } from '../../src/schema/dictionary.js'
import {
  classDef,
  dictionary,
  field,
  hash,
  list,
  tree,
  types,
} from '../unit/txn/dictionary-fixtures.js'

type Values = Record<string, unknown>

interface ModelIndex {
  readonly name: string
  /** A hash index (exact match only); trees otherwise. */
  readonly hash?: boolean
  readonly unique: boolean
  /** Key parts: field name and direction. */
  readonly parts: readonly { readonly field: string; readonly desc: boolean }[]
}

interface ModelClass {
  readonly name: string
  readonly indexes: readonly ModelIndex[]
  readonly random: (pick: (n: number) => number) => Values
  readonly patch: (pick: (n: number) => number) => Values
}

const WORDS = ['', 'a', 'ab', 'b', 'é', 'zz', 'a\u0000', '🎉']

const classes: readonly ModelClass[] = [
  {
    name: 'A',
    indexes: [
      { name: 'uniqueA', unique: true, parts: [{ field: 'a', desc: false }] },
      {
        name: 'byB',
        unique: false,
        parts: [{ field: 'b', desc: false }, { field: 'a', desc: true }],
      },
      { name: 'byD', unique: false, parts: [{ field: 'd', desc: false }] },
      { name: 'byC', unique: false, parts: [{ field: 'c', desc: true }] },
      { name: 'hashA', hash: true, unique: true, parts: [{ field: 'a', desc: false }] },
      { name: 'hashB', hash: true, unique: false, parts: [{ field: 'b', desc: false }] },
    ],
    random: (pick) => (
      {
        a: pick(40) - 5,
        b: WORDS[pick(WORDS.length)],
        c: pick(7) / 2,
        d: pick(3) === 0 ? null : pick(5),
      }
    ),
    patch: (pick) => [
      { a: pick(40) - 5 },
      { b: WORDS[pick(WORDS.length)] },
      { c: pick(7) / 2, d: null },
      { d: pick(5) },
    ][pick(4)] as Values,
  },
  {
    name: 'B',
    indexes: [
      {
        name: 'byKN',
        unique: true,
        parts: [{ field: 'k', desc: false }, { field: 'n', desc: false }],
      },
      { name: 'byN', unique: false, parts: [{ field: 'n', desc: true }] },
      {
        name: 'hashKN',
        hash: true,
        unique: true,
        parts: [{ field: 'k', desc: false }, { field: 'n', desc: false }],
      },
    ],
    random: (pick) => (
      { k: ['x', 'y', 'zz', 'é'][pick(4)], n: BigInt(pick(6)) - 2n, pad: 'p'.repeat(pick(40)) }
    ),
    patch: (pick) => (pick(2) === 0 ? { n: BigInt(pick(6)) - 2n } : { pad: 'q'.repeat(pick(40)) }),
  },
]

function indexDefs(model: ModelClass): IndexDef[] {
  return [
    ...model.indexes.map((index) =>
      index.hash === true
        ? hash(index.name, index.parts.map((part) => part.field), index.unique)
        : tree(
        index.name,
        index.parts.map((part) => part.field),
        index.unique,
        index.parts.map((part) => part.desc),
      )
    ),
    list('all'),
  ]
}

const dict = dictionary([
  classDef(
    1,
    'A',
    [
      field('a', types.i4),
      field('b', types.string),
      field('c', types.double),
      field('d', types.u2, { nullable: true }),
    ],
    indexDefs(classes[0]!),
  ),
  classDef(
    2,
    'B',
    [field('k', types.char(4)), field('n', types.i8), field('pad', types.string)],
    indexDefs(classes[1]!),
  ),
])

function compareValues(x: unknown, y: unknown): number {
  if (x === null || y === null) return x === y ? 0 : x === null ? -1 : 1
  if (typeof x === 'string') return Buffer.compare(Buffer.from(x), Buffer.from(y as string))
  return (x as number) < (y as number) ? -1 : (x as number) > (y as number) ? 1 : 0
}

/** Compares the first `parts` parts of two keys in index order. */
function compareKeys(
  index: ModelIndex,
  x: readonly unknown[],
  y: readonly unknown[],
  parts = index.parts.length,
): number {
  for (let i = 0; i < parts; i++) {
    const order = compareValues(x[i], y[i]) * (index.parts[i]!.desc ? -1 : 1)
    if (order !== 0) return order
  }
  return 0
}

function keyOf(index: ModelIndex, values: Values): unknown[] {
  return index.parts.map((part) => values[part.field])
}

type Model = Map<number, { cls: ModelClass; values: Values }>

function objectsOf(model: Model, cls: ModelClass): [number, Values][] {
  return [...model].filter(([, entry]) => entry.cls === cls).map(
    ([oid, entry]) => [oid, entry.values]
  )
}

function violatesUnique(model: Model, cls: ModelClass, oid: number, values: Values): boolean {
  return cls.indexes.some(
    (index) =>
      index.unique &&
      objectsOf(model, cls).some(
        ([other, otherValues]) => other !== oid && compareKeys(
          index,
          keyOf(index, values),
          keyOf(index, otherValues),
        ) === 0
      ),
  )
}

function complete(cls: ModelClass, values: Values): Values {
  return cls.name === 'A' ? { a: 0, b: '', c: 0, d: null, ...values } : {
    k: '',
    n: 0n,
    pad: '',
    ...values,
  }
}

function walk(tx: ReadTransaction, cls: ModelClass, index: string, reverse: boolean): [
  number,
  Values,
][] {
  const cursor = tx.cursor(cls.name, index)
  const seen: [number, Values][] = []
  const step = (): boolean => (reverse ? cursor.prev() : cursor.next())
  for (let on = reverse ? cursor.last() : cursor.first(); on; on = step()) {
    seen.push([cursor.oid, cursor.value()])
  }
  return seen
}

function byOid(entries: [number, Values][]): [number, Values][] {
  return [...entries].sort((x, y) => x[0] - y[0])
}

function checkIndexes(engine: Engine, model: Model, probes: readonly number[]): void {
  engine.read((tx) => {
    for (const cls of classes) {
      const expected = byOid(objectsOf(model, cls))
      expect(tx.count(cls.name)).toBe(expected.length)
      expect(byOid(walk(tx, cls, 'all', false))).toEqual(expected)
      for (const index of cls.indexes) {
        if (index.hash === true) checkHash(tx, cls, index, expected)
        else checkTree(tx, cls, index, expected, probes)
      }
    }
  })
}

function checkTree(
  tx: ReadTransaction,
  cls: ModelClass,
  index: ModelIndex,
  expected: [number, Values][],
  probes: readonly number[],
): void {
  const forward = walk(tx, cls, index.name, false)
  expect(byOid(forward)).toEqual(expected)
  expect(walk(tx, cls, index.name, true)).toEqual([...forward].reverse())
  for (let i = 1; i < forward.length; i++) {
    expect(
      compareKeys(index, keyOf(index, forward[i - 1]![1]), keyOf(index, forward[i]![1]))
    ).toBeLessThanOrEqual(0)
  }
  const sortedKeys = forward.map(([, values]) => keyOf(index, values))
  for (const [oid, values] of expected) {
    const key = keyOf(index, values)
    const lookup = index.parts.length === 1 ? key[0] : key
    const matching = expected.filter(
      ([, other]) => compareKeys(index, keyOf(index, other), key) === 0
    ).map(([o]) => o)
    expect(matching).toContain(oid)
    expect(matching).toContain(tx.findOid(cls.name, index.name, lookup))
    expect(tx.findAll(cls.name, index.name, lookup)).toHaveLength(matching.length)
  }
  // Probe keys: existing keys and their neighbours, with every operator and as range bounds.
  for (const probe of probes) {
    if (sortedKeys.length === 0) break
    const key = sortedKeys[probe % sortedKeys.length]!
    const lookup = index.parts.length === 1 ? key[0] : key
    for (const op of ['lt', 'le', 'eq', 'ge', 'gt'] as const) {
      const cursor = tx.search(cls.name, index.name, op, lookup)
      const want = expectedSearch(index, sortedKeys, key, op)
      expect(cursor.valid ? keyOf(index, cursor.value()) : null).toEqual(want)
    }
    const limit = 1 + (probe % 5)
    const reverse = probe % 2 === 0
    const got = [...tx.range(cls.name, index.name, { ge: lookup, reverse, limit })].map(
      (values) => keyOf(index, values)
    )
    const inRange = sortedKeys.filter((other) => compareKeys(index, other, key) >= 0)
    expect(got).toEqual((reverse ? [...inRange].reverse() : inRange).slice(0, limit))
    const below = [...tx.range(cls.name, index.name, { lt: lookup })].map(
      (values) => keyOf(index, values)
    )
    expect(below).toEqual(sortedKeys.filter((other) => compareKeys(index, other, key) < 0))
  }
}

function checkHash(
  tx: ReadTransaction,
  cls: ModelClass,
  index: ModelIndex,
  expected: [number, Values][],
): void {
  const forward = walk(tx, cls, index.name, false)
  expect(byOid(forward)).toEqual(expected)
  expect(walk(tx, cls, index.name, true)).toEqual([...forward].reverse())
  for (const [oid, values] of expected) {
    const key = keyOf(index, values)
    const lookup = index.parts.length === 1 ? key[0] : key
    const matching = expected
      .filter(([, other]) => compareKeys(index, keyOf(index, other), key) === 0)
      .map(([, other]) => other)
    expect(tx.findAll(cls.name, index.name, lookup)).toHaveLength(matching.length)
    expect(matching).toContainEqual(tx.find(cls.name, index.name, lookup))
    if (index.unique) expect(tx.findOid(cls.name, index.name, lookup)).toBe(oid)
  }
}

function expectedSearch(
  index: ModelIndex,
  sortedKeys: unknown[][],
  key: unknown[],
  op: string,
): unknown[] | null {
  const order = (other: unknown[]): number => compareKeys(index, other, key)
  const found =
    op === 'lt' ? sortedKeys.filter((other) => order(other) < 0).pop()
      : op === 'le' ? sortedKeys.filter((other) => order(other) <= 0).pop()
        : op === 'eq' ? sortedKeys.find((other) => order(other) === 0)
          : op === 'ge' ? sortedKeys.find((other) => order(other) >= 0)
            : sortedKeys.find((other) => order(other) > 0)
  return found ?? null
}

type Step = { kind: number; cls: number; pick: number; seed: number }
type Txn = { steps: Step[]; abort: boolean }

const stepArb: fc.Arbitrary<Step> = fc.record(
  { kind: fc.nat(9), cls: fc.nat(1), pick: fc.nat(), seed: fc.nat() }
)
const txnArb: fc.Arbitrary<Txn> = fc.record(
  { steps: fc.array(stepArb, { minLength: 1, maxLength: 6 }), abort: fc.boolean() }
)

function picker(seed: number): (n: number) => number {
  let state = seed
  return (n) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0
    return (state >>> 8) % n
  }
}

/** Runs one step on the engine and the working model; duplicate keys are caught in the txn. */
function runStep(tx: WriteTransaction, work: Model, step: Step): void {
  const cls = classes[step.cls]!
  const pick = picker(step.seed)
  const existing = objectsOf(work, cls)
  if (step.kind < 4 || existing.length === 0) {
    const values = complete(cls, cls.random(pick))
    if (violatesUnique(work, cls, -1, values)) {
      expect(() => tx.insert(cls.name, values)).toThrow(
        expect.objectContaining({ code: 'TDB_DUPLICATE_KEY' })
      )
      return
    }
    work.set(tx.insert(cls.name, values), { cls, values })
    return
  }
  const [oid, values] = existing[step.pick % existing.length]!
  if (step.kind < 7) {
    const patch = cls.patch(pick)
    const next = { ...values, ...patch }
    if (violatesUnique(work, cls, oid, next)) {
      expect(() => tx.update(cls.name, oid, patch)).toThrow(
        expect.objectContaining({ code: 'TDB_DUPLICATE_KEY' })
      )
      return
    }
    tx.update(cls.name, oid, patch)
    work.set(oid, { cls, values: next })
    return
  }
  tx.delete(cls.name, oid)
  work.delete(oid)
}

function runTransactions(transactions: Txn[], probes: number[]): void {
  const engine = new Engine({ dictionary: dict })
  let model: Model = new Map()
  for (const txn of transactions) {
    const work: Model = new Map(model)
    const hashBefore = engine.contentHash()
    const usedBefore = engine.memory.usedBytes
    try {
      engine.write((tx) => {
        for (const step of txn.steps) runStep(tx, work, step)
        if (txn.abort) throw new Error('abort')
      })
      model = work
    } catch (error) {
      if ((error as Error).message !== 'abort') throw error
      expect(engine.contentHash()).toBe(hashBefore)
      expect(engine.memory.usedBytes).toBe(usedBefore)
    }
    engine.checkInvariants()
    checkIndexes(engine, model, probes)
  }
}

describe('engine against a Map model (DESIGN.md: Store and transactions)', () => {
  for (const seed of [11, 22]) {
    it(`keeps data and every index equal to the model (seed ${seed})`, () => {
      fc.assert(
        fc.property(
          fc.array(txnArb, { minLength: 1, maxLength: 12 }),
          fc.array(fc.nat(1000), { minLength: 2, maxLength: 3 }),
          runTransactions,
        ),
        { seed, numRuns: 400 },
      )
    })
  }
})

/*
 * A micro-benchmark of the indexes (DESIGN.md "Benchmarks", "Store and transactions"): 1M
 * distinct uint32 keys inserted in random order, then 1M random point lookups, through the
 * tree with and without the numeric key cache and through the hash table, next to
 * better-sqlite3 in memory doing the same with an indexed column. It prints the figures and
 * asserts only that every lookup found its record (timings are never asserted). The default
 * suite runs it small; INDEX_BENCH_N=1000000 gives the figures quoted in bench/RESULTS.md.
 */
import { performance } from 'node:perf_hooks'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import type { KeyReader, SearchKey } from '../../../src/store/index-contract.js'
import { HashTable } from '../../../src/store/index-hash.js'
import { TreeIndex } from '../../../src/store/index-tree.js'
import { TestBudget } from './index-fixtures.js'

const N = Number(process.env['INDEX_BENCH_N'] ?? 50_000)

/** Keys read from a Uint32Array by rid: the shape of a compiled one-field key reader. */
class Uint32Keys implements KeyReader {
  readonly arity = 1
  constructor(readonly values: Uint32Array) {}
  compareRecords(ridA: number, ridB: number): number {
    return (this.values[ridA] as number) - (this.values[ridB] as number)
  }
  compareKeyToRecord(key: SearchKey, rid: number): number {
    if (key.length === 0) return 0
    return (key[0] as number) - (this.values[rid] as number)
  }
  hashRecord(rid: number): number {
    return (this.values[rid] as number) | 0
  }
  hashKey(key: SearchKey): number {
    return (key[0] as number) | 0
  }
}

class NumericUint32Keys extends Uint32Keys {
  numericKey(rid: number): number {
    return this.values[rid] as number
  }
  numericSearchKey(key: SearchKey): number {
    return key[0] as number
  }
}

interface Figures {
  name: string
  insertsPerSecond: number
  lookupsPerSecond: number
}

function rate(count: number, start: number): number {
  return Math.round(count / ((performance.now() - start) / 1000))
}

function makeValues(): { values: Uint32Array; probes: Uint32Array } {
  const values = new Uint32Array(N)
  for (let i = 0; i < N; i++) values[i] = Math.imul(i + 1, 0x9e3779b1) >>> 0
  const probes = new Uint32Array(N)
  let state = 12345
  for (let i = 0; i < N; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0
    probes[i] = state % N
  }
  return { values, probes }
}

type AnyIndex = { insert(rid: number): void; findFirst(key: SearchKey): number }

function measureIndex(name: string, index: AnyIndex, values: Uint32Array, probes: Uint32Array) {
  let start = performance.now()
  for (let rid = 0; rid < N; rid++) index.insert(rid)
  const insertsPerSecond = rate(N, start)
  const key = [0]
  let misses = 0
  start = performance.now()
  for (let i = 0; i < N; i++) {
    const rid = probes[i] as number
    key[0] = values[rid] as number
    if (index.findFirst(key) !== rid) misses++
  }
  const lookupsPerSecond = rate(N, start)
  expect(misses).toBe(0)
  return { name, insertsPerSecond, lookupsPerSecond }
}

function measureSqlite(values: Uint32Array, probes: Uint32Array): Figures {
  const db = new Database(':memory:')
  try {
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER NOT NULL)')
    db.exec('CREATE UNIQUE INDEX t_k ON t (k)')
    const insert = db.prepare('INSERT INTO t (id, k) VALUES (?, ?)')
    let start = performance.now()
    db.transaction(() => {
      for (let rid = 0; rid < N; rid++) insert.run(rid, values[rid])
    })()
    const insertsPerSecond = rate(N, start)
    const select = db.prepare('SELECT id FROM t WHERE k = ?').pluck()
    let misses = 0
    start = performance.now()
    for (let i = 0; i < N; i++) {
      const rid = probes[i] as number
      if (select.get(values[rid]) !== rid) misses++
    }
    const lookupsPerSecond = rate(N, start)
    expect(misses).toBe(0)
    return { name: 'better-sqlite3 :memory: (unique index)', insertsPerSecond, lookupsPerSecond }
  } finally {
    db.close()
  }
}

describe('index micro-benchmark, 1M uint32 keys (DESIGN.md "Benchmarks")', () => {
  it('prints inserts/s and lookups/s next to better-sqlite3', () => {
    const { values, probes } = makeValues()
    const rows: Figures[] = [
      measureIndex('TreeIndex, numeric key cache', new TreeIndex(new NumericUint32Keys(values),
        true, new TestBudget()), values, probes),
      measureIndex('TreeIndex, record compare', new TreeIndex(new Uint32Keys(values), true,
        new TestBudget()), values, probes),
      measureIndex('HashTable', new HashTable(new Uint32Keys(values), true, 0,
        new TestBudget()), values, probes),
      measureSqlite(values, probes),
    ]
    const lines = rows.map((row) =>
      `| ${row.name} | ${row.insertsPerSecond.toLocaleString('en')} | ` +
      `${row.lookupsPerSecond.toLocaleString('en')} |`)
    console.log(['| index | inserts/s | lookups/s |', '|---|---|---|', ...lines].join('\n'))
    expect(rows.every((row) => row.insertsPerSecond > 0 && row.lookupsPerSecond > 0)).toBe(true)
  })
})

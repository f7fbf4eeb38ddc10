/**
 * Smoke test of the benchmark suite (STYLE.md 5.7; DESIGN.md "Benchmarks"): every case of every
 * suite runs with its small parameters, one warm-up and one measured run, so that none rots.
 * A case whose checksum does not match the dataset, or that throws, is a FAILED row, and fails
 * this test. A case may only be skipped because a tandemdb module is not built or
 * redis-server is not installed. Timings are never asserted. The report helpers are checked
 * on fixed figures. It runs the built bench (dist/, which `npm test` builds first), as
 * `npm run bench` does: the async master's sender worker thread loads built code only.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { BenchSuite, CaseResult, HarnessOptions } from '../../../bench/harness.js'

/** A module of the built bench, typed as its source. */
async function built<T>(file: string): Promise<T> {
  return (await import(new URL(`../../../dist/bench/${file}`, import.meta.url).href)) as T
}

const { commitSuite, expectedValueSum } =
  await built<typeof import('../../../bench/commit.bench.js')>('commit.bench.js')
const { coreSuite } = await built<typeof import('../../../bench/core.bench.js')>('core.bench.js')
const { memorySection } = await built<typeof import('../../../bench/core-run.js')>('core-run.js')
const { foldKey, rangeChecksum, shuffledKeys } =
  await built<typeof import('../../../bench/dataset.js')>('dataset.js')
const { runSuite } = await built<typeof import('../../../bench/harness.js')>('harness.js')
const { MEMORY_SYSTEMS, measureMemory } =
  await built<typeof import('../../../bench/memory.js')>('memory.js')
const { replicationSuite } =
  await built<typeof import('../../../bench/replication.bench.js')>('replication.bench.js')
const { resultTable, targetLines, verdict, writeSection } =
  await built<typeof import('../../../bench/report.js')>('report.js')
const { decodeReply, encodeCommand } =
  await built<typeof import('../../../bench/resp-client.js')>('resp-client.js')

const SMALL: HarnessOptions = { size: 'small', runs: 1, budgetMs: 40 }
const ALLOWED_SKIP = /redis-server is not installed/

function expectRan(results: readonly CaseResult[], suite: BenchSuite<unknown>): void {
  expect(results).toHaveLength(suite.cases.length)
  for (const row of results) {
    expect(row.failed).toBeUndefined()
    if (row.skipped !== undefined) expect(row.skipped).toMatch(ALLOWED_SKIP)
    else expect(row.opsPerSec).toBeGreaterThan(0)
  }
}

describe('bench smoke (DESIGN.md "Benchmarks")', () => {
  it('runs every core case with small parameters and verified checksums', async () => {
    const results = await runSuite(coreSuite, SMALL)
    expectRan(results, coreSuite as BenchSuite<unknown>)
    expect(results.some((row) => row.system === 'Map' && row.opsPerSec !== undefined)).toBe(true)
  })

  it('runs every commit case on disk with small parameters', async () => {
    const results = await runSuite(commitSuite, SMALL)
    expectRan(results, commitSuite as BenchSuite<unknown>)
  })

  it('runs every replication case with small parameters', async () => {
    const results = await runSuite(replicationSuite, SMALL)
    expectRan(results, replicationSuite as BenchSuite<unknown>)
  })

  it('measures memory per record of every system after a verified load', async () => {
    for (const system of MEMORY_SYSTEMS) {
      const figures = await measureMemory(system, 500)
      if ('skipped' in figures) expect(figures.skipped).toMatch(ALLOWED_SKIP)
      else expect(figures.records).toBe(500)
    }
  })
})

describe('bench helpers', () => {
  it('shuffles keys into a permutation, the same for the same seed', () => {
    const keys = shuffledKeys(1_000, 7)
    expect([...keys].sort((a, b) => a - b)).toEqual([...Array(1_000).keys()])
    expect(shuffledKeys(1_000, 7)).toEqual(keys)
    expect(shuffledKeys(1_000, 8)).not.toEqual(keys)
  })

  it('folds keys in order: a scan out of order gives another checksum', () => {
    expect(rangeChecksum(0, 5, 3)).toBe(foldKey(foldKey(foldKey(0, 5), 6), 7))
    expect(rangeChecksum(0, 5, 3)).not.toBe(foldKey(foldKey(foldKey(0, 6), 5), 7))
  })

  it('sums the values the last commits left', () => {
    expect(expectedValueSum(3, 10)).toBe(0 + 1 + 2)
    expect(expectedValueSum(12, 10)).toBe(2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10 + 11)
  })

  it('says MET or MISSED by how much', () => {
    expect(verdict(3.5, 3)).toBe('MET: 3.50x')
    expect(verdict(1.5, 3)).toBe('MISSED: 1.50x, 50% short')
  })

  it('tabulates ratios against the reference row and checks targets', () => {
    const rows: CaseResult[] = [
      { workload: 'W', system: 'base', reference: true, ops: 10, opsPerSec: 100, p50Us: 1 },
      { workload: 'W', system: 'fast', reference: false, ops: 10, opsPerSec: 400 },
      { workload: 'W', system: 'gone', reference: false, skipped: 'not installed' },
    ]
    const table = resultTable(rows)
    expect(table).toContain('| W — base | 10 | 100 | 1.00 | - | reference |')
    expect(table).toContain('| W — fast | 10 | 400 | - | - | 4.00x |')
    expect(table).toContain('| W — gone | skipped: not installed |')
    const subject = { workload: 'W', system: 'fast' }
    const base = { workload: 'W', system: 'base' }
    const gone = { workload: 'W', system: 'gone' }
    expect(targetLines(rows, [{ label: 't', subject, base, minRatio: 5 }])).toEqual([
      '- t: MISSED: 4.00x, 20% short (wanted >= 5.00x)',
    ])
    expect(targetLines(rows, [{ label: 'u', subject: gone, base, minRatio: 1 }])[0]).toContain(
      'NOT MEASURED',
    )
  })

  it('compares memory per record with better-sqlite3', () => {
    const section = memorySection([
      { system: 'tandemdb', records: 10, rssBytes: 500, heapBytes: 400 },
      { system: 'better-sqlite3', records: 10, rssBytes: 1_000, heapBytes: 10 },
    ])
    expect(section).toContain('| tandemdb | 50.0 | 40.0 | - |')
    expect(section).toContain('<= better-sqlite3: MET: 2.00x')
  })

  it('replaces one suite section of the results file and keeps the others', () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'tandemdb-bench-'))
    try {
      const file = path.join(folder, 'RESULTS.md')
      writeSection(file, 'commit', 'commit one')
      writeSection(file, 'core', 'core one')
      writeSection(file, 'commit', 'commit two')
      const text = readFileSync(file, 'utf8')
      expect(text).toContain('core one')
      expect(text).toContain('commit two')
      expect(text).not.toContain('commit one')
      expect(text.indexOf('core one')).toBeLessThan(text.indexOf('commit two'))
    } finally {
      rmSync(folder, { recursive: true, force: true })
    }
  })

  it('encodes RESP commands and decodes replies, incomplete ones as undefined', () => {
    expect(encodeCommand(['SET', 'k', 1])).toBe('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n1\r\n')
    const reply = Buffer.from('*3\r\n+OK\r\n:2\r\n$-1\r\n')
    expect(decodeReply(reply, 0)).toEqual({ value: ['OK', 2, null], next: reply.length })
    expect(decodeReply(Buffer.from('$5\r\nab'), 0)).toBeUndefined()
    expect(decodeReply(Buffer.from('-ERR x\r\n'), 0)?.value).toEqual({ error: 'ERR x' })
  })
})

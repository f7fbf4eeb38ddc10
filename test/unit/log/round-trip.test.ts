// Checks that a log directory rebuilds the database exactly (DESIGN.md "Commit policies and the
// log": rebuilt on open from the last snapshot plus the valid log after it). Seeded random
// workloads are committed under every policy, the log is closed and reopened over an empty
// model engine, and content hash and sequencer must be equal; with small segment and
// checkpoint sizes the same holds across rollovers and checkpoints, and covered files go.
import fs from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import type { CommitPolicy } from '../../../src/txn/commit-hook.js'
import { TransactionLog } from '../../../src/log/transaction-log.js'
import type { LogOptions } from '../../../src/log/log-options.js'
import { commit, ModelEngine, prng, tempDir, workloadOps } from './model-engine.js'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

function freshDir(): string {
  const { dir, remove } = tempDir('log-rt')
  cleanups.push(remove)
  return dir
}

function open(dir: string, options: Partial<LogOptions> = {}) {
  const engine = new ModelEngine()
  const warnings: unknown[] = []
  const log = TransactionLog.open(engine, {
    dir,
    preallocateBytes: 4096,
    onWarning: (warning) => warnings.push(warning),
    ...options,
  })
  return { engine, log, warnings }
}

async function runWorkload(dir: string, seed: number, count: number, options: Partial<LogOptions>) {
  const { engine, log, warnings } = open(dir, options)
  const random = prng(seed)
  const policies: CommitPolicy[] = ['sync-flush', 'delayed', 'buffered', 'no-sync']
  const durable: Promise<unknown>[] = []
  for (let i = 0; i < count; i++) {
    const policy = policies[Math.floor(random() * policies.length)]!
    const seq = commit(engine, log, workloadOps(i, random), policy)
    durable.push(log.whenDurable(seq))
    if (random() < 0.1) await new Promise((resolve) => setImmediate(resolve))
  }
  await Promise.all(durable)
  await log.close()
  expect(warnings).toEqual([])
  return engine
}

describe('log round trip (DESIGN.md "Commit policies and the log")', () => {
  it('opens an empty directory as an empty database at seq 0', async () => {
    const dir = freshDir()
    const { engine, log } = open(dir)
    expect(engine.sequencer).toBe(0n)
    expect(log.status().lastSeq).toBe(0n)
    await log.close()
    const again = open(dir)
    expect(again.engine.sequencer).toBe(0n)
    await again.log.close()
  })

  for (const seed of [1, 2, 3]) {
    it(`rebuilds a random workload exactly (seed ${seed})`, async () => {
      const dir = freshDir()
      const written = await runWorkload(dir, seed, 300, {})
      const { engine, log, warnings } = open(dir)
      expect(warnings).toEqual([])
      expect(engine.sequencer).toBe(written.sequencer)
      expect(engine.contentHash()).toBe(written.contentHash())
      // The sequencer continues where it stopped.
      expect(commit(engine, log, workloadOps(9999))).toBe(written.sequencer + 1n)
      await log.close()
    })
  }

  it('rebuilds across segment rollovers and checkpoints, and drops covered files', async () => {
    const dir = freshDir()
    const options = { segmentBytes: 4096, checkpointBytes: 12_000 }
    let expected = new ModelEngine()
    for (let round = 0; round < 4; round++) {
      const { engine, log, warnings } = open(dir, options)
      expect(warnings).toEqual([])
      expect(engine.contentHash()).toBe(expected.contentHash())
      expect(engine.sequencer).toBe(expected.sequencer)
      const random = prng(100 + round)
      for (let i = 0; i < 250; i++) {
        const seq = commit(engine, log, workloadOps(i, random), i % 2 ? 'buffered' : 'sync-flush')
        if (i % 25 === 0) await log.whenDurable(seq)
      }
      await log.close()
      expected = engine
    }
    const names = fs.readdirSync(dir)
    expect(names.filter((name) => name.endsWith('.tsnap')).length).toBe(1)
    // Checkpoints dropped the segments they covered: far fewer than 1000 records' worth remain.
    expect(names.filter((name) => name.endsWith('.tlog')).length).toBeLessThan(8)
    const { engine, log } = open(dir, options)
    expect(engine.contentHash()).toBe(expected.contentHash())
    expect(engine.sequencer).toBe(1000n)
    await log.close()
  })

  it('checkpoint() forces a snapshot; reopening needs no log record before it', async () => {
    const dir = freshDir()
    const { engine, log } = open(dir)
    const random = prng(7)
    for (let i = 0; i < 50; i++) commit(engine, log, workloadOps(i, random))
    await log.checkpoint()
    expect(log.status().snapshotSeq).toBe(50n)
    for (let i = 50; i < 60; i++) commit(engine, log, workloadOps(i, random))
    await log.close()
    const names = fs.readdirSync(dir).sort()
    expect(names).toEqual([
      'log-00000000000000000051.tlog',
      'snap-00000000000000000050.tsnap',
    ])
    const again = open(dir)
    expect(again.engine.contentHash()).toBe(engine.contentHash())
    expect(again.engine.sequencer).toBe(60n)
    await again.log.close()
  })

  it('restarts from a snapshot when the sequencer jumps (a replica loaded a copy)', async () => {
    const dir = freshDir()
    const { engine, log } = open(dir)
    for (let i = 0; i < 5; i++) commit(engine, log, workloadOps(i))
    engine.loadObjects([[1, 2, 500, 500, ['loaded']]])
    engine.sequencer = 1000n
    const seq = commit(engine, log, workloadOps(6))
    expect(seq).toBe(1001n)
    await log.whenDurable(seq)
    commit(engine, log, workloadOps(7))
    await log.close()
    const again = open(dir)
    expect(again.engine.sequencer).toBe(1002n)
    expect(again.engine.contentHash()).toBe(engine.contentHash())
    await again.log.close()
  })
})

describe('log restarts (DESIGN.md "Commit policies and the log")', () => {
  it('restarts from a snapshot when the sequencer goes back (a replica rolled back)', async () => {
    const dir = freshDir()
    const { engine, log } = open(dir)
    for (let i = 0; i < 10; i++) commit(engine, log, workloadOps(i))
    await log.flush()
    // The replica drops its history and loads another one that stops at seq 5.
    engine.objects.clear()
    engine.loadObjects([[1, 1, 7, 7, ['other history']]])
    engine.sequencer = 5n
    const seq = commit(engine, log, [[1, 1, 8, 8, ['after the rollback']]])
    expect(seq).toBe(6n)
    await log.whenDurable(seq)
    await log.close()
    const names = fs.readdirSync(dir).sort()
    expect(names).toEqual(['log-00000000000000000007.tlog', 'snap-00000000000000000006.tsnap'])
    const again = open(dir)
    expect(again.engine.sequencer).toBe(6n)
    expect(again.engine.contentHash()).toBe(engine.contentHash())
    await again.log.close()
  })

  it('answers whenDurable for a seq set without a commit at once', async () => {
    const dir = freshDir()
    const { engine, log } = open(dir)
    commit(engine, log, workloadOps(1))
    engine.sequencer = 50n
    await expect(log.whenDurable(50n)).resolves.toBe('ok')
    await log.close()
  })
})

describe('crash windows of a checkpoint (DESIGN.md "Commit policies and the log")', () => {
  it('recovers whichever step a checkpoint stopped at', async () => {
    const dir = freshDir()
    const { engine, log } = open(dir)
    const random = prng(3)
    for (let i = 0; i < 40; i++) commit(engine, log, workloadOps(i, random))
    await log.flush()
    const before = fs.readdirSync(dir)
    const saved = new Map(before.map((name) => [name, fs.readFileSync(`${dir}/${name}`)]))
    await log.checkpoint()
    for (let i = 40; i < 45; i++) commit(engine, log, workloadOps(i, random))
    await log.close()
    // Stopped before deleting what the snapshot covers, with a half-written snapshot left over.
    for (const [name, bytes] of saved) fs.writeFileSync(`${dir}/${name}`, bytes)
    fs.writeFileSync(`${dir}/snap-00000000000000000044.tsnap.tmp`, 'half a snapshot')
    const again = open(dir)
    expect(again.warnings).toEqual([])
    expect(again.engine.sequencer).toBe(45n)
    expect(again.engine.contentHash()).toBe(engine.contentHash())
    await again.log.close()
    expect(fs.readdirSync(dir).sort()).toEqual([
      'log-00000000000000000041.tlog',
      'snap-00000000000000000040.tsnap',
    ])
  })

  it('uses the log when a checkpoint stopped before its snapshot was renamed', async () => {
    const dir = freshDir()
    const { engine, log } = open(dir, { segmentBytes: 4096 })
    const random = prng(4)
    for (let i = 0; i < 120; i++) commit(engine, log, workloadOps(i, random))
    await log.close()
    fs.writeFileSync(`${dir}/snap-00000000000000000120.tsnap.tmp`, 'not finished')
    const again = open(dir)
    expect(again.engine.contentHash()).toBe(engine.contentHash())
    expect(fs.readdirSync(dir).some((name) => name.endsWith('.tmp'))).toBe(false)
    await again.log.close()
  })
})

describe('full loads (DESIGN.md "Commit policies and the log"; a persistent replica)', () => {
  /** Replaces the model's content by `objects` the way a replica's full load does. */
  function fullLoad(engine: ModelEngine, log: TransactionLog, seq: bigint, during: () => void) {
    engine.objects.clear()
    log.onClear()
    engine.sequencer = 0n
    log.onSetSequencer(0n)
    engine.loadObjects([[1, 1, 900, 900, ['loaded first']]])
    during()
    engine.loadObjects([[1, 2, 901, 901, ['loaded last']]])
    engine.sequencer = seq
    log.onSetSequencer(seq)
  }

  it('keeps the previous state until the load ends, then restarts from its snapshot', async () => {
    const dir = freshDir()
    const { engine, log } = open(dir)
    for (let i = 0; i < 20; i++) commit(engine, log, workloadOps(i))
    let duringLoad: Promise<unknown> = Promise.resolve()
    fullLoad(engine, log, 500n, () => {
      // A change set forwarded during the load is applied (and heard) but cannot be logged.
      const seq = commit(engine, log, [[1, 1, 902, 902, ['forwarded']]])
      duringLoad = log.whenDurable(seq)
    })
    await expect(duringLoad).resolves.toBe('ok')
    const after = commit(engine, log, workloadOps(30))
    expect(after).toBe(501n)
    await log.whenDurable(after)
    await log.close()
    expect(fs.readdirSync(dir).sort()).toEqual([
      'log-00000000000000000501.tlog',
      'snap-00000000000000000500.tsnap',
    ])
    const again = open(dir)
    expect(again.engine.sequencer).toBe(501n)
    expect(again.engine.contentHash()).toBe(engine.contentHash())
    await again.log.close()
  })

  it('reopens the previous state when the load never ended (a crash mid-load)', async () => {
    const dir = freshDir()
    const { engine, log } = open(dir)
    for (let i = 0; i < 20; i++) commit(engine, log, workloadOps(i))
    const before = engine.contentHash()
    engine.objects.clear()
    log.onClear()
    engine.loadObjects([[1, 1, 900, 900, ['half a load']]])
    const duringLoad = log.whenDurable(commit(engine, log, [[1, 1, 901, 901, ['forwarded']]]))
    await log.flush()
    await log.checkpoint()
    await log.close()
    await expect(duringLoad).rejects.toMatchObject({ code: 'TDB_CLOSED' })
    const again = open(dir)
    expect(again.engine.sequencer).toBe(20n)
    expect(again.engine.contentHash()).toBe(before)
    await again.log.close()
  })
})

describe('a load that begins by setting the sequencer to 0', () => {
  it('detaches like a clear, so no snapshot of the old content is taken at seq 0', async () => {
    const dir = freshDir()
    const { engine, log } = open(dir)
    for (let i = 0; i < 10; i++) commit(engine, log, workloadOps(i))
    const before = engine.contentHash()
    engine.sequencer = 0n
    log.onSetSequencer(0n)
    engine.objects.clear()
    await log.close()
    expect(fs.readdirSync(dir).some((name) => name.endsWith('.tsnap'))).toBe(false)
    const again = open(dir)
    expect(again.engine.sequencer).toBe(10n)
    expect(again.engine.contentHash()).toBe(before)
    await again.log.close()
  })
})

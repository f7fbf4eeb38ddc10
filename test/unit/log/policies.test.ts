// Checks the four commit policies and flush() (DESIGN.md "Commit policies and the log"):
// sync-flush resolves after an fdatasync and groups the commits of one turn into one flush;
// delayed flushes when unflushed bytes, unflushed transactions or the age of the oldest commit
// cross their bound (each threshold on its own), and a timer enforces the age bound on a quiet
// database; buffered writes at commit and flushes only on flush()/close(); no-sync forces
// nothing. Flushes and writes are counted through a test device; time is a manual clock.
import { afterEach, describe, expect, it } from 'vitest'
import type { LogOptions } from '../../../src/log/log-options.js'
import { TransactionLog } from '../../../src/log/transaction-log.js'
import { commit, ModelEngine, tempDir, workloadOps } from './model-engine.js'
import { ManualClock, TestDevice } from './test-device.js'

const cleanups: (() => void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

function setup(options: Partial<LogOptions> = {}) {
  const { dir, remove } = tempDir('log-policy')
  cleanups.push(remove)
  const device = new TestDevice()
  const clock = new ManualClock()
  const engine = new ModelEngine()
  const log = TransactionLog.open(engine, { dir, device, clock, ...options })
  device.datasyncs = 0
  device.writes = 0
  return { dir, device, clock, engine, log }
}

const turn = () => new Promise((resolve) => setImmediate(resolve))

/** Whether the promise has settled, checked after the current microtasks ran. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false
  promise.then(
    () => (settled = true),
    () => (settled = true),
  )
  await Promise.resolve()
  await Promise.resolve()
  return settled
}

describe('sync-flush', () => {
  it('resolves only after the record is flushed', async () => {
    const { device, engine, log } = setup()
    const seq = commit(engine, log, workloadOps(1), 'sync-flush')
    const durable = log.whenDurable(seq)
    expect(await isSettled(durable)).toBe(false)
    expect(log.status().durableSeq).toBe(0n)
    await expect(durable).resolves.toBe('ok')
    expect(device.datasyncs).toBe(1)
    expect(log.status().durableSeq).toBe(seq)
    await log.close()
  })

  it('groups the commits of one turn into one flush (group commit)', async () => {
    const { device, engine, log } = setup()
    const durable = []
    for (let i = 0; i < 64; i++) durable.push(log.whenDurable(commit(engine, log, workloadOps(i))))
    await Promise.all(durable)
    expect(device.datasyncs).toBe(1)
    expect(device.writes).toBe(1)
    await log.whenDurable(commit(engine, log, workloadOps(99)))
    expect(device.datasyncs).toBe(2)
    await log.close()
  })

  it('also makes every earlier commit durable, whatever its policy', async () => {
    const { engine, log } = setup()
    commit(engine, log, workloadOps(1), 'buffered')
    commit(engine, log, workloadOps(2), 'no-sync')
    commit(engine, log, workloadOps(3), 'delayed')
    const seq = commit(engine, log, workloadOps(4), 'sync-flush')
    await log.whenDurable(seq)
    expect(log.status()).toMatchObject({ writtenSeq: 4n, durableSeq: 4n })
    await log.close()
  })
})

describe('delayed', () => {
  const quiet = { maxCommitDelayMs: 1_000_000, delayedCommitThresholdBytes: 1 << 30 }

  it('flushes when the unflushed bytes cross delayedCommitThresholdBytes', async () => {
    const { device, engine, log } = setup({ ...quiet, delayedCommitThresholdBytes: 300 })
    let seq = 0n
    while (log.status().bytesSinceCheckpoint < 300) {
      expect(device.asyncDatasyncs).toBe(0)
      seq = commit(engine, log, workloadOps(Number(seq)), 'delayed')
    }
    expect(device.asyncDatasyncs).toBe(1)
    await log.whenDurable(seq)
    expect(log.status().durableSeq).toBe(seq)
    await log.close()
  })

  it('flushes when maxDelayedTransactions commits are unflushed', async () => {
    const { device, engine, log } = setup({ ...quiet, maxDelayedTransactions: 5 })
    for (let i = 1; i <= 4; i++) commit(engine, log, workloadOps(i), 'delayed')
    await turn()
    expect(device.asyncDatasyncs).toBe(0)
    const seq = commit(engine, log, workloadOps(5), 'delayed')
    expect(device.asyncDatasyncs).toBe(1)
    await log.whenDurable(seq)
    for (let i = 6; i <= 9; i++) commit(engine, log, workloadOps(i), 'delayed')
    expect(device.asyncDatasyncs).toBe(1)
    await log.close()
  })

  it('flushes at the next commit once the oldest is maxCommitDelayMs old', async () => {
    const { device, clock, engine, log } = setup({ ...quiet, maxCommitDelayMs: 1000 })
    const first = commit(engine, log, workloadOps(1), 'delayed')
    clock.skip(600)
    commit(engine, log, workloadOps(2), 'delayed')
    clock.skip(399)
    commit(engine, log, workloadOps(3), 'delayed')
    expect(device.asyncDatasyncs).toBe(0)
    // The timer has not run (a busy event loop); the commit itself sees the age bound crossed.
    clock.skip(1)
    const last = commit(engine, log, workloadOps(4), 'delayed')
    expect(device.asyncDatasyncs).toBe(1)
    await Promise.all([log.whenDurable(first), log.whenDurable(last)])
    expect(clock.armed).toBe(0)
    await log.close()
  })

  it('a timer flushes a quiet database once the oldest is maxCommitDelayMs old', async () => {
    const { device, clock, engine, log } = setup({ ...quiet, maxCommitDelayMs: 1000 })
    const seq = commit(engine, log, workloadOps(1), 'delayed')
    const durable = log.whenDurable(seq)
    clock.advance(999)
    expect(device.asyncDatasyncs).toBe(0)
    expect(await isSettled(durable)).toBe(false)
    clock.advance(1)
    expect(device.asyncDatasyncs).toBe(1)
    await expect(durable).resolves.toBe('ok')
    expect(clock.armed).toBe(0)
    await log.close()
  })

  it('holds records while no threshold is crossed; flush() makes them durable', async () => {
    const { device, engine, log } = setup(quiet)
    const seq = commit(engine, log, workloadOps(1), 'delayed')
    commit(engine, log, workloadOps(2), 'delayed')
    await turn()
    expect(device.writes).toBe(0)
    expect(await isSettled(log.whenDurable(seq))).toBe(false)
    await log.flush()
    expect(log.status().durableSeq).toBe(2n)
    await expect(log.whenDurable(seq)).resolves.toBe('ok')
    await log.close()
  })

  it('commits arriving while a flush runs share the next flush', async () => {
    const { device, engine, log } = setup({ ...quiet, maxDelayedTransactions: 1 })
    const first = log.whenDurable(commit(engine, log, workloadOps(1), 'delayed'))
    // The first flush is on the threadpool now; these two arrive while it runs.
    const second = log.whenDurable(commit(engine, log, workloadOps(2), 'delayed'))
    const third = log.whenDurable(commit(engine, log, workloadOps(3), 'delayed'))
    await Promise.all([first, second, third])
    expect(device.asyncDatasyncs).toBe(2)
    await log.close()
  })
})

describe('buffered, no-sync, flush and close', () => {
  it('buffered writes at commit, resolves at once, and flushes only on flush()', async () => {
    const { device, engine, log } = setup()
    const seq = commit(engine, log, workloadOps(1), 'buffered')
    expect(device.writes).toBe(1)
    await expect(log.whenDurable(seq)).resolves.toBe('ok')
    await turn()
    expect(device.datasyncs + device.asyncDatasyncs).toBe(0)
    expect(log.status()).toMatchObject({ writtenSeq: 1n, durableSeq: 0n })
    await log.flush()
    expect(device.asyncDatasyncs).toBe(1)
    expect(log.status().durableSeq).toBe(1n)
    await log.close()
  })

  it('no-sync writes at the end of the turn and never flushes by itself', async () => {
    const { device, engine, log } = setup()
    const seq = commit(engine, log, workloadOps(1), 'no-sync')
    expect(device.writes).toBe(0)
    await expect(log.whenDurable(seq)).resolves.toBe('ok')
    await turn()
    expect(device.writes).toBe(1)
    expect(device.datasyncs + device.asyncDatasyncs).toBe(0)
    await log.close()
  })

  it('close() flushes what is committed, so a reopen finds it', async () => {
    const { dir, engine, log } = setup()
    commit(engine, log, workloadOps(1), 'no-sync')
    commit(engine, log, workloadOps(2), 'delayed')
    await log.close()
    const again = new ModelEngine()
    await TransactionLog.open(again, { dir }).close()
    expect(again.sequencer).toBe(2n)
    expect(again.contentHash()).toBe(engine.contentHash())
  })
})

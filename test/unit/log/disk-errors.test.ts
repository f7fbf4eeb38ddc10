// Checks what happens when the disk refuses the log (DESIGN.md "Commit policies and the log";
// issue: disk refusal = clear error, consistent database, nothing reported durable lost). A
// test device makes writes, flushes, segment creation or snapshot writes fail with ENOSPC,
// EACCES or EIO: the promises of commits not yet durable reject with LogError TDB_LOG_IO
// carrying the OS error, checkWrite refuses further writes with the same error, and a reopen
// over a working disk finds every commit that was reported durable.
import { afterEach, describe, expect, it } from 'vitest'
import { LogError } from '../../../src/errors.js'
import type { CommitPolicy } from '../../../src/txn/commit-hook.js'
import { TransactionLog } from '../../../src/log/transaction-log.js'
import type { LogWarning } from '../../../src/log/log-warning.js'
import { commit, ModelEngine, tempDir, workloadOps } from './model-engine.js'
import type { FailingCall } from './test-device.js'
import { TestDevice } from './test-device.js'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

function setup() {
  const { dir, remove } = tempDir('log-disk')
  cleanups.push(remove)
  const device = new TestDevice()
  const engine = new ModelEngine()
  const log = TransactionLog.open(engine, { dir, device, maxCommitDelayMs: 0 })
  return { dir, device, engine, log }
}

async function expectIoError(promise: Promise<unknown>, osCode: string): Promise<LogError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(LogError)
  const logError = error as LogError
  expect(logError.code).toBe('TDB_LOG_IO')
  expect(logError.message).toContain(osCode)
  expect(logError.details.osCode).toBe(osCode)
  return logError
}

/** Reopens the directory over a working disk and returns the recovered engine. */
async function reopen(dir: string): Promise<ModelEngine> {
  const engine = new ModelEngine()
  await TransactionLog.open(engine, { dir }).close()
  return engine
}

const cases: { call: FailingCall; code: string; policy: CommitPolicy }[] = [
  { call: 'write', code: 'ENOSPC', policy: 'sync-flush' },
  { call: 'datasync', code: 'EIO', policy: 'sync-flush' },
  { call: 'write', code: 'EACCES', policy: 'buffered' },
  { call: 'datasync', code: 'EIO', policy: 'delayed' },
  { call: 'write', code: 'ENOSPC', policy: 'delayed' },
]

describe('disk errors (DESIGN.md "Commit policies and the log")', () => {
  for (const { call, code, policy } of cases) {
    it(`${code} on ${call} under ${policy}: rejects, refuses writes, keeps durable`, async () => {
      const { dir, device, engine, log } = setup()
      for (let i = 0; i < 5; i++) await log.whenDurable(commit(engine, log, workloadOps(i)))
      const durableHash = engine.contentHash()
      device.failing = { call, code }
      const seq = commit(engine, log, workloadOps(5), policy)
      const error = await expectIoError(log.whenDurable(seq), code)
      expect(log.status().failed).toBe(true)
      // Further writes are refused with the same error; the engine was not touched by it.
      expect(() => log.checkWrite()).toThrow(error)
      await expectIoError(log.flush(), code)
      await log.close()
      device.failing = null
      const recovered = await reopen(dir)
      expect(recovered.sequencer).toBeGreaterThanOrEqual(5n)
      if (recovered.sequencer === 5n) expect(recovered.contentHash()).toBe(durableHash)
      else expect(recovered.contentHash()).toBe(engine.contentHash())
    })
  }

  it('a commit that reaches the log after the failure rejects too', async () => {
    const { device, engine, log } = setup()
    device.failing = { call: 'write', code: 'ENOSPC' }
    const first = commit(engine, log, workloadOps(1), 'buffered')
    const second = commit(engine, log, workloadOps(2), 'buffered')
    await expectIoError(log.whenDurable(first), 'ENOSPC')
    await expectIoError(log.whenDurable(second), 'ENOSPC')
    await log.close()
  })

  it('a failed snapshot rejects checkpoint() but leaves the log working', async () => {
    const { dir, device, engine, log } = setup()
    for (let i = 0; i < 10; i++) commit(engine, log, workloadOps(i))
    device.failing = { call: 'snapshot', code: 'EACCES' }
    await expectIoError(log.checkpoint(), 'EACCES')
    expect(log.status().failed).toBe(false)
    device.failing = null
    await log.whenDurable(commit(engine, log, workloadOps(10)))
    await log.checkpoint()
    await log.close()
    const recovered = await reopen(dir)
    expect(recovered.sequencer).toBe(11n)
    expect(recovered.contentHash()).toBe(engine.contentHash())
  })

  it('a failed automatic checkpoint is a warning; the next one retries', async () => {
    const { dir, remove } = tempDir('log-disk-auto')
    cleanups.push(remove)
    const device = new TestDevice()
    const engine = new ModelEngine()
    const warnings: LogWarning[] = []
    const log = TransactionLog.open(engine, {
      dir,
      device,
      checkpointBytes: 2000,
      onWarning: (warning) => warnings.push(warning),
    })
    device.failing = { call: 'snapshot', code: 'ENOSPC' }
    let i = 0
    while (warnings.length === 0) {
      await log.whenDurable(commit(engine, log, workloadOps(i++)))
      expect(i).toBeLessThan(500)
    }
    expect(warnings[0]).toMatchObject({ code: 'TDB_LOG_CHECKPOINT_FAILED' })
    expect(warnings[0]!.message).toContain('ENOSPC')
    expect(log.status()).toMatchObject({ failed: false, snapshotSeq: 0n })
    device.failing = null
    while (log.status().snapshotSeq === 0n) {
      await log.whenDurable(commit(engine, log, workloadOps(i++)))
      await new Promise((resolve) => setImmediate(resolve))
      expect(i).toBeLessThan(1000)
    }
    await log.close()
    const recovered = await reopen(dir)
    expect(recovered.contentHash()).toBe(engine.contentHash())
  })

  it('a segment file the disk refuses to create is TDB_LOG_IO at open', () => {
    const { dir, remove } = tempDir('log-disk-file')
    cleanups.push(remove)
    const device = new TestDevice()
    device.failing = { call: 'create', code: 'EACCES' }
    expect(() => TransactionLog.open(new ModelEngine(), { dir, device })).toThrow(
      expect.objectContaining({ code: 'TDB_LOG_IO', message: expect.stringContaining('EACCES') }),
    )
  })
})

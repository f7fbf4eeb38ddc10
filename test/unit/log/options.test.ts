// Checks the validation of log options (DESIGN.md "Commit policies and the log"): an unknown
// policy, a non-integer or too-small size, or a missing directory is LogError
// TDB_INVALID_PARAMETER naming the option; defaults follow eXtremeDB (16 MiB checkpoint,
// 64 KiB delayed threshold, unlimited delayed transactions, 1000 ms delay, sync-flush).
import { describe, expect, it } from 'vitest'
import { resolveLogOptions } from '../../../src/log/log-options.js'
import type { LogOptions } from '../../../src/log/log-options.js'

describe('log options', () => {
  it('fills in the defaults', () => {
    expect(resolveLogOptions({ dir: 'x' })).toMatchObject({
      policy: 'sync-flush',
      checkpointBytes: 16 * 1024 * 1024,
      delayedCommitThresholdBytes: 64 * 1024,
      maxDelayedTransactions: 0,
      maxCommitDelayMs: 1000,
    })
  })

  const bad: [string, Partial<LogOptions>][] = [
    ['log.policy', { policy: 'sometimes' as never }],
    ['log.checkpointBytes', { checkpointBytes: 0 }],
    ['log.segmentBytes', { segmentBytes: 100 }],
    ['log.maxCommitDelayMs', { maxCommitDelayMs: 1.5 }],
    ['log.maxDelayedTransactions', { maxDelayedTransactions: -1 }],
    ['log.delayedCommitThresholdBytes', { delayedCommitThresholdBytes: Number.NaN }],
    ['log.dir', { dir: '' }],
  ]
  for (const [name, options] of bad) {
    it(`refuses a bad ${name}`, () => {
      expect(() => resolveLogOptions({ dir: 'x', ...options })).toThrow(
        expect.objectContaining({
          code: 'TDB_INVALID_PARAMETER',
          message: expect.stringContaining(name),
        }),
      )
    })
  }
})

/**
 * Checks how commit outcomes meet `whenDurable` calls (DESIGN "Replication": a commit whose
 * sync replica detached returns replica-detached). Outcomes arrive in sequencer order from the
 * core; `whenDurable` may be asked before the outcome (it waits), after it (answered from the
 * decided prefix and the remembered detached ranges), or never (nothing is kept per commit).
 */
import { describe, expect, it } from 'vitest'
import { CommitOutcomes, DETACHED_RANGES_MAX } from '../../../src/node/ha-commit-outcomes.js'

describe('CommitOutcomes (DESIGN Replication: commit status)', () => {
  it('resolves a waiting whenDurable when its outcome arrives', async () => {
    const outcomes = new CommitOutcomes(0n)
    const first = outcomes.whenDurable(1n)
    const second = outcomes.whenDurable(2n)
    expect(outcomes.waiting).toBe(2)
    outcomes.decided({ seq: 1n, status: 'ok' })
    outcomes.decided({ seq: 2n, status: 'replica-detached' })
    expect(await first).toBe('ok')
    expect(await second).toBe('replica-detached')
    expect(outcomes.waiting).toBe(0)
  })

  it('answers late calls from the decided prefix and the detached ranges', async () => {
    const outcomes = new CommitOutcomes(10n)
    for (let seq = 11n; seq <= 20n; seq++) {
      const detached = (seq >= 13n && seq <= 15n) || seq === 18n
      outcomes.decided({ seq, status: detached ? 'replica-detached' : 'ok' })
    }
    const statuses = []
    for (let seq = 5n; seq <= 20n; seq++) statuses.push(await outcomes.whenDurable(seq))
    expect(statuses).toEqual([
      ...Array(6).fill('ok'), // 5..10: before replication started
      'ok', 'ok', 'replica-detached', 'replica-detached', 'replica-detached',
      'ok', 'ok', 'replica-detached', 'ok', 'ok',
    ])
  })

  it('keeps a bounded number of detached ranges; forgotten ones count as detached', async () => {
    const outcomes = new CommitOutcomes(0n)
    let seq = 0n
    for (let i = 0; i < DETACHED_RANGES_MAX + 1; i++) {
      outcomes.decided({ seq: ++seq, status: 'replica-detached' })
      outcomes.decided({ seq: ++seq, status: 'ok' })
    }
    // Seq 1 fell out of memory: not known to be on the replica, so not 'ok'.
    expect(await outcomes.whenDurable(1n)).toBe('replica-detached')
    expect(await outcomes.whenDurable(3n)).toBe('replica-detached')
    expect(await outcomes.whenDurable(4n)).toBe('ok')
    expect(await outcomes.whenDurable(seq - 1n)).toBe('replica-detached')
  })

  it('settles every waiter when the master stops, and refuses out-of-order outcomes', async () => {
    const outcomes = new CommitOutcomes(0n)
    const waiting = outcomes.whenDurable(3n)
    outcomes.settleAll('replica-detached')
    expect(await waiting).toBe('replica-detached')
    outcomes.decided({ seq: 2n, status: 'ok' })
    expect(() => outcomes.decided({ seq: 2n, status: 'ok' })).toThrow(
      expect.objectContaining({ code: 'TDB_INTERNAL' }),
    )
  })
})

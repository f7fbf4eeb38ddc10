/**
 * Commit outcomes against a dumb oracle (STYLE.md 5.6: oracle comparison for window and
 * quorum; DESIGN.md "Replication": window, replica-detached). fast-check runs random commits,
 * acks (of any sequencer a replica was sent), commitWindow calls and detaches against a
 * MasterCore with two sync replicas and a random window; after every step the outcomes it
 * released must equal the oracle's: commit s is decided once every replica that streamed at
 * its commit acked s or later or left, `replica-detached` if one left first, and outcomes
 * leave in sequencer order. The quorum check is compared with the count of streaming sync
 * replicas.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as M from '../../../src/ha/messages.js'
import type { CommitOutcome } from '../../../src/ha/ready.js'
import { attachReplica, makeMaster, takeMaster } from './fixtures.js'

type Action =
  | { kind: 'commit' }
  | { kind: 'ack'; conn: number; back: number }
  | { kind: 'commitWindow' }
  | { kind: 'leave'; conn: number }

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.constant({ kind: 'commit' as const }),
  fc.constant({ kind: 'commit' as const }),
  fc.record({ kind: fc.constant('ack' as const), conn: fc.constantFrom(1, 2), back: fc.nat(3) }),
  fc.constant({ kind: 'commitWindow' as const }),
  fc.record({ kind: fc.constant('leave' as const), conn: fc.constantFrom(1, 2) }),
)

interface OracleCommit {
  seq: bigint
  waiting: Set<number>
  detached: boolean
}

/** Runs one scenario; asserts after every step that released outcomes equal the oracle's. */
function runScenario(window: number, actions: readonly Action[]): void {
  const { master, db } = makeMaster({ windowSize: window, detachTimeoutMs: 0 })
  attachReplica(master, 1)
  attachReplica(master, 2)
  const present = new Set([1, 2])
  const sent = new Map<number, bigint>([[1, 0n], [2, 0n]])
  const oracle: OracleCommit[] = []
  const expected: CommitOutcome[] = []
  const released: CommitOutcome[] = []
  const settle = () => {
    while (oracle.length > 0 && (oracle[0] as OracleCommit).waiting.size === 0) {
      const head = oracle.shift() as OracleCommit
      expected.push({ seq: head.seq, status: head.detached ? 'replica-detached' : 'ok' })
    }
  }
  for (const step of actions) {
    if (step.kind === 'commit') {
      const record = db.insertMany(1, 1)
      master.step({ kind: 'committed', record })
      oracle.push({ seq: record.seq, waiting: new Set(present), detached: false })
      for (const conn of present) sent.set(conn, record.seq)
    } else if (step.kind === 'ack') {
      if (!present.has(step.conn)) continue
      const top = sent.get(step.conn) as bigint
      const seq = top - BigInt(step.back) < 0n ? 0n : top - BigInt(step.back)
      master.step({ kind: 'received', conn: step.conn, message: M.Ack.create({ seq }) })
      for (const commit of oracle) if (commit.seq <= seq) commit.waiting.delete(step.conn)
    } else if (step.kind === 'commitWindow') {
      master.step({ kind: 'commitWindow' })
    } else {
      if (!present.delete(step.conn)) continue
      master.step({ kind: 'detach', conn: step.conn })
      for (const commit of oracle) {
        if (commit.waiting.delete(step.conn)) commit.detached = true
      }
    }
    settle()
    released.push(...takeMaster(master).commitOutcomes)
    expect(released).toEqual(expected)
    expect(master.activeSyncReplicas()).toBe(present.size)
  }
}

describe('commit outcomes match an oracle (DESIGN.md "Replication")', () => {
  it('for random windows, acks and departures', () => {
    const windows = fc.integer({ min: 1, max: 4 })
    fc.assert(fc.property(windows, fc.array(action, { maxLength: 40 }), runScenario), {
      numRuns: 500,
    })
  })
})

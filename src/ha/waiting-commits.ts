/**
 * Commits waiting for their sync replicas. Each commit waits on the set of sync replicas that
 * were sent it as part of their live stream; an ack covering it removes a replica from the
 * set, a detached replica also removes itself but marks the commit `replica-detached`.
 * Outcomes leave strictly in sequencer order, so a commit whose replicas all answered still
 * waits behind an earlier one.
 */
import type { CommitOutcome } from './ready.js'
import type { ConnId } from './inputs.js'
import { assert } from '../util/assert.js'
import { SeqQueue } from './seq-queue.js'

interface WaitingCommit {
  readonly seq: bigint
  readonly waitingOn: Set<ConnId>
  detached: boolean
}

export class WaitingCommits {
  readonly #queue = new SeqQueue<WaitingCommit>()
  #lastOutcomeSeq: bigint | null = null

  get length(): number {
    return this.#queue.length
  }

  /** Registers commit `seq` waiting on `conns` (possibly none). */
  add(seq: bigint, conns: Iterable<ConnId>): void {
    const last = this.#queue.last?.seq ?? this.#lastOutcomeSeq
    assert(last === null || seq > last, `commit ${seq} is not after ${String(last)}`)
    this.#queue.push({ seq, waitingOn: new Set(conns), detached: false })
  }

  /** `conn` has applied everything up to `seq`. */
  acked(conn: ConnId, seq: bigint): void {
    for (const commit of this.#queue) {
      if (commit.seq > seq) break
      commit.waitingOn.delete(conn)
    }
  }

  /** `conn` left before acking: every commit still waiting on it becomes replica-detached. */
  detached(conn: ConnId): void {
    for (const commit of this.#queue) {
      if (commit.waitingOn.delete(conn)) commit.detached = true
    }
  }

  /** Removes and returns the outcomes that are decided, in sequencer order. */
  takeDecided(): CommitOutcome[] {
    const outcomes: CommitOutcome[] = []
    while (this.#queue.length > 0 && (this.#queue.first as WaitingCommit).waitingOn.size === 0) {
      const commit = this.#queue.shift() as WaitingCommit
      outcomes.push(Object.freeze({
        seq: commit.seq,
        status: commit.detached ? 'replica-detached' : 'ok',
      }))
      this.#lastOutcomeSeq = commit.seq
    }
    return outcomes
  }

  /**
   * Forgets the sequencer history after the database was replaced; every commit must be
   * decided already.
   */
  restart(): void {
    assert(this.#queue.length === 0, 'restart with commits still waiting')
    this.#lastOutcomeSeq = null
  }

  invariants(lastCommittedSeq: bigint): void {
    // Runs after every master step: the ends only (add asserts the order of each commit).
    this.#queue.invariants()
    const first = this.#queue.first
    const last = this.#queue.last
    const lastOutcome = this.#lastOutcomeSeq
    assert(first === undefined || lastOutcome === null || first.seq > lastOutcome,
      'waiting commits are out of order')
    assert(last === undefined || last.seq <= lastCommittedSeq,
      'a waiting commit is after the last commit')
    assert(first === undefined || first.waitingOn.size > 0, 'a decided commit was not released')
  }
}

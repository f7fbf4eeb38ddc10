/**
 * Matches the MasterCore's commit outcomes with `CommitHook.whenDurable(seq)` calls. Both can
 * come first: an outcome may be decided in the very step of its commit (no sync replica to
 * wait for), and the engine asks `whenDurable` only when the application reads a commit's
 * `durable` promise, maybe much later or never. So decided outcomes are not kept one by one:
 * outcomes arrive in sequencer order, every commit up to `#decidedSeq` is decided, and only
 * the exceptions (`replica-detached`) are kept, as ranges of sequencers, the newest
 * `DETACHED_RANGES_MAX` of them (a detach turns a run of consecutive commits into one range).
 * A commit older than the forgotten ranges is answered `replica-detached`: its outcome is no
 * longer known, and claiming `ok` could promise a replica copy that does not exist.
 */
import type { CommitStatus } from '../txn/commit-hook.js'
import type { CommitOutcome } from '../ha/ready.js'
import { assert } from '../util/assert.js'

/** How many runs of replica-detached commits are remembered for late `whenDurable` calls. */
export const DETACHED_RANGES_MAX = 4096

interface Waiter {
  readonly resolve: (status: CommitStatus) => void
}

export class CommitOutcomes {
  /** Every commit with a sequencer up to this one is decided. */
  #decidedSeq: bigint
  /** Inclusive ranges of replica-detached sequencers, oldest first. */
  readonly #detached: [bigint, bigint][] = []
  /** Outcomes up to this sequencer were forgotten (-1n: none). */
  #forgottenSeq = -1n
  readonly #startSeq: bigint
  readonly #waiters = new Map<bigint, Waiter[]>()

  /** `startSeq`: commits up to it happened before replication started; they count as ok. */
  constructor(startSeq: bigint) {
    this.#decidedSeq = startSeq
    this.#startSeq = startSeq
  }

  /** Records the core's outcome of one commit and settles whoever waits for it. */
  decided(outcome: CommitOutcome): void {
    assert(outcome.seq > this.#decidedSeq, `outcome ${outcome.seq} after ${this.#decidedSeq}`)
    this.#decidedSeq = outcome.seq
    if (outcome.status === 'replica-detached') this.#addDetached(outcome.seq)
    const waiters = this.#waiters.get(outcome.seq)
    if (waiters === undefined) return
    this.#waiters.delete(outcome.seq)
    for (const waiter of waiters) waiter.resolve(outcome.status)
  }

  /** The outcome of commit `seq`, now or once the core decides it. */
  whenDurable(seq: bigint): Promise<CommitStatus> {
    if (seq <= this.#decidedSeq) return Promise.resolve(this.#statusOf(seq))
    return new Promise((resolve) => {
      const waiters = this.#waiters.get(seq)
      if (waiters === undefined) this.#waiters.set(seq, [{ resolve }])
      else waiters.push({ resolve })
    })
  }

  /**
   * Settles every waiter still pending with `status` (the master stopped: commits that no
   * replica will ever acknowledge are `replica-detached`).
   */
  settleAll(status: CommitStatus): void {
    for (const waiters of this.#waiters.values()) {
      for (const waiter of waiters) waiter.resolve(status)
    }
    this.#waiters.clear()
  }

  /** Commits waiting for their outcome with someone listening. */
  get waiting(): number {
    return this.#waiters.size
  }

  #statusOf(seq: bigint): CommitStatus {
    if (seq <= this.#startSeq) return 'ok'
    if (seq <= this.#forgottenSeq) return 'replica-detached'
    for (let i = this.#detached.length - 1; i >= 0; i--) {
      const range = this.#detached[i]
      assert(range !== undefined, 'detached ranges are dense')
      if (seq > range[1]) return 'ok'
      if (seq >= range[0]) return 'replica-detached'
    }
    return 'ok'
  }

  #addDetached(seq: bigint): void {
    const last = this.#detached.at(-1)
    if (last !== undefined && last[1] === seq - 1n) {
      last[1] = seq
      return
    }
    this.#detached.push([seq, seq])
    if (this.#detached.length > DETACHED_RANGES_MAX) {
      const forgotten = this.#detached.shift()
      assert(forgotten !== undefined, 'a range was there to forget')
      this.#forgottenSeq = forgotten[1]
    }
  }
}

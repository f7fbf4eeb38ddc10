/**
 * A Timeout value (tigerbeetle `vsr.Timeout`), in milliseconds of the clock the cores are
 * given (tick inputs carry `nowMs`). It is started, stopped, asked whether it `fired` at a
 * time, and `reset` after it was handled; `backoff` grows it exponentially with jitter.
 *
 * @example
 * const ack = new Timeout('synch', 10_000)
 * ack.start(nowMs)
 * if (ack.fired(laterMs)) { detach(); ack.stop() }
 */
import { ReplicationError } from '../errors.js'
import { assert } from '../util/assert.js'

/** The random source a backoff draws its jitter from (src/util/prng.ts fits it). */
export interface RandomSource {
  /** A uniformly drawn integer in [0, n). */
  nextInt(n: number): number
}

/** The most times `backoff` doubles the duration. */
export const BACKOFF_DOUBLINGS_MAX = 10

export class Timeout {
  readonly name: string
  readonly baseMs: number
  #durationMs: number
  #startedAtMs: number | null = null
  #attempts = 0

  constructor(name: string, durationMs: number) {
    if (!Number.isSafeInteger(durationMs) || durationMs < 0) {
      throw new ReplicationError('TDB_INVALID_PARAMETER', `${name} must be an integer >= 0 ms`, {
        name,
        durationMs,
      })
    }
    this.name = name
    this.baseMs = durationMs
    this.#durationMs = durationMs
  }

  /** The current duration (the base, or more after `backoff`). */
  get durationMs(): number {
    return this.#durationMs
  }

  get running(): boolean {
    return this.#startedAtMs !== null
  }

  /** When a running timeout fires; null when stopped. */
  get deadlineMs(): number | null {
    return this.#startedAtMs === null ? null : this.#startedAtMs + this.#durationMs
  }

  /** Starts (or restarts) the timeout at `nowMs`. */
  start(nowMs: number): void {
    assert(Number.isFinite(nowMs), `${this.name}: nowMs is not a number`)
    this.#startedAtMs = nowMs
  }

  stop(): void {
    this.#startedAtMs = null
  }

  /** True when the timeout runs and its deadline is at or before `nowMs`. */
  fired(nowMs: number): boolean {
    if (this.#startedAtMs === null) return false
    assert(nowMs >= this.#startedAtMs, `${this.name}: the clock went backwards`)
    return nowMs >= this.#startedAtMs + this.#durationMs
  }

  /** Restarts at `nowMs` with the base duration (after the fired timeout was handled). */
  reset(nowMs: number): void {
    this.#attempts = 0
    this.#durationMs = this.baseMs
    this.start(nowMs)
  }

  /** Restarts at `nowMs` with the duration doubled (capped) plus a jitter below the base. */
  backoff(nowMs: number, random: RandomSource): void {
    this.#attempts = Math.min(this.#attempts + 1, BACKOFF_DOUBLINGS_MAX)
    const jitterMs = this.baseMs > 0 ? random.nextInt(this.baseMs) : 0
    assert(jitterMs >= 0 && jitterMs <= this.baseMs, `${this.name}: jitter out of range`)
    this.#durationMs = this.baseMs * 2 ** this.#attempts + jitterMs
    this.start(nowMs)
  }
}

/**
 * Time as the log sees it: the delayed policy measures how long its oldest unflushed commit has
 * waited and arms a timer for the bound. Tests inject a manual clock to make that deterministic.
 */

export interface Clock {
  /** Milliseconds on a monotonic clock. */
  nowMs(): number
  /** Calls `fn` once after `ms` milliseconds; the returned function cancels the timer. */
  setTimer(ms: number, fn: () => void): () => void
}

/** The process clock: `performance.now()` and `setTimeout`. */
export const realClock: Clock = {
  nowMs: () => performance.now(),
  setTimer(ms, fn) {
    const timer = setTimeout(fn, ms)
    return () => clearTimeout(timer)
  },
}

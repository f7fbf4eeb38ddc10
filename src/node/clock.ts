/**
 * Time for the replication drivers (STYLE 5.3). The pure cores see time only as `tick`
 * inputs carrying `nowMs`; a driver reads `nowMs()` from a Clock and asks it for periodic
 * ticks. Production uses `realClock()`; the simulator supplies a clock it advances itself.
 *
 * ### Examples
 * ```ts
 * const clock = realClock()
 * const stop = clock.every(5, () => driver.tick())
 * stop()
 * ```
 */
import { ReplicationError } from '../errors.js'

export interface Clock {
  /** Milliseconds on a monotonic scale (never goes backwards); the origin is arbitrary. */
  nowMs(): number
  /** Calls `onTick` every `intervalMs` until the returned function is called. */
  every(intervalMs: number, onTick: () => void): () => void
}

/** The tick period of the HA drivers: timeouts are checked at this granularity. */
export const HA_TICK_INTERVAL_MS = 5

/**
 * A clock over `performance.now()` and `setInterval`. Its timers are unref'd: a process whose
 * only remaining work is replication ticks may exit (channels keep it alive while open).
 */
export function realClock(): Clock {
  return {
    nowMs: () => Math.floor(performance.now()),
    every(intervalMs, onTick) {
      if (!Number.isFinite(intervalMs) || intervalMs < 1) {
        throw new ReplicationError('TDB_INVALID_PARAMETER', `tick interval ${intervalMs} ms < 1`)
      }
      const timer = setInterval(onTick, intervalMs)
      timer.unref()
      return () => clearInterval(timer)
    },
  }
}

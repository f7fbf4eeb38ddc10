/**
 * The options of a database's transaction log, their defaults (eXtremeDB `mco_log_params_t`
 * where it has one) and their validation.
 */
import { LogError } from '../errors.js'
import type { CommitPolicy } from '../txn/commit-hook.js'
import type { Clock } from './clock.js'
import { realClock } from './clock.js'
import type { LogDevice } from './log-device.js'
import { nodeLogDevice } from './log-device.js'
import type { LogWarning } from './log-warning.js'
import { printLogWarning } from './log-warning.js'

export interface LogOptions {
  /** The directory of the log segments and snapshots; created when missing. */
  readonly dir: string
  /** The database's default commit policy. Default 'sync-flush'. */
  readonly policy?: CommitPolicy
  /** Checkpoint (snapshot, then drop covered segments) once the log grows past this. 16 MiB. */
  readonly checkpointBytes?: number
  /** A segment file rolls over to a new one past this size. Default 16 MiB. */
  readonly segmentBytes?: number
  /** Segments grow by zero-filled chunks of this size, so a flush rarely changes metadata. */
  readonly preallocateBytes?: number
  /** delayed: flush once unflushed records reach this many bytes. Default 64 KiB. */
  readonly delayedCommitThresholdBytes?: number
  /** delayed: flush once this many transactions are unflushed; 0 (default) means no limit. */
  readonly maxDelayedTransactions?: number
  /** delayed: flush once the oldest unflushed commit is this old (a timer enforces it). 1000. */
  readonly maxCommitDelayMs?: number
  /** Hears recovery and checkpoint warnings. Default: print them to stderr. */
  readonly onWarning?: (warning: LogWarning) => void
  /** Time source of the delayed policy. Default: the process clock. */
  readonly clock?: Clock
  /** The file system. Default: `node:fs`. */
  readonly device?: LogDevice
}

export type ResolvedLogOptions = Required<LogOptions>

const POLICIES: readonly CommitPolicy[] = ['sync-flush', 'delayed', 'buffered', 'no-sync']
const MiB = 1024 * 1024

/** The options with defaults filled in; an out-of-range value is TDB_INVALID_PARAMETER. */
export function resolveLogOptions(options: LogOptions): ResolvedLogOptions {
  if (typeof options.dir !== 'string' || options.dir.length === 0) {
    throw invalid('log.dir', options.dir, 'a non-empty directory path')
  }
  const policy = options.policy ?? 'sync-flush'
  if (!POLICIES.includes(policy)) throw invalid('log.policy', policy, POLICIES.join(' | '))
  const resolved: ResolvedLogOptions = {
    dir: options.dir,
    policy,
    checkpointBytes: count('log.checkpointBytes', options.checkpointBytes, 16 * MiB, 1),
    segmentBytes: count('log.segmentBytes', options.segmentBytes, 16 * MiB, 4096),
    preallocateBytes: count('log.preallocateBytes', options.preallocateBytes, MiB, 0),
    delayedCommitThresholdBytes: count(
      'log.delayedCommitThresholdBytes',
      options.delayedCommitThresholdBytes,
      64 * 1024,
      1,
    ),
    maxDelayedTransactions: count(
      'log.maxDelayedTransactions',
      options.maxDelayedTransactions,
      0,
      0,
    ),
    maxCommitDelayMs: count('log.maxCommitDelayMs', options.maxCommitDelayMs, 1000, 0),
    onWarning: options.onWarning ?? printLogWarning,
    clock: options.clock ?? realClock,
    device: options.device ?? nodeLogDevice,
  }
  return resolved
}

/** A whole number >= min, or the default when absent. */
function count(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < min) {
    throw invalid(name, value, `an integer >= ${min}`)
  }
  return value
}

function invalid(name: string, value: unknown, expected: string): LogError {
  return new LogError(
    'TDB_INVALID_PARAMETER',
    `${name} is ${String(value)}; expected ${expected}`,
    { option: name, value },
  )
}

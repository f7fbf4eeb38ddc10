/**
 * The replica core's configuration: eXtremeDB `mco_HA_replica_params_t`, with its defaults,
 * validated up front. `replicaConfig(options)` fills the defaults and throws a
 * ReplicationError (TDB_INVALID_PARAMETER) naming the bad parameter.
 *
 * @example
 * const config = replicaConfig({ dbName: 'filterrpldb', classes, forceSync: true })
 */
import { ReplicationError } from '../errors.js'
import { checkClasses, checkInteger, definedOnly } from './master-config.js'
import type { ClassInfo } from './messages.js'

export interface ReplicaConfig {
  /** The replica's database name (sent on attach; it may differ from the master's). */
  readonly dbName: string
  /** Every class of the replica's dictionary. */
  readonly classes: readonly ClassInfo[]
  /** Ask an async master for sync replication (MCO_HAMODE_FORCE_SYNC; default false). */
  readonly forceSync: boolean
  /** Honour `local class` (default true): received ops of local classes are not written. */
  readonly filter: boolean
  /** The most ms between two messages from the master before the replica stops (10 000). */
  readonly waitDataTimeoutMs: number
  /** The most ms from connecting to the end of the initial sync (default 60 000). */
  readonly initialTimeoutMs: number
  /** The most ms the runtime may take to apply one change set (default 10 000). */
  readonly commitTimeoutMs: number
  /** Extend the local database when the master extends its own (default true). */
  readonly autoExtend: boolean
  /** Confirm the applied position to the master at least this often when it moved (1000). */
  readonly confirmIntervalMs: number
}

export type ReplicaOptions = Partial<ReplicaConfig> & {
  readonly dbName: string
  readonly classes: readonly ClassInfo[]
}

export const REPLICA_DEFAULTS = Object.freeze({
  forceSync: false,
  filter: true,
  waitDataTimeoutMs: 10_000,
  initialTimeoutMs: 60_000,
  commitTimeoutMs: 10_000,
  autoExtend: true,
  confirmIntervalMs: 1000,
} as const satisfies Omit<ReplicaConfig, 'dbName' | 'classes'>)

const INTEGER_RANGES: readonly (readonly [keyof ReplicaConfig, number, number])[] = [
  ['waitDataTimeoutMs', 1, 2 ** 31],
  ['initialTimeoutMs', 1, 2 ** 31],
  ['commitTimeoutMs', 1, 2 ** 31],
  ['confirmIntervalMs', 1, 2 ** 31],
]

/** Fills defaults and validates; throws TDB_INVALID_PARAMETER. */
export function replicaConfig(options: ReplicaOptions): ReplicaConfig {
  const config: ReplicaConfig = Object.freeze({
    ...REPLICA_DEFAULTS,
    ...definedOnly(options),
    dbName: options.dbName,
    classes: options.classes,
  })
  if (typeof config.dbName !== 'string' || config.dbName.length === 0) {
    const message = 'replica dbName must be a non-empty string'
    throw new ReplicationError('TDB_INVALID_PARAMETER', message, { parameter: 'dbName' })
  }
  for (const [name, min, max] of INTEGER_RANGES) checkInteger(name, config[name], min, max)
  for (const name of ['forceSync', 'filter', 'autoExtend'] as const) {
    if (typeof config[name] !== 'boolean') {
      throw new ReplicationError('TDB_INVALID_PARAMETER', `replica ${name} must be a boolean`, {
        parameter: name,
      })
    }
  }
  checkClasses(config.classes)
  return config
}

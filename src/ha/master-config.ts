/**
 * The master core's configuration: eXtremeDB `mco_HA_master_params_t`, with its defaults,
 * validated up front (raft `Config.validate`). `masterConfig(options)` fills the defaults and
 * throws a ReplicationError naming the bad parameter.
 *
 * @example
 * const config = masterConfig({ classes, mode: 'sync', windowSize: 1, quorum: 1 })
 */
import { ReplicationError } from '../errors.js'
import type { ClassInfo, ReplicationMode } from './messages.js'

export interface MasterConfig {
  /** `sync` (default): commits wait for every replica's ack; `async`: they do not. */
  readonly mode: ReplicationMode
  /** Sync replicas ack every `windowSize` commits (default 1). */
  readonly windowSize: number
  /** At least this many streaming sync replicas for a write (default 0 = no check). */
  readonly quorum: number
  /** The most replicas attached at once (default 10); more are refused (TDB_MAX_REPLICAS). */
  readonly maxReplicas: number
  /** Recent change sets kept for stateful catch-up (default 1024; 0 = always a full load). */
  readonly transLogLength: number
  /** The bound the runtime puts on sending one message to a replica (default 10 000). */
  readonly commitTimeoutMs: number
  /** How long a sync replica may take to ack before it is detached (default 10 000). */
  readonly synchTimeoutMs: number
  /** How long a replica may take from connecting to the end of its initial sync (60 000). */
  readonly initialTimeoutMs: number
  /** How long the master waits for a detached replica to close (default 10 000; 0 = no DETACH). */
  readonly detachTimeoutMs: number
  /** A replica that was sent nothing for this long gets a KeepAlive (default 1000). */
  readonly keepAliveIntervalMs: number
  /** Objects per LoadBatch of a hot load (default 100). */
  readonly hotsyncMsgObjects: number
  /** Approximate bytes per LoadBatch of a hot load (default 100 KiB). */
  readonly hotsyncMsgBytes: number
  /**
   * Hot-load batches sent per tick (eXtremeDB sends them back to back: hotsync_delay 0).
   * Bounds what a slow replica can have queued from one tick.
   */
  readonly hotsyncBatchesPerTick: number
  /** Honour `local class` (default true): local classes are never sent. */
  readonly filter: boolean
  /** Every class of the master's dictionary. */
  readonly classes: readonly ClassInfo[]
  /** The replication generation of this master's data (default 0). */
  readonly generation: number
}

export type MasterOptions = Partial<MasterConfig> & { readonly classes: readonly ClassInfo[] }

export const MASTER_DEFAULTS = Object.freeze({
  mode: 'sync',
  windowSize: 1,
  quorum: 0,
  maxReplicas: 10,
  transLogLength: 1024,
  commitTimeoutMs: 10_000,
  synchTimeoutMs: 10_000,
  initialTimeoutMs: 60_000,
  detachTimeoutMs: 10_000,
  keepAliveIntervalMs: 1000,
  hotsyncMsgObjects: 100,
  hotsyncMsgBytes: 100 * 1024,
  hotsyncBatchesPerTick: 8,
  filter: true,
  generation: 0,
} as const satisfies Omit<MasterConfig, 'classes'>)

/** Limits every integer parameter must respect, checked by `masterConfig`. */
const INTEGER_RANGES: readonly (readonly [keyof MasterConfig, number, number])[] = [
  ['windowSize', 1, 1_000_000],
  ['quorum', 0, 65_535],
  ['maxReplicas', 1, 65_535],
  ['transLogLength', 0, 1_000_000],
  ['commitTimeoutMs', 0, 2 ** 31],
  ['synchTimeoutMs', 1, 2 ** 31],
  ['initialTimeoutMs', 1, 2 ** 31],
  ['detachTimeoutMs', 0, 2 ** 31],
  ['keepAliveIntervalMs', 1, 2 ** 31],
  ['hotsyncMsgObjects', 1, 1_000_000],
  ['hotsyncMsgBytes', 1024, 2 ** 30],
  ['hotsyncBatchesPerTick', 1, 1024],
  ['generation', 0, Number.MAX_SAFE_INTEGER],
]

/** Fills defaults and validates; throws TDB_INVALID_PARAMETER or TDB_INCOMPATIBLE_MODES. */
export function masterConfig(options: MasterOptions): MasterConfig {
  const config: MasterConfig = Object.freeze({
    ...MASTER_DEFAULTS,
    ...definedOnly(options),
    classes: options.classes,
  })
  if (config.mode !== 'sync' && config.mode !== 'async') {
    throw invalid('mode', config.mode, "'sync' or 'async'")
  }
  for (const [name, min, max] of INTEGER_RANGES) checkInteger(name, config[name], min, max)
  if (typeof config.filter !== 'boolean') throw invalid('filter', config.filter, 'a boolean')
  checkClasses(config.classes)
  checkQuorumModes(config.quorum, config.mode, config.windowSize)
  return config
}

/**
 * eXtremeDB allows a quorum only in sync mode with a window of 1: a quorum promise needs
 * every commit acknowledged before it returns.
 */
export function checkQuorumModes(quorum: number, mode: ReplicationMode, windowSize: number): void {
  if (quorum > 0 && (mode !== 'sync' || windowSize !== 1)) {
    throw new ReplicationError(
      'TDB_INCOMPATIBLE_MODES',
      `quorum ${quorum} needs mode 'sync' and windowSize 1 (have '${mode}', ${windowSize})`,
      { quorum, mode, windowSize },
    )
  }
}

/** Checks one integer parameter; exported for run-time setters (setQuorum, window size). */
export function checkInteger(name: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(name, value, `an integer in [${min}, ${max}]`)
  }
}

/** Validates a ClassInfo list (ids unique positive integers, hashes non-empty strings). */
export function checkClasses(classes: unknown): void {
  if (!Array.isArray(classes)) throw invalid('classes', classes, 'an array of ClassInfo')
  const ids = new Set<number>()
  for (const info of classes as unknown[]) {
    const candidate = info as Partial<ClassInfo> | null
    const ok =
      typeof candidate === 'object' &&
      candidate !== null &&
      Number.isSafeInteger(candidate.id) &&
      (candidate.id as number) > 0 &&
      typeof candidate.shapeHash === 'string' &&
      candidate.shapeHash.length > 0 &&
      typeof candidate.local === 'boolean' &&
      !ids.has(candidate.id as number)
    if (!ok) throw invalid('classes', info, '{ id, shapeHash, local } with unique ids > 0')
    ids.add(candidate.id as number)
  }
}

function invalid(name: string, value: unknown, expected: string): ReplicationError {
  return new ReplicationError(
    'TDB_INVALID_PARAMETER',
    `replication parameter ${name} is ${describe(value)}; expected ${expected}`,
    { parameter: name, value, expected },
  )
}

function describe(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'string') return `'${value}'`
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/** Drops keys whose value is undefined, so that they do not hide the defaults. */
export function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as Partial<T>
}

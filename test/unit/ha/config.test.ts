/**
 * Replication configuration (DESIGN.md "Replication"; eXtremeDB master and replica params):
 * defaults equal the eXtremeDB ones, every bad parameter is refused up front with
 * TDB_INVALID_PARAMETER naming it, and a quorum outside sync mode with window 1 is
 * TDB_INCOMPATIBLE_MODES.
 */
import { describe, expect, it } from 'vitest'
import { ReplicationError } from '../../../src/errors.js'
import { MASTER_DEFAULTS, masterConfig } from '../../../src/ha/master-config.js'
import { REPLICA_DEFAULTS, replicaConfig } from '../../../src/ha/replica-config.js'
import { MASTER_CLASSES } from './fixtures.js'

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(ReplicationError)
    return (error as ReplicationError).code
  }
  return undefined
}

describe('masterConfig (eXtremeDB mco_HA_master_params_t)', () => {
  it('fills the eXtremeDB defaults', () => {
    const config = masterConfig({ classes: MASTER_CLASSES })
    expect(config).toMatchObject({
      mode: 'sync',
      windowSize: 1,
      quorum: 0,
      commitTimeoutMs: 10_000,
      synchTimeoutMs: 10_000,
      initialTimeoutMs: 60_000,
      detachTimeoutMs: 10_000,
      keepAliveIntervalMs: 1000,
      hotsyncMsgObjects: 100,
      hotsyncMsgBytes: 100 * 1024,
      filter: true,
    })
    expect(Object.isFrozen(config)).toBe(true)
    expect(masterConfig({ classes: [], windowSize: undefined }).windowSize).toBe(
      MASTER_DEFAULTS.windowSize,
    )
  })

  const invalid: [string, Record<string, unknown>][] = [
    ['mode', { mode: 'fast' }],
    ['windowSize', { windowSize: 0 }],
    ['windowSize', { windowSize: 1.5 }],
    ['quorum', { quorum: -1 }],
    ['maxReplicas', { maxReplicas: 0 }],
    ['transLogLength', { transLogLength: -1 }],
    ['synchTimeoutMs', { synchTimeoutMs: 0 }],
    ['detachTimeoutMs', { detachTimeoutMs: -5 }],
    ['keepAliveIntervalMs', { keepAliveIntervalMs: 'soon' }],
    ['hotsyncMsgObjects', { hotsyncMsgObjects: 0 }],
    ['hotsyncMsgBytes', { hotsyncMsgBytes: 10 }],
    ['filter', { filter: 'yes' }],
    ['classes', { classes: [{ id: 0, shapeHash: 'x', local: false }] }],
    [
      'classes',
      {
        classes: [
          { id: 1, shapeHash: 'x', local: false },
          { id: 1, shapeHash: 'y', local: false },
        ],
      },
    ],
  ]
  for (const [name, options] of invalid) {
    it(`refuses ${name} = ${JSON.stringify(Object.values(options)[0])}`, () => {
      let error: unknown
      try {
        masterConfig({ classes: MASTER_CLASSES, ...options } as never)
      } catch (caught) {
        error = caught
      }
      expect(error).toBeInstanceOf(ReplicationError)
      expect((error as ReplicationError).code).toBe('TDB_INVALID_PARAMETER')
      expect((error as ReplicationError).message).toContain(name)
    })
  }

  it('allows a quorum only in sync mode with window 1 (TDB_INCOMPATIBLE_MODES)', () => {
    expect(codeOf(() => masterConfig({ classes: [], quorum: 1 }))).toBeUndefined()
    expect(codeOf(() => masterConfig({ classes: [], quorum: 1, windowSize: 2 }))).toBe(
      'TDB_INCOMPATIBLE_MODES',
    )
    expect(codeOf(() => masterConfig({ classes: [], quorum: 1, mode: 'async' }))).toBe(
      'TDB_INCOMPATIBLE_MODES',
    )
    const asyncWindow = () => masterConfig({ classes: [], windowSize: 2, mode: 'async' })
    expect(codeOf(asyncWindow)).toBeUndefined()
  })
})

describe('replicaConfig (eXtremeDB mco_HA_replica_params_t)', () => {
  it('fills the defaults', () => {
    const config = replicaConfig({ dbName: 'r', classes: [] })
    expect(config).toMatchObject({
      ...REPLICA_DEFAULTS,
      waitDataTimeoutMs: 10_000,
      initialTimeoutMs: 60_000,
      commitTimeoutMs: 10_000,
      autoExtend: true,
      forceSync: false,
      filter: true,
    })
  })

  it('refuses bad parameters with TDB_INVALID_PARAMETER', () => {
    expect(codeOf(() => replicaConfig({ dbName: '', classes: [] }))).toBe('TDB_INVALID_PARAMETER')
    expect(codeOf(() => replicaConfig({ dbName: 'r', classes: [], waitDataTimeoutMs: 0 }))).toBe(
      'TDB_INVALID_PARAMETER',
    )
    expect(codeOf(() => replicaConfig({ dbName: 'r', classes: [], forceSync: 1 as never }))).toBe(
      'TDB_INVALID_PARAMETER',
    )
    expect(codeOf(() => replicaConfig({ dbName: 'r', classes: 'x' as never }))).toBe(
      'TDB_INVALID_PARAMETER',
    )
  })
})

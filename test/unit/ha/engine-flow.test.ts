/**
 * The cores against real Engines (DESIGN.md "Replication": partial replication, hot load,
 * live stream), the eXtremeDB hafilter sample: master `filtermstdb` (T4 local) and replica
 * `filterrpldb` (T1 local) from schema/. A small driver plays the runtime: master commits go
 * through a commit hook into the MasterCore, frames through the codec, and the replica's
 * apply effects run on its Engine. The replica must end with exactly the master's T2 and T3,
 * no T1 (local on the replica) and no T4 (local on the master).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ProtocolError } from '../../../src/errors.js'
import { decodeMessage, encodeMessage } from '../../../src/ha/codec.js'
import { MasterCore } from '../../../src/ha/master.js'
import { masterConfig } from '../../../src/ha/master-config.js'
import type { Message } from '../../../src/ha/messages.js'
import type { ReplicaApply } from '../../../src/ha/ready.js'
import { ReplicaCore } from '../../../src/ha/replica.js'
import { replicaConfig } from '../../../src/ha/replica-config.js'
import { loadDictionary } from '../../../src/schema/load-dictionary.js'
import type { CommitRecord } from '../../../src/txn/commit-hook.js'
import { Engine } from '../../../src/txn/engine.js'
import { classInfos, engineView } from '../../../src/node/ha-engine.js'

const schemaDir = join(import.meta.dirname, '..', '..', '..', 'schema')

function engineOf(file: string): Engine {
  const dictionary = loadDictionary(readFileSync(join(schemaDir, file), 'utf8'), file)
  return new Engine({ dictionary, memorySize: 8 << 20 })
}

function perform(engine: Engine, effect: ReplicaApply): bigint | null {
  const isLocal = (skip: readonly number[]) => (id: number) => skip.includes(id)
  switch (effect.kind) {
    case 'clear':
      engine.clear()
      engine.setSequencer(0n)
      return null
    case 'loadObjects':
      engine.loadObjects(effect.ops, isLocal(effect.skipClassIds))
      return null
    case 'applyChangeSet':
      return engine.applyChangeSet(effect.changeSet, { isLocal: isLocal(effect.skipClassIds) })
    case 'setSequencer':
      engine.setSequencer(effect.seq)
      return effect.seq
    case 'extend':
      engine.extend(effect.bytes)
      return null
  }
}

/** Objects of a class as (oid, values), without the rid (which differs between engines). */
function contentOf(engine: Engine, classId: number): string {
  const ops = engine.scan(null, 1_000_000).ops.filter((op) => op[1] === classId)
  return JSON.stringify(ops.map((op) => [op[2], op[0] === 3 ? null : op[4]]).sort())
}

describe('cores over real Engines: the hafilter sample (DESIGN.md "Replication")', () => {
  it('hot-loads and streams only the classes both sides replicate', () => {
    const masterDb = engineOf('filtermstdb.mco')
    const replicaDb = engineOf('filterrpldb.mco')
    const master = new MasterCore(
      masterConfig({ classes: classInfos(masterDb.dictionary), transLogLength: 0, hotsyncMsgObjects: 7 }),
      engineView(masterDb),
    )
    const records: CommitRecord[] = []
    masterDb.addHook({
      name: 'ha-test',
      checkWrite: () => master.checkWrite(),
      onCommit: (record) => records.push(record),
      onExtend: (bytes) => master.step({ kind: 'extended', bytes }),
    })
    const writeRound = (round: number) => {
      masterDb.write((tx) => {
        for (const cls of ['T1', 'T2', 'T3', 'T4']) tx.insert(cls, { key: round * 10 + cls.length })
      })
      for (const record of records.splice(0)) master.step({ kind: 'committed', record })
    }
    for (let round = 0; round < 10; round++) writeRound(round)

    const replica = new ReplicaCore(
      replicaConfig({ dbName: 'filterrpldb', classes: classInfos(replicaDb.dictionary) }),
      { seq: replicaDb.getSequencer(), generation: 0 },
    )
    const toReplica: Uint8Array[] = []
    const toMaster: Uint8Array[] = []
    const notes: string[] = []
    const settle = () => {
      for (let moved = true; moved; ) {
        moved = false
        while (master.hasReady()) {
          const ready = master.ready()
          for (const out of ready.messages) toReplica.push(encodeMessage(out.message))
          master.advance(ready)
          moved = true
        }
        while (replica.hasReady()) {
          const ready = replica.ready()
          const answers = ready.applies.map((effect) => perform(replicaDb, effect))
          for (const message of ready.messages) toMaster.push(encodeMessage(message))
          notes.push(...ready.notifications.map((n) => n.name))
          replica.advance(ready)
          for (const seq of answers) if (seq !== null) replica.step({ kind: 'applied', seq })
          moved = true
        }
        const frame = toReplica.shift() ?? null
        if (frame !== null) {
          replica.step({ kind: 'received', message: decoded(frame) })
          moved = true
        }
        const back = toMaster.shift() ?? null
        if (back !== null) {
          master.step({ kind: 'received', conn: 1, message: decoded(back) })
          moved = true
        }
      }
    }

    master.step({ kind: 'connected', conn: 1, channel: ':mem:1' })
    replica.step({ kind: 'connected' })
    settle() // the first batch only: later ones go out on ticks
    for (let tick = 1; tick <= 20; tick++) {
      writeRound(100 + tick) // commits race the load
      master.step({ kind: 'tick', nowMs: tick * 10 })
      replica.step({ kind: 'tick', nowMs: tick * 10 })
      settle()
    }
    masterDb.extend(1 << 20)
    settle()

    expect(replica.state).toBe('streaming')
    expect(notes).toEqual([
      'CONNECTED',
      'DB_LOAD_BEGIN',
      'HOTSYNC',
      'EOHOTSYNC',
      'DB_LOAD_OK',
      'MASTER_DB_EXTENDED',
    ])
    expect(replicaDb.getSequencer()).toBe(masterDb.getSequencer())
    for (const classId of [2, 3]) {
      expect(contentOf(replicaDb, classId)).toBe(contentOf(masterDb, classId))
    }
    expect(JSON.parse(contentOf(masterDb, 1))).toHaveLength(30)
    expect(contentOf(replicaDb, 1)).toBe('[]')
    expect(contentOf(replicaDb, 4)).toBe('[]')
    expect(replicaDb.memory.sizeBytes).toBe(masterDb.memory.sizeBytes)
    expect(master.status().replicas[0]).toMatchObject({ state: 'streaming', lagTransactions: 0n })
  })
})

function decoded(frame: Uint8Array): Message {
  const message = decodeMessage(frame)
  if (message instanceof ProtocolError) throw message
  return message
}

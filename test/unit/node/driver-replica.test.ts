/**
 * Checks the replica driver (STYLE 5.3; DESIGN "Replication": the replica applies the
 * master's change sets in order) with a real ReplicaCore, a manual clock, a recording link and
 * a fake engine: applies reach the engine with the replica's local classes skipped, `applied`
 * answers re-enter through the queue so the Ack goes out after the apply, and an engine that
 * refuses a change set stops the session (COMMIT_FAILED, Detach to the master, stop reason
 * CONNECTION_ABORTED with the engine's code), as does a malformed frame.
 */
import { describe, expect, it } from 'vitest'
import { StoreError } from '../../../src/errors.js'
import { decodeMessage, encodeMessage } from '../../../src/ha/codec.js'
import { AttachAccepted, Change } from '../../../src/ha/messages.js'
import type { Message } from '../../../src/ha/messages.js'
import type { Notification } from '../../../src/ha/notify.js'
import { ReplicaCore } from '../../../src/ha/replica.js'
import { replicaConfig } from '../../../src/ha/replica-config.js'
import type { Clock } from '../../../src/node/clock.js'
import { ReplicaDriver } from '../../../src/node/driver-replica.js'
import type { HaEngine } from '../../../src/node/ha-engine.js'
import { encodeChangeSet } from '../../../src/txn/change-set.js'

const clock: Clock = { nowMs: () => 0, every: () => () => undefined }
const classes = [
  { id: 1, shapeHash: 'a', local: false },
  { id: 2, shapeHash: 'b', local: true },
]

function setup(failApply: boolean) {
  const log: string[] = []
  const sent: Message[] = []
  const notes: Notification[] = []
  let stopped: { reason: number; code: string | null } | null = null
  let seq = 0n
  const engine = {
    getSequencer: () => seq,
    applyChangeSet(bytes: Uint8Array, options?: { isLocal?: (id: number) => boolean }) {
      const skips = [1, 2].filter((id) => options?.isLocal?.(id) === true)
      log.push(`apply ${bytes.byteLength > 0} skip ${skips.join(',')}`)
      if (failApply) throw new StoreError('TDB_OUT_OF_MEMORY', 'out of memory')
      seq += 1n
    },
  } as unknown as HaEngine
  const core = new ReplicaCore(replicaConfig({ dbName: 'db', classes }), { seq: 0n, generation: 0 })
  const driver = new ReplicaDriver(core, clock, engine, {
    notify: (n) => notes.push(n),
    stepped: () => undefined,
    stopped: (s) => (stopped = s),
  })
  driver.connected({
    send: (frame) => {
      const message = decodeMessage(frame)
      if (message instanceof Error) throw message
      sent.push(message)
      log.push(`send ${message.kind}`)
    },
    close: () => log.push('close'),
  })
  const accepted = AttachAccepted.create({
    mode: 'sync',
    windowSize: 1,
    sync: 'equal',
    masterSeq: 0n,
    memorySizeBytes: 1 << 20,
    generation: 0,
  })
  driver.frame(encodeMessage(accepted))
  const change = encodeChangeSet({ seq: 1n, ops: [[1, 1, 5, 0, [1]]] })
  return { driver, log, sent, notes, change, stopped: () => stopped }
}

describe('ReplicaDriver (STYLE 5.3: step, apply, answer, send)', () => {
  it('applies with local classes skipped, then acks after the apply', () => {
    const { driver, log, change } = setup(false)
    driver.frame(encodeMessage(Change.create({ seq: 1n, changeSet: change, ack: true })))
    expect(log).toEqual(['send Attach', 'apply true skip 2', 'send Ack'])
  })

  it('stops the session when the engine refuses a change set', () => {
    const { driver, log, sent, notes, change, stopped } = setup(true)
    driver.frame(encodeMessage(Change.create({ seq: 1n, changeSet: change, ack: true })))
    expect(log).toEqual(['send Attach', 'apply true skip 2', 'send Detach', 'close'])
    expect(sent.at(-1)?.kind).toBe('Detach')
    expect(notes.map((n) => n.name)).toContain('COMMIT_FAILED')
    expect(stopped()).toEqual({ reason: 0, code: 'TDB_OUT_OF_MEMORY' })
  })

  it('closes the link on a malformed frame and stops with its decoding error', () => {
    const { driver, log, stopped } = setup(false)
    driver.frame(Uint8Array.of(0xc1))
    expect(log).toEqual(['send Attach', 'close'])
    driver.disconnected(null)
    expect(stopped()).toEqual({ reason: 0, code: 'TDB_FRAME_MALFORMED' })
  })
})

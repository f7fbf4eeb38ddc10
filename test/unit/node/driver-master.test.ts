/**
 * Checks the master driver's loop (STYLE 5.3, DESIGN "Replication"): with a manual clock and
 * a recording core, the order in which inputs reach the core and effects leave it. A tick of
 * the new time goes before a network input, never before a commit (the engine already holds
 * the commit: a tick could scan it into a hot-load batch before the core hears of it); Ready
 * effects are performed in their documented order; a malformed frame closes the connection
 * and its disconnect carries the decoding error.
 */
import { describe, expect, it } from 'vitest'
import { encodeMessage } from '../../../src/ha/codec.js'
import type { ConnId, MasterInput } from '../../../src/ha/inputs.js'
import { Ack, KeepAlive } from '../../../src/ha/messages.js'
import { notification } from '../../../src/ha/notify.js'
import type { Core, MasterReady } from '../../../src/ha/ready.js'
import type { Clock } from '../../../src/node/clock.js'
import { MasterDriver } from '../../../src/node/driver-master.js'
import type { MasterTransport } from '../../../src/node/ha-transport.js'
import type { CommitRecord } from '../../../src/txn/commit-hook.js'

class ManualClock implements Clock {
  now = 100
  nowMs(): number {
    return this.now
  }
  every(): () => void {
    return () => undefined
  }
}

const EMPTY: MasterReady = {
  messages: [],
  asyncStreams: [],
  closes: [],
  commitOutcomes: [],
  notifications: [],
  stopped: false,
}

/** Records inputs; on `committed` it answers with one ready holding every kind of effect. */
class RecordingCore implements Core<MasterInput, MasterReady> {
  readonly inputs: MasterInput[] = []
  #ready: MasterReady | null = null
  step(input: MasterInput): void {
    this.inputs.push(input)
    if (input.kind !== 'committed') return
    this.#ready = {
      messages: [{ conn: 1, message: KeepAlive.create({}) }],
      asyncStreams: [{ conn: 2, fromSeq: input.record.seq, skipClassIds: [] }],
      closes: [3],
      commitOutcomes: [{ seq: input.record.seq, status: 'ok' }],
      notifications: [{ conn: 1, notification: notification('CONNECTED') }],
      stopped: true,
    }
  }
  hasReady(): boolean {
    return this.#ready !== null
  }
  ready(): MasterReady {
    return this.#ready ?? EMPTY
  }
  advance(): void {
    this.#ready = null
  }
  invariants(): void {}
}

function recordingTransport(log: string[]): MasterTransport {
  return {
    addresses: [],
    send: (conn: ConnId) => log.push(`send ${conn}`),
    close: (conn: ConnId) => log.push(`close ${conn}`),
    streamFrom: (handoff) => log.push(`stream ${handoff.conn}`),
    committed: () => undefined,
    checkWrite: () => undefined,
    counters: () => null,
    stop: async () => undefined,
  }
}

const record: CommitRecord = {
  seq: 7n,
  changeSet: new Uint8Array(0),
  hasLocal: false,
  origin: 'local',
  policy: 'no-sync',
}

describe('MasterDriver (STYLE 5.3: tick, step, perform, advance)', () => {
  it('ticks before network inputs of a new instant, never before a commit', () => {
    const clock = new ManualClock()
    const core = new RecordingCore()
    const log: string[] = []
    const sink = { outcome: () => undefined, notify: () => undefined, stopped: () => undefined }
    const driver = new MasterDriver(core, clock, sink)
    driver.start(recordingTransport(log), 5)
    clock.now = 110
    driver.events.connected(1, 'tcp', '127.0.0.1:1')
    clock.now = 120
    driver.input({ kind: 'committed', record })
    clock.now = 130
    driver.events.frame(1, encodeMessage(Ack.create({ seq: 7n })))
    expect(core.inputs.map((input) => input.kind)).toEqual([
      'tick',
      'connected',
      'committed',
      'tick',
      'received',
    ])
    expect(core.inputs[0]).toEqual({ kind: 'tick', nowMs: 110 })
    expect(core.inputs[3]).toEqual({ kind: 'tick', nowMs: 130 })
  })

  it('performs effects in order: messages, handoffs, closes, outcomes, notes, stopped', () => {
    const clock = new ManualClock()
    const core = new RecordingCore()
    const log: string[] = []
    const driver = new MasterDriver(core, clock, {
      outcome: (outcome) => log.push(`outcome ${outcome.seq}`),
      notify: (conn, note) => log.push(`notify ${conn} ${note.name}`),
      stopped: () => log.push('stopped'),
    })
    driver.start(recordingTransport(log), 5)
    driver.input({ kind: 'committed', record })
    expect(log).toEqual([
      'send 1',
      'stream 2',
      'close 3',
      'outcome 7',
      'notify 1 CONNECTED',
      'stopped',
    ])
  })

  it('closes a connection that sent a malformed frame and reports the decoding error', () => {
    const core = new RecordingCore()
    const log: string[] = []
    const sink = { outcome: () => undefined, notify: () => undefined, stopped: () => undefined }
    const driver = new MasterDriver(core, new ManualClock(), sink)
    driver.start(recordingTransport(log), 5)
    driver.events.frame(4, Uint8Array.of(0xc1, 0xff, 0x00))
    expect(log).toEqual(['close 4'])
    expect(core.inputs).toEqual([])
    driver.events.disconnected(4, null)
    expect(core.inputs).toEqual([{ kind: 'disconnected', conn: 4, code: 'TDB_FRAME_MALFORMED' }])
  })
})

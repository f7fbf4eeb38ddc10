/**
 * A bad peer never crashes a core (DESIGN.md "Testing": bad input; STYLE.md 5.3: drop bad
 * input, check invariants after every step). fast-check drives a MasterCore with random
 * connections, commits, ticks and messages from replicas (plausible ones and arbitrary ones),
 * and a ReplicaCore with random master messages while a stand-in runtime answers its applies;
 * no step may throw (every step also runs the core's invariants), and a core that refuses a
 * peer closes it or stops.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as M from '../../../src/ha/messages.js'
import { encodeChangeSet } from '../../../src/txn/change-set.js'
import { anyMessage } from './arbitraries.js'
import { makeMaster, makeReplica, REPLICA_CLASSES, takeMaster } from './fixtures.js'

const smallSeq = fc.bigInt({ min: 0n, max: 12n })

const fromReplica = fc.oneof(
  fc
    .record({ seq: smallSeq, generation: fc.nat({ max: 2 }), forceSync: fc.boolean() })
    .map((f) =>
      M.Attach.create({
        protocolVersion: M.PROTOCOL_VERSION,
        dbName: 'r',
        classes: REPLICA_CLASSES,
        filter: true,
        ...f,
      }),
    ),
  smallSeq.map((seq) => M.Ack.create({ seq })),
  fc.constant(M.Detach.create({ message: 'bye' })),
  anyMessage,
)

type MasterStep =
  | { kind: 'connect'; conn: number }
  | { kind: 'receive'; conn: number; message: M.Message }
  | { kind: 'disconnect'; conn: number }
  | { kind: 'commit' }
  | { kind: 'tick'; ms: number }
  | { kind: 'command'; which: 'commitWindow' | 'detachAll' | 'stop' }

const conn = fc.integer({ min: 1, max: 3 })
const receive = fc
  .tuple(conn, fromReplica)
  .map(([c, message]) => ({ kind: 'receive' as const, conn: c, message }))
const masterStep: fc.Arbitrary<MasterStep> = fc.oneof(
  conn.map((c) => ({ kind: 'connect' as const, conn: c })),
  receive,
  receive,
  conn.map((c) => ({ kind: 'disconnect' as const, conn: c })),
  fc.constant({ kind: 'commit' as const }),
  fc.integer({ min: 1, max: 3000 }).map((ms) => ({ kind: 'tick' as const, ms })),
  fc
    .constantFrom('commitWindow' as const, 'detachAll' as const, 'stop' as const)
    .map((which) => ({ kind: 'command' as const, which })),
)

const fromMaster = fc.oneof(
  fc
    .record({
      sync: fc.constantFrom('equal' as const, 'stateful' as const, 'full' as const),
      masterSeq: smallSeq,
    })
    .map((f) =>
      M.AttachAccepted.create({
        mode: 'sync',
        windowSize: 1,
        memorySizeBytes: 1,
        generation: 0,
        ...f,
      }),
    ),
  smallSeq.map((masterSeq) => M.LoadBegin.create({ masterSeq, batchObjects: 10 })),
  fc.nat({ max: 50 }).map((oid) => M.LoadBatch.create({ ops: [[1, 1, oid, oid, ['x']]] })),
  smallSeq.map((seq) => M.LoadEnd.create({ seq })),
  fc
    .tuple(smallSeq, smallSeq)
    .map(([fromSeq, toSeq]) => M.StatefulBegin.create({ fromSeq, toSeq })),
  smallSeq.map((seq) => M.StatefulEnd.create({ seq })),
  fc
    .tuple(smallSeq, fc.boolean())
    .map(([seq, ack]) =>
      M.Change.create({ seq, changeSet: encodeChangeSet({ seq, ops: [] }), ack }),
    ),
  smallSeq.map((seq) => M.AckRequest.create({ seq })),
  fc.constant(M.KeepAlive.create({})),
  fc.nat({ max: 4096 }).map((bytes) => M.Extend.create({ bytes })),
  fc.constant(M.Detach.create({ message: 'bye' })),
  anyMessage,
)

describe('bad peers (DESIGN.md "Testing": bad input)', () => {
  it('a MasterCore survives any sequence of replica behaviour', () => {
    fc.assert(
      fc.property(fc.array(masterStep, { maxLength: 60 }), (steps) => {
        const { master, db } = makeMaster({ transLogLength: 4, hotsyncMsgObjects: 2 })
        const open = new Set<number>()
        let nowMs = 0
        for (const step of steps) {
          if (step.kind === 'connect') {
            if (open.has(step.conn)) continue
            open.add(step.conn)
            master.step({ kind: 'connected', conn: step.conn, channel: 'x' })
          } else if (step.kind === 'receive') {
            if (!open.has(step.conn)) continue
            master.step({ kind: 'received', conn: step.conn, message: step.message })
          } else if (step.kind === 'disconnect') {
            if (!open.delete(step.conn)) continue
            master.step({ kind: 'disconnected', conn: step.conn, code: null })
          } else if (step.kind === 'commit') {
            master.step({ kind: 'committed', record: db.insertMany(1 + (Number(db.seq) % 3), 1) })
          } else if (step.kind === 'tick') {
            nowMs += step.ms
            master.step({ kind: 'tick', nowMs })
          } else {
            master.step({ kind: step.which })
          }
          const ready = takeMaster(master)
          for (const closed of ready.closes) {
            open.delete(closed)
            master.step({ kind: 'disconnected', conn: closed, code: null })
            takeMaster(master)
          }
        }
        const outcomes = master.status().commitsWaiting
        expect(outcomes).toBeLessThanOrEqual(Number(db.seq))
      }),
      { numRuns: 400 },
    )
  })

  it('a ReplicaCore survives any sequence of master messages, stopping on nonsense', () => {
    fc.assert(
      fc.property(
        smallSeq,
        fc.array(fc.oneof(fromMaster, fromMaster, fc.integer({ min: 1, max: 5000 })), {
          maxLength: 40,
        }),
        (startSeq, inputs) => {
          const replica = makeReplica({}, { seq: startSeq, generation: 0 })
          replica.step({ kind: 'connected' })
          let nowMs = 0
          for (const input of inputs) {
            if (typeof input === 'number') {
              nowMs += input
              replica.step({ kind: 'tick', nowMs })
            } else {
              replica.step({ kind: 'received', message: input })
            }
            const ready = replica.ready()
            replica.advance(ready)
            for (const effect of ready.applies) {
              if (effect.kind === 'applyChangeSet' || effect.kind === 'setSequencer') {
                replica.step({ kind: 'applied', seq: effect.seq })
              }
            }
          }
          expect(['idle', 'handshake', 'loading', 'catching-up', 'streaming', 'stopped']).toContain(
            replica.state,
          )
        },
      ),
      { numRuns: 600 },
    )
  })
})

/**
 * fast-check arbitraries for every replication message kind (codec and bad-peer tests).
 */
import fc from 'fast-check'
import { SEQ_MAX } from '../../../src/ha/codec.js'
import * as M from '../../../src/ha/messages.js'
import type { Message } from '../../../src/ha/messages.js'
import { encodeChangeSet } from '../../../src/txn/change-set.js'

export const seq = fc.bigInt({ min: 0n, max: SEQ_MAX })
const count = fc.nat({ max: Number.MAX_SAFE_INTEGER })
const op = fc.oneof(
  fc.tuple(fc.constantFrom(1 as const, 2 as const), fc.nat(), fc.nat(), fc.nat(),
    fc.array(fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)))),
  fc.tuple(fc.constant(3 as const), fc.nat(), fc.nat(), fc.nat()),
)
const classInfo = fc.record({
  id: fc.integer({ min: 1, max: 10_000 }),
  shapeHash: fc.string(),
  local: fc.boolean(),
})

/** One arbitrary per message kind, so that every kind is generated. */
export const messages: Record<M.MessageKind, fc.Arbitrary<Message>> = {
  Attach: fc
    .record({ protocolVersion: count, dbName: fc.string(), classes: fc.array(classInfo),
      filter: fc.boolean(), seq, generation: count, forceSync: fc.boolean() })
    .map((f) => M.Attach.create(f)),
  AttachAccepted: fc
    .record({ mode: fc.constantFrom('sync' as const, 'async' as const), windowSize: count,
      sync: fc.constantFrom('equal' as const, 'stateful' as const, 'full' as const),
      masterSeq: seq, memorySizeBytes: count, generation: count })
    .map((f) => M.AttachAccepted.create(f)),
  AttachRefused: fc
    .record({
      code: fc.constantFrom('TDB_DICTIONARY_MISMATCH' as const, 'TDB_MAX_REPLICAS' as const),
      message: fc.string(),
    })
    .map((f) => M.AttachRefused.create(f)),
  LoadBegin: fc.record({ masterSeq: seq, batchObjects: count }).map((f) => M.LoadBegin.create(f)),
  LoadBatch: fc.array(op).map((ops) => M.LoadBatch.create({ ops })),
  LoadEnd: seq.map((s) => M.LoadEnd.create({ seq: s })),
  StatefulBegin: fc.record({ fromSeq: seq, toSeq: seq }).map((f) => M.StatefulBegin.create(f)),
  StatefulEnd: seq.map((s) => M.StatefulEnd.create({ seq: s })),
  Change: fc
    .record({
      seq: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
      ops: fc.array(op),
      ack: fc.boolean(),
    })
    .map(({ seq: s, ops, ack }) =>
      M.Change.create({ seq: s, changeSet: encodeChangeSet({ seq: s, ops }), ack })),
  AckRequest: seq.map((s) => M.AckRequest.create({ seq: s })),
  Ack: seq.map((s) => M.Ack.create({ seq: s })),
  KeepAlive: fc.constant(M.KeepAlive.create({})),
  Detach: fc.string().map((message) => M.Detach.create({ message })),
  Extend: count.map((bytes) => M.Extend.create({ bytes })),
}
export const anyMessage = fc.oneof(...Object.values(messages))

/**
 * Snapshot files `snap-<seq>.tsnap`: the whole database at one seq, as the insert ops of every
 * object (engine `scan` order), in checksummed batches.
 *
 *   header  (32 bytes): magic u32 'TDBS' | version u32 | seq u64 | schema id u64 | 4 zero
 *                       bytes | crc32c u32 of the first 28 bytes
 *   batch   (repeated): length u32 (>= 1) | crc32c u32 of the payload | payload
 *           payload = an encoded change set (seq = the snapshot's) whose ops are inserts
 *   trailer (32 bytes): 0xFFFFFFFF u32 | batch count u32 | object count u64 | seq u64 |
 *                       4 zero bytes | crc32c u32 of the trailer's first 28 bytes
 * A snapshot is valid only when every check passes and the trailer ends the file; a snapshot is
 * written under a temporary name, fsynced, renamed and its directory fsynced, so a crash leaves
 * either the whole file or none.
 */
import { LogError, TandemError } from '../errors.js'
import type { ChangeOp } from '../txn/change-set.js'
import { decodeChangeSet, encodeChangeSet, OpKind } from '../txn/change-set.js'
import { assert } from '../util/assert.js'
import { crc32c } from './crc32c.js'
import type { LogEngine } from './log-engine.js'

export const SNAPSHOT_MAGIC = 0x53424454 // 'TDBS' read as little-endian u32
export const SNAPSHOT_VERSION = 1
const HEADER_BYTES = 32
const TRAILER_BYTES = 32
const BATCH_HEADER_BYTES = 8
const TRAILER_MARK = 0xffffffff
/** Objects per batch: small enough to keep one batch's encoding short. */
export const SNAPSHOT_BATCH_OBJECTS = 1024

/** A snapshot serialized in memory, ready to be written. */
export interface SerializedSnapshot {
  readonly seq: bigint
  readonly chunks: readonly Uint8Array[]
  readonly objectCount: number
  readonly bytes: number
}

/** Reads every object of the engine, synchronously, into snapshot bytes at the engine's seq. */
export function serializeSnapshot(
  engine: LogEngine,
  schemaId: bigint,
  batchObjects = SNAPSHOT_BATCH_OBJECTS,
) {
  assert(Number.isSafeInteger(batchObjects) && batchObjects >= 1, 'bad snapshot batch size')
  const seq = engine.getSequencer()
  const chunks: Uint8Array[] = [encodeBoundary(false, seq, 0, schemaId)]
  let objectCount = 0
  let from = null as Parameters<LogEngine['scan']>[0]
  do {
    const { ops, next } = engine.scan(from, batchObjects)
    assert(ops.length <= batchObjects, 'scan returned more objects than asked')
    if (ops.length > 0) {
      chunks.push(encodeBatch(seq, ops))
      objectCount += ops.length
    }
    assert(next === null || ops.length > 0, 'scan made no progress')
    from = next
  } while (from !== null)
  assert(engine.getSequencer() === seq, 'the database changed during a snapshot')
  chunks.push(encodeBoundary(true, seq, chunks.length - 1, BigInt(objectCount)))
  const bytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0)
  const snapshot: SerializedSnapshot = { seq, chunks, objectCount, bytes }
  return snapshot
}

function encodeBatch(seq: bigint, ops: readonly ChangeOp[]): Uint8Array {
  const payload = encodeChangeSet({ seq, ops })
  const batch = new Uint8Array(BATCH_HEADER_BYTES + payload.length)
  const view = new DataView(batch.buffer)
  view.setUint32(0, payload.length, true)
  view.setUint32(4, crc32c(payload), true)
  batch.set(payload, BATCH_HEADER_BYTES)
  return batch
}

/**
 * The header (`trailer` false; `word` is the schema id) or the trailer (`word` is the object
 * count) of a snapshot.
 */
function encodeBoundary(trailer: boolean, seq: bigint, batches: number, word: bigint) {
  const bytes = new Uint8Array(trailer ? TRAILER_BYTES : HEADER_BYTES)
  const view = new DataView(bytes.buffer)
  if (trailer) {
    view.setUint32(0, TRAILER_MARK, true)
    view.setUint32(4, batches, true)
    view.setBigUint64(8, word, true)
    view.setBigUint64(16, seq, true)
  } else {
    view.setUint32(0, SNAPSHOT_MAGIC, true)
    view.setUint32(4, SNAPSHOT_VERSION, true)
    view.setBigUint64(8, seq, true)
    view.setBigUint64(16, word, true)
  }
  view.setUint32(28, crc32c(bytes, 0, 28), true)
  return bytes
}

/** A snapshot read back and checked: its seq and its objects, batch by batch. */
export interface LoadedSnapshot {
  readonly seq: bigint
  /** The schema id the snapshot was written with (0: unchecked). */
  readonly schemaId: bigint
  readonly batches: readonly (readonly ChangeOp[])[]
  readonly objectCount: number
}

/**
 * Parses and checks a whole snapshot file. Any failed check is a LogError TDB_LOG_CORRUPT
 * naming the file and the offset; nothing of a bad snapshot is returned.
 */
export function parseSnapshot(file: string, bytes: Uint8Array): LoadedSnapshot {
  const corrupt = (offset: number, what: string): LogError =>
    new LogError('TDB_LOG_CORRUPT', `snapshot ${file} is invalid at offset ${offset}: ${what}`, {
      file,
      offset,
    })
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length)
  if (bytes.length < HEADER_BYTES + TRAILER_BYTES) throw corrupt(0, 'file too short')
  if (view.getUint32(28, true) !== crc32c(bytes, 0, 28)) throw corrupt(0, 'header checksum')
  if (view.getUint32(0, true) !== SNAPSHOT_MAGIC) throw corrupt(0, 'not a snapshot')
  if (view.getUint32(4, true) !== SNAPSHOT_VERSION) throw corrupt(4, 'unknown version')
  const seq = view.getBigUint64(8, true)
  const schemaId = view.getBigUint64(16, true)
  const batches: ChangeOp[][] = []
  let objectCount = 0
  let offset = HEADER_BYTES
  const atBatch = (at: number): boolean =>
    at + BATCH_HEADER_BYTES <= bytes.length && view.getUint32(at, true) !== TRAILER_MARK
  while (atBatch(offset)) {
    const length = view.getUint32(offset, true)
    const end = offset + BATCH_HEADER_BYTES + length
    if (length < 1 || end > bytes.length) throw corrupt(offset, 'batch length')
    if (view.getUint32(offset + 4, true) !== crc32c(bytes, offset + BATCH_HEADER_BYTES, end)) {
      throw corrupt(offset, 'batch checksum')
    }
    const ops = decodeBatch(bytes.subarray(offset + BATCH_HEADER_BYTES, end), seq, () =>
      corrupt(offset, 'batch does not decode to inserts of this snapshot'),
    )
    batches.push(ops)
    objectCount += ops.length
    offset = end
  }
  checkTrailer(view, bytes, offset, { seq, batches: batches.length, objectCount }, corrupt)
  return { seq, schemaId, batches, objectCount }
}

function decodeBatch(payload: Uint8Array, seq: bigint, corrupt: () => LogError): ChangeOp[] {
  let decoded
  try {
    decoded = decodeChangeSet(payload)
  } catch (error) {
    if (error instanceof TandemError) throw corrupt()
    throw error
  }
  if (decoded.seq !== seq || decoded.ops.some((op) => op[0] !== OpKind.insert)) throw corrupt()
  return decoded.ops as ChangeOp[]
}

function checkTrailer(
  view: DataView,
  bytes: Uint8Array,
  offset: number,
  expected: { seq: bigint; batches: number; objectCount: number },
  corrupt: (offset: number, what: string) => LogError,
): void {
  if (offset + TRAILER_BYTES !== bytes.length) throw corrupt(offset, 'missing or cut trailer')
  if (view.getUint32(offset + 28, true) !== crc32c(bytes, offset, offset + 28)) {
    throw corrupt(offset, 'trailer checksum')
  }
  const matches =
    view.getUint32(offset + 4, true) === expected.batches &&
    view.getBigUint64(offset + 8, true) === BigInt(expected.objectCount) &&
    view.getBigUint64(offset + 16, true) === expected.seq
  if (!matches) throw corrupt(offset, 'trailer does not match the batches')
}

/**
 * The records the master's main thread writes into the async ring and the sender worker
 * reads (see async-sender.ts for the protocol around them). Little-endian, fixed headers:
 *
 * - `change`  [1, hasLocal, 0, 0, seq: u64] + change-set bytes — one committed change set
 *   (or the last piece of one that was cut into parts);
 * - `part`    [2, 0, 0, 0] + bytes — a leading piece of a change set too large for one
 *   record; the worker joins the parts with the `change` record that follows;
 * - `stream`  [3, 0, 0, 0, conn: u32, controlCount: u32, fromSeq: u64, skipCount: u32,
 *   skipClassIds: u32 * skipCount] — from this point of the ring on, connection `conn` is
 *   streaming: it gets every change set above `fromSeq`, once the worker has handled the
 *   first `controlCount` control messages the main thread posted for it.
 */
import { ProtocolError } from '../errors.js'
import { assert } from '../util/assert.js'

export const RecordType = { change: 1, part: 2, stream: 3 } as const

export const CHANGE_HEADER_BYTES = 12
export const PART_HEADER_BYTES = 4
const STREAM_FIXED_BYTES = 24

export type AsyncRecord =
  | {
      readonly type: 'change'
      readonly seq: bigint
      readonly hasLocal: boolean
      readonly bytes: Uint8Array
    }
  | { readonly type: 'part'; readonly bytes: Uint8Array }
  | {
      readonly type: 'stream'
      readonly conn: number
      readonly controlCount: number
      readonly fromSeq: bigint
      readonly skipClassIds: readonly number[]
    }

/**
 * Writes the header of a `change` record into `header` (CHANGE_HEADER_BYTES long, reused by
 * the caller across commits); the change-set bytes follow it as a second part.
 */
export function writeChangeHeader(header: Uint8Array, seq: bigint, hasLocal: boolean): Uint8Array {
  assert(header.byteLength === CHANGE_HEADER_BYTES, 'change header buffer has the wrong size')
  assert(seq >= 0n && seq < 2n ** 64n, 'change seq out of u64 range')
  header[0] = RecordType.change
  header[1] = hasLocal ? 1 : 0
  new DataView(header.buffer, header.byteOffset, CHANGE_HEADER_BYTES).setBigUint64(4, seq, true)
  return header
}

/** The header of a `part` record. */
export function partHeader(): Uint8Array {
  return Uint8Array.of(RecordType.part, 0, 0, 0)
}

/** A whole `stream` record. */
export function streamRecord(
  conn: number,
  controlCount: number,
  fromSeq: bigint,
  skipClassIds: readonly number[],
): Uint8Array {
  assert(Number.isInteger(conn) && conn >= 0 && conn < 2 ** 32, 'stream conn out of u32 range')
  assert(Number.isInteger(controlCount) && controlCount >= 0, 'stream control count invalid')
  assert(fromSeq >= 0n && fromSeq < 2n ** 64n, 'stream fromSeq out of u64 range')
  const record = new Uint8Array(STREAM_FIXED_BYTES + 4 * skipClassIds.length)
  const view = new DataView(record.buffer)
  record[0] = RecordType.stream
  view.setUint32(4, conn, true)
  view.setUint32(8, controlCount, true)
  view.setBigUint64(12, fromSeq, true)
  view.setUint32(20, skipClassIds.length, true)
  skipClassIds.forEach((id, i) => view.setUint32(STREAM_FIXED_BYTES + 4 * i, id, true))
  return record
}

/** Decodes a record read from the ring; a malformed one is a ProtocolError (a bug upstream). */
export function decodeAsyncRecord(record: Uint8Array): AsyncRecord {
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength)
  switch (record[0]) {
    case RecordType.change:
      need(record, CHANGE_HEADER_BYTES)
      return {
        type: 'change',
        hasLocal: record[1] === 1,
        seq: view.getBigUint64(4, true),
        bytes: record.subarray(CHANGE_HEADER_BYTES),
      }
    case RecordType.part:
      need(record, PART_HEADER_BYTES)
      return { type: 'part', bytes: record.subarray(PART_HEADER_BYTES) }
    case RecordType.stream: {
      need(record, STREAM_FIXED_BYTES)
      const skipCount = view.getUint32(20, true)
      need(record, STREAM_FIXED_BYTES + 4 * skipCount)
      const skipClassIds: number[] = []
      for (let i = 0; i < skipCount; i++) {
        skipClassIds.push(view.getUint32(STREAM_FIXED_BYTES + 4 * i, true))
      }
      return {
        type: 'stream',
        conn: view.getUint32(4, true),
        controlCount: view.getUint32(8, true),
        fromSeq: view.getBigUint64(12, true),
        skipClassIds,
      }
    }
    default:
      throw new ProtocolError('TDB_FRAME_MALFORMED', `async ring record type ${record[0]}`)
  }
}

function need(record: Uint8Array, bytes: number): void {
  if (record.byteLength < bytes) {
    throw new ProtocolError('TDB_FRAME_MALFORMED', 'async ring record cut short', {
      length: record.byteLength,
      need: bytes,
    })
  }
}

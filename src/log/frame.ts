/**
 * The on-disk framing of the transaction log (DESIGN.md "Commit policies and the log").
 *
 * A segment file starts with a 32-byte header:
 *   magic u32 'TDBL' | version u32 | first seq u64 | schema id u64 | 4 zero bytes |
 *   crc32c u32 of bytes 0..28
 * (the schema id identifies the dictionary the records were written with; 0 = unchecked)
 * then holds records back to back, each:
 *   payload length u32 | crc32c u32 over (seq u64 + payload) | seq u64 | payload (a change set)
 * All integers are little-endian. A payload is never empty, so an all-zero record header (the
 * preallocated, never written part of a segment) is never a valid record.
 */
import { assert } from '../util/assert.js'
import { crc32c } from './crc32c.js'

export const SEGMENT_MAGIC = 0x4c424454 // 'TDBL' read as little-endian u32
export const SEGMENT_VERSION = 1
export const SEGMENT_HEADER_BYTES = 32
export const RECORD_HEADER_BYTES = 16
/** The largest payload a record may carry; a longer length field is corruption. */
export const MAX_RECORD_PAYLOAD_BYTES = 1 << 30

/** The bytes of a segment header for a segment whose first record has `firstSeq`. */
export function encodeSegmentHeader(firstSeq: bigint, schemaId = 0n): Uint8Array {
  assert(firstSeq >= 1n, 'a segment starts at seq 1 or later')
  const header = new Uint8Array(SEGMENT_HEADER_BYTES)
  const view = new DataView(header.buffer)
  view.setUint32(0, SEGMENT_MAGIC, true)
  view.setUint32(4, SEGMENT_VERSION, true)
  view.setBigUint64(8, firstSeq, true)
  view.setBigUint64(16, schemaId, true)
  view.setUint32(28, crc32c(header, 0, 28), true)
  const decoded = decodeSegmentHeader(header)
  assert(decoded?.firstSeq === firstSeq && decoded.schemaId === schemaId, 'bad segment header')
  return header
}

/** What a segment header says, or null when the header is short or fails a check. */
export function decodeSegmentHeader(
  bytes: Uint8Array,
): { readonly firstSeq: bigint; readonly schemaId: bigint } | null {
  if (bytes.length < SEGMENT_HEADER_BYTES) return null
  const view = new DataView(bytes.buffer, bytes.byteOffset, SEGMENT_HEADER_BYTES)
  if (view.getUint32(28, true) !== crc32c(bytes, 0, 28)) return null
  if (view.getUint32(0, true) !== SEGMENT_MAGIC) return null
  if (view.getUint32(4, true) !== SEGMENT_VERSION) return null
  const firstSeq = view.getBigUint64(8, true)
  return firstSeq >= 1n ? { firstSeq, schemaId: view.getBigUint64(16, true) } : null
}

/** The number of bytes the record of a payload of `payloadBytes` takes on disk. */
export function recordBytes(payloadBytes: number): number {
  return RECORD_HEADER_BYTES + payloadBytes
}

const MAX_SEQ = (1n << 64n) - 1n

/**
 * Writes the record (seq, payload) into `target` at `offset`; returns the offset after it.
 * `view` is a DataView over the whole of `target` (kept by the caller: this is the commit
 * path). `target` must have room for `recordBytes(payload.length)` bytes.
 */
export function encodeRecordInto(
  target: Uint8Array,
  view: DataView,
  offset: number,
  seq: bigint,
  payload: Uint8Array,
): number {
  assert(payload.length >= 1 && payload.length <= MAX_RECORD_PAYLOAD_BYTES, 'bad payload size')
  assert(seq >= 1n && seq <= MAX_SEQ, 'record seq out of range')
  const end = offset + RECORD_HEADER_BYTES + payload.length
  assert(end <= target.length && view.byteLength === target.length, 'record does not fit')
  view.setUint32(offset, payload.length, true)
  view.setBigUint64(offset + 8, seq, true)
  target.set(payload, offset + RECORD_HEADER_BYTES)
  view.setUint32(offset + 4, crc32c(target, offset + 8, end), true)
  return end
}

/** A record read back: its seq, its payload (a view into the segment bytes) and its end. */
export interface DecodedRecord {
  readonly seq: bigint
  readonly payload: Uint8Array
  /** The offset just past the record. */
  readonly end: number
}

/**
 * What lies at `offset` of a segment's bytes: a valid record, the clean end of the log (no
 * bytes left, or only zero bytes: preallocated space never written), or a bad record (a cut
 * header or payload, or a checksum mismatch).
 */
export type RecordAt =
  | { readonly kind: 'record'; readonly record: DecodedRecord }
  | { readonly kind: 'end' }
  | { readonly kind: 'bad' }

export function readRecordAt(bytes: Uint8Array, offset: number): RecordAt {
  assert(offset >= 0 && offset <= bytes.length, 'record offset out of bounds')
  if (isZeroFrom(bytes, offset)) return { kind: 'end' }
  const record = decodeRecord(bytes, offset)
  return record === null ? { kind: 'bad' } : { kind: 'record', record }
}

/** The record at `offset`, or null when it is cut short or fails its checksum. */
export function decodeRecord(bytes: Uint8Array, offset: number): DecodedRecord | null {
  if (offset + RECORD_HEADER_BYTES > bytes.length) return null
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, RECORD_HEADER_BYTES)
  const length = view.getUint32(0, true)
  if (length < 1 || length > bytes.length - offset - RECORD_HEADER_BYTES) return null
  const end = offset + RECORD_HEADER_BYTES + length
  if (view.getUint32(4, true) !== crc32c(bytes, offset + 8, end)) return null
  const seq = view.getBigUint64(8, true)
  if (seq < 1n) return null
  return { seq, payload: bytes.subarray(offset + RECORD_HEADER_BYTES, end), end }
}

/** True when every byte of `bytes` from `offset` on is zero (or there are none). */
export function isZeroFrom(bytes: Uint8Array, offset: number): boolean {
  for (let i = offset; i < bytes.length; i++) if (bytes[i] !== 0) return false
  return true
}

/**
 * The offset of the first valid record after `offset` whose seq lies in (afterSeq, afterSeq +
 * window], or -1. Used after a bad record to tell a torn tail (nothing valid follows) from
 * corruption in the middle (valid records follow). The seq window filters candidates cheaply
 * before the checksum, so a scan over a large tail stays linear in practice.
 */
export function findRecordAfter(
  bytes: Uint8Array,
  offset: number,
  afterSeq: bigint,
  window = 1n << 20n,
): number {
  assert(afterSeq >= 0n && window > 0n, 'bad record search bounds')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length)
  for (let at = offset + 1; at + RECORD_HEADER_BYTES < bytes.length; at++) {
    const length = view.getUint32(at, true)
    if (length < 1 || length > bytes.length - at - RECORD_HEADER_BYTES) continue
    const seq = view.getBigUint64(at + 8, true)
    if (seq <= afterSeq || seq > afterSeq + window) continue
    if (decodeRecord(bytes, at) !== null) return at
  }
  return -1
}

/**
 * The fixed-layout frames of the live stream: Change, Ack and AckRequest, the messages sent
 * once per commit. They skip msgpack: a 12-byte header, then (Change only) the change set's
 * length and its bytes as they are. The first byte is 0xc1, which msgpack never uses, so a
 * frame is unambiguously either fixed or msgpack. Used by codec.ts only.
 *
 * ```
 * 0      1        2    3      4             12          16
 * | 0xc1 | version | tag | flags | seq u64 BE | (Change) length u32 BE | change set ... |
 * ```
 *
 * `flags` bit 0 is Change.ack; every other bit, and every flag of Ack / AckRequest, is 0.
 * Decoding checks the version, the tag, the flags and the exact length, so that a truncated,
 * extended or corrupted header is a ProtocolError, never a wrong message.
 */
import { assert } from '../util/assert.js'
import { MESSAGE_KINDS, PROTOCOL_VERSION } from './messages.js'
import type { Ack, AckRequest, Change, Message } from './messages.js'

/** The first byte of a fixed frame (msgpack's one never-used byte). */
export const FIXED_FRAME_MARK = 0xc1
/** Bytes before a Change's change set; an Ack or AckRequest is the first 12 of them. */
export const FIXED_CHANGE_HEADER_BYTES = 16
const FIXED_SEQ_FRAME_BYTES = 12
const FLAG_ACK = 1
const TWO_POW_32 = 2 ** 32
const SEQ_MAX = 2n ** 64n - 1n
const TAG_CHANGE = MESSAGE_KINDS.indexOf('Change')
const TAG_ACK = MESSAGE_KINDS.indexOf('Ack')
const TAG_ACK_REQUEST = MESSAGE_KINDS.indexOf('AckRequest')

assert(TAG_CHANGE >= 0 && TAG_ACK >= 0 && TAG_ACK_REQUEST >= 0, 'fixed frame kinds exist')
assert(PROTOCOL_VERSION < 256, 'the protocol version fits the fixed header byte')

/** The messages that have a fixed layout. */
export type FixedMessage = Change | Ack | AckRequest

export function isFixedKind(message: Message): message is FixedMessage {
  return message.kind === 'Change' || message.kind === 'Ack' || message.kind === 'AckRequest'
}

/** Encodes a Change, Ack or AckRequest; an invalid one is a programmer error. */
export function encodeFixed(message: FixedMessage): Uint8Array {
  const seq = message.seq
  assert(typeof seq === 'bigint' && seq >= 0n && seq <= SEQ_MAX, `invalid ${message.kind}.seq`)
  if (message.kind !== 'Change') {
    const frame = new Uint8Array(FIXED_SEQ_FRAME_BYTES)
    writeHeader(frame, message.kind === 'Ack' ? TAG_ACK : TAG_ACK_REQUEST, 0, seq)
    return frame
  }
  const changeSet = message.changeSet
  assert(changeSet instanceof Uint8Array, 'invalid Change.changeSet: not bytes')
  assert(typeof message.ack === 'boolean', 'invalid Change.ack: not a boolean')
  const frame = new Uint8Array(FIXED_CHANGE_HEADER_BYTES + changeSet.byteLength)
  writeHeader(frame, TAG_CHANGE, message.ack ? FLAG_ACK : 0, seq)
  writeUint32(frame, FIXED_SEQ_FRAME_BYTES, changeSet.byteLength)
  frame.set(changeSet, FIXED_CHANGE_HEADER_BYTES)
  return frame
}

/**
 * Decodes a frame that starts with FIXED_FRAME_MARK, or returns why it is malformed. A
 * Change's change set is a view into `frame` (no copy): frames are never reused by the
 * channels, and nobody writes into a change set.
 */
export function decodeFixed(frame: Uint8Array): FixedMessage | string {
  assert(frame[0] === FIXED_FRAME_MARK, 'decodeFixed of a frame without the mark')
  if (frame.byteLength < FIXED_SEQ_FRAME_BYTES) return 'a fixed frame shorter than its header'
  if (frame[1] !== PROTOCOL_VERSION) {
    return `protocol version ${String(frame[1])}, expected ${PROTOCOL_VERSION}`
  }
  const tag = frame[2] as number
  const flags = frame[3] as number
  const seq = readSeq(frame)
  if (tag === TAG_CHANGE) return changeFrom(frame, flags, seq)
  if (tag !== TAG_ACK && tag !== TAG_ACK_REQUEST) return `unknown fixed message tag ${tag}`
  const kind = tag === TAG_ACK ? 'Ack' : 'AckRequest'
  if (flags !== 0) return `${kind} with flags ${flags}`
  if (frame.byteLength !== FIXED_SEQ_FRAME_BYTES) return `${kind} of ${frame.byteLength} bytes`
  return Object.freeze({ kind, seq })
}

function changeFrom(frame: Uint8Array, flags: number, seq: bigint): Change | string {
  if ((flags & ~FLAG_ACK) !== 0) return `Change with unknown flags ${flags}`
  if (frame.byteLength < FIXED_CHANGE_HEADER_BYTES) return 'a Change shorter than its header'
  const length = readUint32(frame, FIXED_SEQ_FRAME_BYTES)
  if (frame.byteLength !== FIXED_CHANGE_HEADER_BYTES + length) {
    return `Change.changeSet of ${length} bytes in a frame of ${frame.byteLength}`
  }
  const changeSet = frame.subarray(FIXED_CHANGE_HEADER_BYTES)
  return Object.freeze({ kind: 'Change', seq, changeSet, ack: flags === FLAG_ACK })
}

function writeHeader(frame: Uint8Array, tag: number, flags: number, seq: bigint): void {
  frame[0] = FIXED_FRAME_MARK
  frame[1] = PROTOCOL_VERSION
  frame[2] = tag
  frame[3] = flags
  // Sequencers stay far below 2^53 in practice; the bigint split is the general case.
  const high = seq <= BigInt(Number.MAX_SAFE_INTEGER) ? Math.floor(Number(seq) / TWO_POW_32) : -1
  if (high >= 0) {
    writeUint32(frame, 4, high)
    writeUint32(frame, 8, Number(seq) - high * TWO_POW_32)
  } else {
    writeUint32(frame, 4, Number(seq >> 32n))
    writeUint32(frame, 8, Number(seq & 0xffffffffn))
  }
}

function readSeq(frame: Uint8Array): bigint {
  const high = readUint32(frame, 4)
  const low = readUint32(frame, 8)
  // 2^21 * 2^32 = 2^53: below it the sequencer is exact as a number.
  if (high < 2 ** 21) return BigInt(high * TWO_POW_32 + low)
  return (BigInt(high) << 32n) | BigInt(low)
}

function writeUint32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 24
  bytes[offset + 1] = (value >>> 16) & 0xff
  bytes[offset + 2] = (value >>> 8) & 0xff
  bytes[offset + 3] = value & 0xff
}

function readUint32(bytes: Uint8Array, offset: number): number {
  const b0 = bytes[offset] as number
  const b1 = bytes[offset + 1] as number
  const b2 = bytes[offset + 2] as number
  const b3 = bytes[offset + 3] as number
  return ((b0 << 24) | (b1 << 16) | (b2 << 8) | b3) >>> 0
}

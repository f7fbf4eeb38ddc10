/**
 * The datagram format of the reliable udp channel. Every datagram starts with a common
 * header; sequence numbers and acks travel as their low 32 bits and are unwrapped against
 * the receiver's position (serial-number arithmetic), so a connection may run forever.
 *
 * ```
 * common   u8 magic 0xd7 | u8 type | u32 connectionId | u32 ack (next sequence expected)
 * syn      common | u32 windowPackets                     (connect; repeated until answered)
 * syn-ack  common | u32 windowPackets                     (accept)
 * data     common | u32 seq | u8 flags | [u32 frameBytes if FIRST] | payload
 * ack      common | u8 count | count x (u32 start, u32 end)   (selective acks, end exclusive)
 * reset    common                                          (abort; also the answer to strays)
 * ```
 * Data flags: FIRST (first fragment of a frame, carries the frame's length), LAST (last
 * fragment), FIN (no payload: the sender's last sequence number, a clean close), BUNDLE
 * (alone: the payload is two or more whole small frames, each as u32 length + bytes).
 */
import { assert } from '../util/assert.js'

export const DATAGRAM_MAGIC = 0xd7
export const COMMON_HEADER_BYTES = 10
/** Data header bytes before the payload, without and with the FIRST fragment's length. */
export const DATA_HEADER_BYTES = COMMON_HEADER_BYTES + 5
export const FIRST_DATA_HEADER_BYTES = DATA_HEADER_BYTES + 4
/** The most selective-ack ranges one ack datagram carries. */
export const MAX_SACK_RANGES = 16
/** The largest udp payload over IPv4. */
export const MAX_DATAGRAM_BYTES = 65_507

export const PACKET_SYN = 1
export const PACKET_SYN_ACK = 2
export const PACKET_DATA = 3
export const PACKET_ACK = 4
export const PACKET_RESET = 5

export const FLAG_FIRST = 1
export const FLAG_LAST = 2
export const FLAG_FIN = 4
export const FLAG_BUNDLE = 8
const KNOWN_FLAGS = FLAG_FIRST | FLAG_LAST | FLAG_FIN | FLAG_BUNDLE
/** Bytes of the length in front of each frame of a bundle. */
export const BUNDLE_ENTRY_HEADER_BYTES = 4

export interface HandshakePacket {
  readonly type: typeof PACKET_SYN | typeof PACKET_SYN_ACK
  readonly connectionId: number
  readonly ack: number
  readonly windowPackets: number
}

export interface DataPacket {
  readonly type: typeof PACKET_DATA
  readonly connectionId: number
  readonly ack: number
  readonly seq: number
  readonly flags: number
  /** The whole frame's length (FIRST fragments only, else -1). */
  readonly frameBytes: number
  readonly payload: Uint8Array
}

export interface AckPacket {
  readonly type: typeof PACKET_ACK
  readonly connectionId: number
  readonly ack: number
  /** Received ranges above `ack`, as wire (u32) start/end pairs, end exclusive. */
  readonly ranges: readonly (readonly [number, number])[]
}

export interface ResetPacket {
  readonly type: typeof PACKET_RESET
  readonly connectionId: number
  readonly ack: number
}

export type Packet = HandshakePacket | DataPacket | AckPacket | ResetPacket

/** The type and connection id of a datagram, or null when it is not one of ours. */
export function peekDatagram(datagram: Uint8Array): { type: number; connectionId: number } | null {
  if (datagram.byteLength < COMMON_HEADER_BYTES || datagram[0] !== DATAGRAM_MAGIC) return null
  const type = datagram[1] as number
  if (type < PACKET_SYN || type > PACKET_RESET) return null
  return { type, connectionId: readU32(datagram, 2) }
}

/** Decodes a datagram; null for anything malformed (junk is dropped, never thrown). */
export function decodePacket(datagram: Uint8Array): Packet | null {
  const head = peekDatagram(datagram)
  if (head === null) return null
  const { type, connectionId } = head
  const ack = readU32(datagram, 6)
  const length = datagram.byteLength
  switch (type) {
    case PACKET_SYN:
    case PACKET_SYN_ACK:
      if (length !== COMMON_HEADER_BYTES + 4) return null
      return { type, connectionId, ack, windowPackets: readU32(datagram, COMMON_HEADER_BYTES) }
    case PACKET_DATA:
      return decodeData(datagram, connectionId, ack)
    case PACKET_ACK:
      return decodeAck(datagram, connectionId, ack)
    case PACKET_RESET:
      return length === COMMON_HEADER_BYTES ? { type, connectionId, ack } : null
    default:
      return null
  }
}

function decodeData(datagram: Uint8Array, connectionId: number, ack: number): DataPacket | null {
  if (datagram.byteLength < DATA_HEADER_BYTES) return null
  const seq = readU32(datagram, COMMON_HEADER_BYTES)
  const flags = datagram[COMMON_HEADER_BYTES + 4] as number
  if ((flags & ~KNOWN_FLAGS) !== 0) return null
  if ((flags & FLAG_BUNDLE) !== 0) {
    if (flags !== FLAG_BUNDLE) return null
    const payload = datagram.subarray(DATA_HEADER_BYTES)
    return { type: PACKET_DATA, connectionId, ack, seq, flags, frameBytes: -1, payload }
  }
  if ((flags & FLAG_FIN) !== 0) {
    const ok = flags === FLAG_FIN && datagram.byteLength === DATA_HEADER_BYTES
    if (!ok) return null
    return { type: PACKET_DATA, connectionId, ack, seq, flags, frameBytes: -1, payload: EMPTY }
  }
  const first = (flags & FLAG_FIRST) !== 0
  if (first && datagram.byteLength < FIRST_DATA_HEADER_BYTES) return null
  const frameBytes = first ? readU32(datagram, DATA_HEADER_BYTES) : -1
  const payload = datagram.subarray(first ? FIRST_DATA_HEADER_BYTES : DATA_HEADER_BYTES)
  return { type: PACKET_DATA, connectionId, ack, seq, flags, frameBytes, payload }
}

function decodeAck(datagram: Uint8Array, connectionId: number, ack: number): AckPacket | null {
  if (datagram.byteLength < COMMON_HEADER_BYTES + 1) return null
  const count = datagram[COMMON_HEADER_BYTES] as number
  if (count > MAX_SACK_RANGES || datagram.byteLength !== COMMON_HEADER_BYTES + 1 + count * 8) {
    return null
  }
  const ranges: [number, number][] = []
  for (let i = 0; i < count; i++) {
    const at = COMMON_HEADER_BYTES + 1 + i * 8
    ranges.push([readU32(datagram, at), readU32(datagram, at + 4)])
  }
  return { type: PACKET_ACK, connectionId, ack, ranges }
}

/** Encodes a syn or syn-ack. */
export function encodeHandshake(
  type: typeof PACKET_SYN | typeof PACKET_SYN_ACK,
  connectionId: number,
  ack: number,
  windowPackets: number,
): Uint8Array {
  const datagram = commonHeader(COMMON_HEADER_BYTES + 4, type, connectionId, ack)
  writeU32(datagram, COMMON_HEADER_BYTES, windowPackets)
  return datagram
}

/**
 * Encodes one data fragment: `payload` is copied after the header. `frameBytes` is the whole
 * frame's length, written only when FLAG_FIRST is set.
 */
export function encodeData(
  connectionId: number,
  ack: number,
  seq: number,
  flags: number,
  frameBytes: number,
  payload: Uint8Array,
): Uint8Array {
  const first = (flags & FLAG_FIRST) !== 0
  const headerBytes = first ? FIRST_DATA_HEADER_BYTES : DATA_HEADER_BYTES
  assert(headerBytes + payload.byteLength <= MAX_DATAGRAM_BYTES, 'a fragment fits a datagram')
  const datagram = commonHeader(headerBytes + payload.byteLength, PACKET_DATA, connectionId, ack)
  writeU32(datagram, COMMON_HEADER_BYTES, seq)
  datagram[COMMON_HEADER_BYTES + 4] = flags
  if (first) writeU32(datagram, DATA_HEADER_BYTES, frameBytes)
  datagram.set(payload, headerBytes)
  return datagram
}

/** Encodes a bundle of whole frames (each written as u32 length + bytes) in one datagram. */
export function encodeBundle(
  connectionId: number,
  ack: number,
  seq: number,
  frames: readonly Uint8Array[],
): Uint8Array {
  let bytes = DATA_HEADER_BYTES
  for (const frame of frames) bytes += BUNDLE_ENTRY_HEADER_BYTES + frame.byteLength
  assert(frames.length >= 2 && bytes <= MAX_DATAGRAM_BYTES, 'a bundle holds frames and fits')
  const datagram = commonHeader(bytes, PACKET_DATA, connectionId, ack)
  writeU32(datagram, COMMON_HEADER_BYTES, seq)
  datagram[COMMON_HEADER_BYTES + 4] = FLAG_BUNDLE
  let offset = DATA_HEADER_BYTES
  for (const frame of frames) {
    writeU32(datagram, offset, frame.byteLength)
    datagram.set(frame, offset + BUNDLE_ENTRY_HEADER_BYTES)
    offset += BUNDLE_ENTRY_HEADER_BYTES + frame.byteLength
  }
  return datagram
}

/** Splits a bundle's payload into its frames; null when the lengths do not add up. */
export function splitBundle(payload: Uint8Array): Uint8Array[] | null {
  const frames: Uint8Array[] = []
  let offset = 0
  while (offset < payload.byteLength) {
    if (payload.byteLength - offset < BUNDLE_ENTRY_HEADER_BYTES) return null
    const length = readU32(payload, offset)
    const start = offset + BUNDLE_ENTRY_HEADER_BYTES
    if (length > payload.byteLength - start) return null
    frames.push(payload.subarray(start, start + length))
    offset = start + length
  }
  return frames.length >= 2 ? frames : null
}

/** Encodes an ack with up to MAX_SACK_RANGES selective ranges (wire values). */
export function encodeAck(
  connectionId: number,
  ack: number,
  ranges: readonly (readonly [number, number])[],
): Uint8Array {
  assert(ranges.length <= MAX_SACK_RANGES, 'sack ranges within the limit')
  const bytes = COMMON_HEADER_BYTES + 1 + ranges.length * 8
  const datagram = commonHeader(bytes, PACKET_ACK, connectionId, ack)
  datagram[COMMON_HEADER_BYTES] = ranges.length
  ranges.forEach(([start, end], i) => {
    writeU32(datagram, COMMON_HEADER_BYTES + 1 + i * 8, start)
    writeU32(datagram, COMMON_HEADER_BYTES + 5 + i * 8, end)
  })
  return datagram
}

/** Encodes a reset. */
export function encodeReset(connectionId: number): Uint8Array {
  return commonHeader(COMMON_HEADER_BYTES, PACKET_RESET, connectionId, 0)
}

/** Rewrites the ack field of an encoded datagram (a retransmission carries the current ack). */
export function stampAck(datagram: Uint8Array, ack: number): void {
  writeU32(datagram, 6, ack)
}

/**
 * Unwraps a 32-bit wire sequence number to the full number nearest to `reference`
 * (RFC 1982 serial-number arithmetic).
 */
export function unwrapSeq(wire: number, reference: number): number {
  const delta = (wire - (reference % 2 ** 32)) | 0
  return reference + delta
}

function commonHeader(bytes: number, type: number, connectionId: number, ack: number): Uint8Array {
  const datagram = Buffer.allocUnsafe(bytes)
  datagram[0] = DATAGRAM_MAGIC
  datagram[1] = type
  writeU32(datagram, 2, connectionId)
  writeU32(datagram, 6, ack)
  return datagram
}

function readU32(source: Uint8Array, offset: number): number {
  return (
    (((source[offset] as number) << 24) |
      ((source[offset + 1] as number) << 16) |
      ((source[offset + 2] as number) << 8) |
      (source[offset + 3] as number)) >>>
    0
  )
}

function writeU32(target: Uint8Array, offset: number, value: number): void {
  const wire = value >>> 0
  target[offset] = wire >>> 24
  target[offset + 1] = (wire >>> 16) & 0xff
  target[offset + 2] = (wire >>> 8) & 0xff
  target[offset + 3] = wire & 0xff
}

const EMPTY = new Uint8Array(0)

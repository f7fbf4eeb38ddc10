/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every log record,
 * segment header and snapshot batch. Table-driven, slicing by 8: eight bytes per step through
 * eight 256-entry tables, then byte by byte for the rest.
 */
import { assert } from '../util/assert.js'

const POLYNOMIAL = 0x82f63b78
const TABLE_COUNT = 8

/** `TABLES[k][b]`: the CRC of byte `b` followed by `k` zero bytes. */
const TABLES: readonly Uint32Array[] = buildTables()

function buildTables(): Uint32Array[] {
  const tables = Array.from({ length: TABLE_COUNT }, () => new Uint32Array(256))
  const first = tables[0]!
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL : crc >>> 1
    first[byte] = crc >>> 0
  }
  for (let k = 1; k < TABLE_COUNT; k++) {
    const previous = tables[k - 1]!
    const table = tables[k]!
    for (let byte = 0; byte < 256; byte++) {
      const crc = previous[byte]!
      table[byte] = ((crc >>> 8) ^ first[crc & 0xff]!) >>> 0
    }
  }
  return tables
}

const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES as [
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
]

/**
 * The CRC-32C of `bytes[start, end)`. Pass the result of a previous call as `previous` to
 * continue a checksum over several pieces: `crc32c(b, 0, n, crc32c(a))` equals the CRC of a+b.
 *
 * @example crc32c(new TextEncoder().encode('123456789')) === 0xe3069283
 */
export function crc32c(
  bytes: Uint8Array,
  start = 0,
  end: number = bytes.length,
  previous = 0,
): number {
  assert(start >= 0 && start <= end && end <= bytes.length, 'crc32c range is out of bounds')
  let crc = ~previous >>> 0
  let i = start
  const fastEnd = start + ((end - start) & ~7)
  while (i < fastEnd) {
    const word = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)
    const low = (crc ^ word) >>> 0
    crc =
      T7[low & 0xff]! ^
      T6[(low >>> 8) & 0xff]! ^
      T5[(low >>> 16) & 0xff]! ^
      T4[low >>> 24]! ^
      T3[bytes[i + 4]!]! ^
      T2[bytes[i + 5]!]! ^
      T1[bytes[i + 6]!]! ^
      T0[bytes[i + 7]!]!
    i += 8
  }
  while (i < end) {
    crc = T0[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8)
    i++
  }
  return ~crc >>> 0
}

// Checks the CRC-32C used to frame log records and snapshots (DESIGN.md "Commit policies and
// the log": checksum per record) against published test vectors (RFC 3720 appendix B.4 and
// the "123456789" check value), and that chaining pieces equals one pass over the whole.
import { describe, expect, it } from 'vitest'
import { crc32c } from '../../../src/log/crc32c.js'

function bytes(values: number[]): Uint8Array {
  return Uint8Array.from(values)
}

describe('crc32c', () => {
  it('matches the check value of "123456789"', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283)
  })

  it('matches the RFC 3720 vectors', () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa)
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43)
    const ascending = bytes(Array.from({ length: 32 }, (_, i) => i))
    expect(crc32c(ascending)).toBe(0x46dd794e)
    const descending = bytes(Array.from({ length: 32 }, (_, i) => 31 - i))
    expect(crc32c(descending)).toBe(0x113fdb5c)
  })

  it('gives 0 for no bytes', () => {
    expect(crc32c(new Uint8Array(0))).toBe(0)
  })

  it('chains over pieces and ranges like one pass (every split of a 100-byte buffer)', () => {
    const data = bytes(Array.from({ length: 100 }, (_, i) => (i * 37 + 11) & 0xff))
    const whole = crc32c(data)
    for (let split = 0; split <= data.length; split++) {
      expect(crc32c(data, split, data.length, crc32c(data, 0, split))).toBe(whole)
    }
  })

  it('agrees with a bytewise reference on random lengths and offsets', () => {
    const reference = (data: Uint8Array): number => {
      let crc = 0xffffffff
      for (const byte of data) {
        crc ^= byte
        for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1
      }
      return ~crc >>> 0
    }
    let state = 12345
    for (let round = 0; round < 200; round++) {
      const length = round % 61
      const data = new Uint8Array(length + 3)
      for (let i = 0; i < data.length; i++) {
        state = (state * 1103515245 + 12345) >>> 0
        data[i] = state >>> 24
      }
      expect(crc32c(data, 3, data.length)).toBe(reference(data.subarray(3)))
    }
  })

  it('rejects a range outside the buffer', () => {
    expect(() => crc32c(new Uint8Array(4), 2, 8)).toThrow(/out of bounds/)
  })
})

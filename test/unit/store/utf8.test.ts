/**
 * The UTF-8 helpers of the store (DESIGN.md "Store and transactions": strings live in the heap
 * as UTF-8). A fast-check property compares them with Buffer on random strings (any code
 * units, lone surrogates included, every length around the short-string limits): same byte
 * length, same bytes, and decoding gives what Buffer gives.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compareBytes, readUtf8, utf8Length, writeUtf8 } from '../../../src/store/utf8.js'

describe('utf8 helpers (DESIGN.md: Store and transactions)', () => {
  it('encode and decode like Buffer', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 70 }), fc.nat(7), (text, offset) => {
        const expected = Buffer.from(text, 'utf8')
        const length = utf8Length(text)
        expect(length).toBe(expected.length)
        const target = Buffer.alloc(offset + length + 3, 0xee)
        writeUtf8(target, offset, text, length)
        expect(target.subarray(offset, offset + length)).toEqual(expected)
        expect(readUtf8(target, offset, length)).toBe(expected.toString('utf8'))
      }),
      { seed: 7, numRuns: 2000 },
    )
  })

  it('decodes short strings at the end of a buffer and with NUL inside', () => {
    const bytes = Buffer.from('xya\u0000b', 'utf8')
    expect(readUtf8(bytes, 2, 3)).toBe('a\u0000b')
    expect(readUtf8(bytes, 0, 0)).toBe('')
  })

  it('orders bytes unsigned, then by length', () => {
    const order = (a: number[], b: number[]): number =>
      Math.sign(compareBytes(new Uint8Array(a), 0, a.length, new Uint8Array(b), 0, b.length))
    expect([order([1], [2]), order([0xff], [1]), order([1], [1, 0]), order([], [])]).toEqual([
      -1, 1, -1, 0,
    ])
  })
})

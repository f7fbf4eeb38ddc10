/**
 * The replication message codec (DESIGN.md "Replication", STYLE.md 5.3 and 5.6): every
 * message kind round-trips to an equal frozen message; decoding random bytes, every
 * truncation of every kind, or a frame with one field of the wrong type returns a
 * ProtocolError TDB_FRAME_MALFORMED and never throws; the fixed layout of Change, Ack and
 * AckRequest refuses every bad header byte and length; encoding an invalid message is a
 * programmer error.
 */
import fc from 'fast-check'
import { Packr } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import { AssertionError, ProtocolError } from '../../../src/errors.js'
import { decodeMessage, encodeMessage } from '../../../src/ha/codec.js'
import * as M from '../../../src/ha/messages.js'
import type { Message } from '../../../src/ha/messages.js'
import { anyMessage, messages } from './arbitraries.js'

const changeTag = M.MESSAGE_KINDS.indexOf('Change')
const changeSet = Uint8Array.of(0x92, 1, 0x90)

function expectMalformed(result: Message | ProtocolError): void {
  expect(result).toBeInstanceOf(ProtocolError)
  expect((result as ProtocolError).code).toBe('TDB_FRAME_MALFORMED')
}

describe('codec (STYLE.md 5.3: decoding returns a message or a ProtocolError)', () => {
  it('has an arbitrary for every message kind', () => {
    expect(Object.keys(messages).sort()).toEqual([...M.MESSAGE_KINDS].sort())
  })

  for (const kind of M.MESSAGE_KINDS) {
    it(`round-trips ${kind}`, () => {
      fc.assert(
        fc.property(messages[kind], (message) => {
          const decoded = decodeMessage(encodeMessage(message))
          expect(decoded).not.toBeInstanceOf(ProtocolError)
          // Bytes come back as a plain Uint8Array whatever subclass was encoded.
          const expected = M.Change.is(message)
            ? { ...message, changeSet: Uint8Array.from(message.changeSet) }
            : message
          expect(decoded).toEqual(expected)
          expect(Object.isFrozen(decoded)).toBe(true)
        }),
        { numRuns: 100 },
      )
    })
  }

  it('decodes random bytes to a message or a TDB_FRAME_MALFORMED, never throwing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const result = decodeMessage(bytes)
        if (result instanceof ProtocolError) expect(result.code).toBe('TDB_FRAME_MALFORMED')
        else expect(M.MESSAGE_KINDS).toContain(result.kind)
      }),
      { numRuns: 2000 },
    )
  })

  it('returns TDB_FRAME_MALFORMED for every truncation of every kind', () => {
    fc.assert(
      fc.property(anyMessage, (message) => {
        const bytes = encodeMessage(message)
        for (let cut = 0; cut < bytes.length; cut++) {
          expectMalformed(decodeMessage(bytes.subarray(0, cut)))
        }
      }),
      { numRuns: 200 },
    )
  })

  it('returns TDB_FRAME_MALFORMED for random byte flips or a trailing byte', () => {
    fc.assert(
      fc.property(anyMessage, fc.nat(), fc.integer({ min: 1, max: 255 }), (message, at, xor) => {
        const bytes = Uint8Array.from(encodeMessage(message))
        const index = at % bytes.length
        bytes[index] = (bytes[index] as number) ^ xor
        const result = decodeMessage(bytes)
        if (result instanceof ProtocolError) expect(result.code).toBe('TDB_FRAME_MALFORMED')
        expectMalformed(decodeMessage(Uint8Array.from([...encodeMessage(message), 0])))
      }),
      { numRuns: 500 },
    )
  })

  it('refuses a wrong protocol version, an unknown tag, and wrong field types, naming them', () => {
    const packr = new Packr({ useRecords: false, int64AsType: 'bigint', moreTypes: false })
    const version = decodeMessage(packr.pack([M.PROTOCOL_VERSION + 1, 10, 5n]))
    expectMalformed(version)
    expect((version as ProtocolError).message).toContain('protocol version')
    expectMalformed(decodeMessage(packr.pack([M.PROTOCOL_VERSION, 99])))
    const ackTag = M.MESSAGE_KINDS.indexOf('Ack')
    const negative = decodeMessage(packr.pack([M.PROTOCOL_VERSION, ackTag, -1]))
    expectMalformed(negative)
    expect((negative as ProtocolError).message).toContain('Ack.seq')
    expectMalformed(decodeMessage(packr.pack([M.PROTOCOL_VERSION, ackTag, 1n, 2n])))
    expectMalformed(decodeMessage(packr.pack([M.PROTOCOL_VERSION, ackTag])))
    const notBytes = decodeMessage(packr.pack([M.PROTOCOL_VERSION, changeTag, 1n, 'x', true]))
    expect((notBytes as ProtocolError).message).toContain('Change.changeSet')
    const batchTag = M.MESSAGE_KINDS.indexOf('LoadBatch')
    expectMalformed(decodeMessage(packr.pack([M.PROTOCOL_VERSION, batchTag, [[9, 1, 1, 1]]])))
    const refusedTag = M.MESSAGE_KINDS.indexOf('AttachRefused')
    expectMalformed(decodeMessage(packr.pack([M.PROTOCOL_VERSION, refusedTag, 'TDB_NOPE', 'x'])))
  })

  it('writes Change, Ack and AckRequest in the fixed layout and refuses every bad header', () => {
    const change = encodeMessage(M.Change.create({ seq: 2n ** 40n + 5n, changeSet, ack: true }))
    expect([...change.subarray(0, 4)]).toEqual([0xc1, M.PROTOCOL_VERSION, changeTag, 1])
    expect(change.length).toBe(16 + changeSet.length)
    const decoded = decodeMessage(change) as M.Change
    expect(decoded).toEqual({ kind: 'Change', seq: 2n ** 40n + 5n, changeSet, ack: true })
    const top = decodeMessage(encodeMessage(M.Ack.create({ seq: 2n ** 64n - 1n })))
    expect(top).toEqual({ kind: 'Ack', seq: 2n ** 64n - 1n })
    const patched = (frame: Uint8Array, at: number, value: number): Uint8Array => {
      const copy = Uint8Array.from(frame)
      copy[at] = value
      return copy
    }
    expectMalformed(decodeMessage(patched(change, 1, M.PROTOCOL_VERSION + 1)))
    expectMalformed(decodeMessage(patched(change, 2, 99)))
    expectMalformed(decodeMessage(patched(change, 2, M.MESSAGE_KINDS.indexOf('Attach'))))
    expectMalformed(decodeMessage(patched(change, 3, 2)))
    expectMalformed(decodeMessage(patched(change, 15, (change[15] as number) ^ 1)))
    const ack = encodeMessage(M.AckRequest.create({ seq: 3n }))
    expect(ack.length).toBe(12)
    expectMalformed(decodeMessage(patched(ack, 3, 1)))
    expectMalformed(decodeMessage(Uint8Array.from([...ack, 0])))
    expectMalformed(decodeMessage(Uint8Array.of(0xc1)))
  })

  it('still decodes the msgpack form of Change and Ack', () => {
    const packr = new Packr({ useRecords: false, int64AsType: 'bigint', moreTypes: false })
    const change = decodeMessage(packr.pack([M.PROTOCOL_VERSION, changeTag, 7n, changeSet, false]))
    expect(change).toEqual({ kind: 'Change', seq: 7n, changeSet, ack: false })
    const ackTag = M.MESSAGE_KINDS.indexOf('Ack')
    const ack = decodeMessage(packr.pack([M.PROTOCOL_VERSION, ackTag, 7]))
    expect(ack).toEqual(M.Ack.create({ seq: 7n }))
  })

  it('treats an invalid message to encode as a programmer error', () => {
    const bad = M.Ack.create({ seq: -1n })
    expect(() => encodeMessage(bad)).toThrow(AssertionError)
    const unsafe = { kind: 'Change', seq: 1n, changeSet: 'x', ack: true } as unknown as Message
    expect(() => encodeMessage(unsafe)).toThrow(AssertionError)
  })
})

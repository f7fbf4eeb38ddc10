/**
 * Stream framing (DESIGN "Testing": malformed and oversized frames): the decoder cuts any
 * split of a stream into the same frames, reports a frame cut short as held bytes, refuses a
 * declared length over the cap, and survives arbitrary garbage; the writer coalesces a tick's
 * small frames into one write and passes large frames on without copying them.
 */
import { describe, expect, it } from 'vitest'
import { ProtocolError } from '../../../src/errors.js'
import { FrameDecoder, readFrameHeader, writeFrameHeader } from '../../../src/channels/framing.js'
import { FrameWriter } from '../../../src/channels/frame-writer.js'
import { Prng } from '../../../src/util/prng.js'
import { patternFrame, sameBytes } from './harness.js'

function encode(frames: Uint8Array[]): Uint8Array {
  const total = frames.reduce((sum, frame) => sum + 4 + frame.byteLength, 0)
  const stream = new Uint8Array(total)
  let offset = 0
  for (const frame of frames) {
    writeFrameHeader(stream, offset, frame.byteLength)
    stream.set(frame, offset + 4)
    offset += 4 + frame.byteLength
  }
  return stream
}

function decodeChunks(chunks: Uint8Array[], maxFrameBytes = 1 << 20) {
  const frames: Uint8Array[] = []
  const decoder = new FrameDecoder(maxFrameBytes, (frame) => frames.push(frame.slice()))
  let error: ProtocolError | null = null
  for (const chunk of chunks) error ??= decoder.push(chunk)
  return { frames, error, partialBytes: decoder.partialBytes }
}

const FRAMES = [0, 1, 3, 4, 5, 17, 0, 300, 1].map((size, i) => patternFrame(size, i))

describe('FrameDecoder', () => {
  it('decodes every two-way split of a stream into the same frames', () => {
    const stream = encode(FRAMES)
    for (let cut = 0; cut <= stream.byteLength; cut++) {
      const halves = [stream.subarray(0, cut), stream.subarray(cut)]
      const { frames, error, partialBytes } = decodeChunks(halves)
      expect(error).toBe(null)
      expect(partialBytes).toBe(0)
      expect(frames.length).toBe(FRAMES.length)
      expect(frames.every((frame, i) => sameBytes(frame, FRAMES[i] as Uint8Array))).toBe(true)
    }
  })

  it('decodes byte-by-byte and random chunkings', () => {
    const stream = encode(FRAMES)
    const single = decodeChunks([...stream].map((byte) => Uint8Array.of(byte)))
    expect(single.frames.length).toBe(FRAMES.length)
    const prng = new Prng(9)
    for (let round = 0; round < 50; round++) {
      const chunks: Uint8Array[] = []
      for (let at = 0; at < stream.byteLength; ) {
        const size = 1 + prng.nextInt(40)
        chunks.push(stream.subarray(at, at + size))
        at += size
      }
      const { frames } = decodeChunks(chunks)
      expect(frames.every((frame, i) => sameBytes(frame, FRAMES[i] as Uint8Array))).toBe(true)
    }
  })

  it('holds a frame cut at any byte as partial, never delivering half of it', () => {
    const frame = patternFrame(50, 1)
    const stream = encode([frame])
    for (let cut = 1; cut < stream.byteLength; cut++) {
      const { frames, partialBytes } = decodeChunks([stream.subarray(0, cut)])
      expect(frames).toEqual([])
      expect(partialBytes).toBe(cut)
    }
  })

  it('refuses a declared length over the cap and stops', () => {
    const header = new Uint8Array(4)
    writeFrameHeader(header, 0, 1001)
    const frames: Uint8Array[] = []
    const decoder = new FrameDecoder(1000, (frame) => frames.push(frame))
    const error = decoder.push(header)
    expect(error).toBeInstanceOf(ProtocolError)
    expect(error?.code).toBe('TDB_FRAME_TOO_LARGE')
    expect(decoder.push(encode([new Uint8Array(3)]))).toBe(null)
    expect(frames).toEqual([])
    writeFrameHeader(header, 0, 0xffffffff)
    expect(readFrameHeader(header, 0)).toBe(0xffffffff)
    expect(new FrameDecoder(1000, () => undefined).push(header)?.code).toBe('TDB_FRAME_TOO_LARGE')
  })

  it('survives garbage: frames within the cap or a typed error, never a throw', () => {
    const prng = new Prng(2024)
    for (let round = 0; round < 300; round++) {
      const garbage = new Uint8Array(prng.nextInt(4096))
      for (let i = 0; i < garbage.length; i++) garbage[i] = prng.nextInt(256)
      const cap = 1 + prng.nextInt(2000)
      const { frames, error } = decodeChunks([garbage.subarray(0, 100), garbage.subarray(100)], cap)
      expect(frames.every((frame) => frame.byteLength <= cap)).toBe(true)
      if (error !== null) expect(error.code).toBe('TDB_FRAME_TOO_LARGE')
    }
  })
})

describe('FrameWriter', () => {
  it('coalesces a tick of small frames into one contiguous chunk', async () => {
    const batches: Uint8Array[][] = []
    const writer = new FrameWriter((chunks) => batches.push(chunks))
    for (let i = 0; i < 100; i++) writer.write(patternFrame(100, i))
    expect(writer.queuedBytes).toBe(100 * 104)
    await new Promise((resolve) => process.nextTick(resolve))
    expect(batches.length).toBe(1)
    expect(batches[0]?.length).toBe(1)
    const { frames } = decodeChunks(batches[0] as Uint8Array[])
    expect(frames.every((frame, i) => sameBytes(frame, patternFrame(100, i)))).toBe(true)
    expect(writer.queuedBytes).toBe(0)
  })

  it('passes a large frame on as it is, next to its header', () => {
    const batches: Uint8Array[][] = []
    const writer = new FrameWriter((chunks) => batches.push(chunks))
    const large = patternFrame(100_000, 1)
    writer.write(patternFrame(10, 0))
    writer.write(large)
    writer.write(patternFrame(10, 2))
    writer.flush()
    const chunks = batches[0] as Uint8Array[]
    expect(chunks.length).toBe(3)
    expect(chunks[1]).toBe(large)
    const { frames } = decodeChunks(chunks)
    expect(frames.map((frame) => frame.byteLength)).toEqual([10, 100_000, 10])
  })

  it('never overwrites bytes already handed out when slabs fill up', () => {
    const batches: Uint8Array[][] = []
    const writer = new FrameWriter((chunks) => batches.push(chunks))
    const sent: Uint8Array[] = []
    for (let i = 0; i < 200; i++) {
      const frame = patternFrame(5000 + i, i)
      sent.push(frame)
      writer.write(frame)
      if (i % 7 === 0) writer.flush()
    }
    writer.flush()
    const { frames } = decodeChunks(batches.flat())
    expect(frames.length).toBe(sent.length)
    expect(frames.every((frame, i) => sameBytes(frame, sent[i] as Uint8Array))).toBe(true)
  })
})

/**
 * Checks the async replication ring (DESIGN "Replication", async mode: a bounded ring over a
 * SharedArrayBuffer drained by a sender worker). In one thread: records of every size from 0
 * to the capacity, wrap-around of headers and payloads at every offset, a full ring refusing
 * a record without writing anything, waits that time out, wake on write (at once, or for an
 * append below its wake mark only on wakeConsumer), and close. Across a
 * real worker thread (the built module under dist/, as `npm test` builds first): a producer
 * and a consumer running concurrently through a tiny ring, every record checked byte by byte.
 */
import { describe, it, expect } from 'vitest'
import { Worker } from 'node:worker_threads'
import { fileURLToPath, pathToFileURL } from 'node:url'
import path from 'node:path'
import { AsyncRing, RING_RECORD_HEADER_BYTES } from '../../../src/node/async-ring.js'

function pattern(i: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length)
  for (let j = 0; j < length; j++) bytes[j] = (i * 31 + j) & 255
  return bytes
}

describe('AsyncRing in one thread (DESIGN Replication: async ring buffer)', () => {
  it('refuses a capacity out of range with TDB_INVALID_PARAMETER', () => {
    const invalid = expect.objectContaining({ code: 'TDB_INVALID_PARAMETER' })
    expect(() => AsyncRing.create(10)).toThrow(invalid)
    expect(() => AsyncRing.create(1500.5)).toThrow(invalid)
    expect(() => AsyncRing.create(2 ** 31)).toThrow(invalid)
  })

  it('carries every record size from 0 to the capacity, at every start offset', () => {
    const ring = AsyncRing.create(97)
    let i = 0
    for (let shift = 0; shift < ring.capacityBytes; shift++) {
      // Move the start offset by `shift + 1` bytes with a small record, then send each size.
      expect(ring.tryWrite(pattern(i, (shift % 20) + 1).subarray(0, 1))).toBe(true)
      expect(ring.read()?.byteLength).toBe(1)
      const length = shift % (ring.maxRecordBytes + 1)
      expect(ring.tryWrite(pattern(i, length))).toBe(true)
      const record = ring.read()
      expect(record).toEqual(pattern(i, length))
      expect(ring.usedBytes()).toBe(0)
      i++
    }
    for (let length = 0; length <= ring.maxRecordBytes; length++) {
      expect(ring.tryWrite(pattern(length, length))).toBe(true)
      expect(ring.read()).toEqual(pattern(length, length))
    }
  })

  it('joins the parts of a record and keeps records in order across wrap-around', () => {
    const ring = AsyncRing.create(128)
    const sent: Uint8Array[] = []
    let next = 0
    for (let round = 0; round < 500; round++) {
      while (true) {
        const head = pattern(next, next % 9)
        const body = pattern(next + 1, (next * 13) % 40)
        if (!ring.tryWrite(head, body)) break
        const joined = new Uint8Array(head.byteLength + body.byteLength)
        joined.set(head)
        joined.set(body, head.byteLength)
        sent.push(joined)
        next++
      }
      const reads = (round % 3) + 1
      for (let k = 0; k < reads && sent.length > 0; k++) expect(ring.read()).toEqual(sent.shift())
    }
    while (sent.length > 0) expect(ring.read()).toEqual(sent.shift())
    expect(ring.read()).toBeUndefined()
    expect(next).toBeGreaterThan(500)
  })

  it('refuses a record that does not fit, writing nothing, and takes it once there is room', () => {
    const ring = AsyncRing.create(64)
    expect(ring.tryWrite(pattern(1, 30))).toBe(true)
    expect(ring.usedBytes()).toBe(30 + RING_RECORD_HEADER_BYTES)
    expect(ring.tryWrite(pattern(2, 27))).toBe(false)
    expect(ring.usedBytes()).toBe(30 + RING_RECORD_HEADER_BYTES)
    expect(ring.tryWrite(pattern(2, 26))).toBe(true)
    expect(ring.freeBytes()).toBe(0)
    expect(ring.tryWrite(new Uint8Array(0))).toBe(false)
    expect(ring.read()).toEqual(pattern(1, 30))
    expect(ring.tryWrite(pattern(3, 30))).toBe(true)
    expect(ring.read()).toEqual(pattern(2, 26))
    expect(ring.read()).toEqual(pattern(3, 30))
    expect(ring.read()).toBeUndefined()
    expect(ring.tryWrite(pattern(4, ring.maxRecordBytes))).toBe(true)
    expect(ring.freeBytes()).toBe(0)
    expect(ring.read()).toEqual(pattern(4, ring.maxRecordBytes))
  })

  it('asserts on a record larger than the ring can ever hold', () => {
    const ring = AsyncRing.create(64)
    expect(() => ring.tryWrite(new Uint8Array(61))).toThrow(
      expect.objectContaining({ code: 'TDB_INTERNAL' }),
    )
  })

  it('times out a wait, wakes a consumer on write and a producer on read', async () => {
    const ring = AsyncRing.create(64)
    expect(await ring.waitReadable(20)).toBe('timed-out')
    const readable = ring.waitReadable(5_000)
    setTimeout(() => ring.tryWrite(pattern(0, 50)), 5)
    expect(await readable).toBe('ready')
    expect(await ring.waitWritable(20, 20)).toBe('timed-out')
    const writable = ring.waitWritable(20, 5_000)
    setTimeout(() => ring.read(), 5)
    expect(await writable).toBe('ready')
    expect(ring.freeBytes()).toBe(64)
  })

  it('append below its wake mark leaves the consumer asleep until wakeConsumer', async () => {
    const ring = AsyncRing.create(256)
    let outcome = 'pending'
    const readable = ring.waitReadable(5_000).then((result) => (outcome = result))
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(ring.append([pattern(0, 10), pattern(1, 10)], 64)).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(outcome).toBe('pending')
    ring.wakeConsumer()
    expect(await readable).toBe('ready')
    expect(ring.read()).toEqual(Uint8Array.from([...pattern(0, 10), ...pattern(1, 10)]))
    const again = ring.waitReadable(5_000)
    await new Promise((resolve) => setTimeout(resolve, 5))
    // At the mark the append wakes the consumer itself.
    expect(ring.append([pattern(2, 60)], 64)).toBe(true)
    expect(await again).toBe('ready')
  })

  it('close wakes both sides, refuses writes and leaves written records readable', async () => {
    const ring = AsyncRing.create(64)
    expect(ring.tryWrite(pattern(0, 40))).toBe(true)
    const writable = ring.waitWritable(64)
    const other = AsyncRing.attach(ring.buffer)
    const emptyWait = AsyncRing.create(64).waitReadable()
    other.close()
    expect(await writable).toBe('closed')
    expect(ring.closed).toBe(true)
    expect(ring.tryWrite(pattern(1, 1))).toBe(false)
    expect(ring.read()).toEqual(pattern(0, 40))
    expect(await ring.waitReadable()).toBe('closed')
    expect(await Promise.race([emptyWait, Promise.resolve('pending')])).toBe('pending')
  })
})

describe('AsyncRing across a worker thread (DESIGN Replication: sender worker)', () => {
  const here = path.dirname(fileURLToPath(import.meta.url))
  const ringModule = pathToFileURL(path.resolve(here, '../../../dist/src/node/async-ring.js')).href
  const workerFile = path.resolve(here, 'ring-consumer-worker.mjs')

  async function run(capacityBytes: number, count: number, slowEvery: number) {
    const ring = AsyncRing.create(capacityBytes)
    const maxRecordBytes = ring.maxRecordBytes
    const worker = new Worker(workerFile, {
      workerData: { buffer: ring.buffer, ringModule, count, maxRecordBytes, slowEvery },
    })
    type Outcome = { received: number; bad: number; outcome: string }
    const result = new Promise<Outcome>((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
    })
    let waits = 0
    for (let i = 0; i < count; i++) {
      const record = pattern(i, (i * 7919) % (ring.maxRecordBytes + 1))
      while (!ring.tryWrite(record)) {
        waits++
        expect(await ring.waitWritable(record.byteLength + RING_RECORD_HEADER_BYTES, 5_000)).toBe(
          'ready',
        )
      }
    }
    const outcome = await result
    await worker.terminate()
    return { ...outcome, waits }
  }

  it('delivers 20 000 records of every size in order through a 256-byte ring', async () => {
    const outcome = await run(256, 20_000, 0)
    expect(outcome).toMatchObject({ received: 20_000, bad: 0, outcome: 'done' })
    expect(outcome.waits).toBeGreaterThan(0)
  })

  it('keeps every record when the consumer is slow and the producer waits for room', async () => {
    const outcome = await run(4096, 3_000, 50)
    expect(outcome).toMatchObject({ received: 3_000, bad: 0, outcome: 'done' })
    expect(outcome.waits).toBeGreaterThan(0)
  })
})

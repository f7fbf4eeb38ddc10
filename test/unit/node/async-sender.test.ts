/**
 * Checks the async sender (DESIGN "Replication", async mode: commits go into a bounded ring
 * that a worker thread drains to the replicas). It starts the real sender worker (the built
 * module under dist/) listening on loopback tcp, connects a plain channel client as the
 * "replica", and drives the main-thread side by hand: control frames by postMessage, a
 * stream handoff, then commits through the ring. It checks that the handoff loses and
 * duplicates nothing (control frames first, then exactly the change sets above fromSeq, in
 * order), that local classes are filtered, that change sets larger than the ring arrive
 * whole, that a full ring spills into the overflow and then refuses writes with
 * TDB_BUFFER_FULL until it drains, and that stop closes everything.
 */
import { describe, it, expect } from 'vitest'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Connection } from '../../../src/channels/channel.js'
import { connect } from '../../../src/channels/registry.js'
import { decodeMessage, encodeMessage } from '../../../src/ha/codec.js'
import { Change, KeepAlive } from '../../../src/ha/messages.js'
import type { Message } from '../../../src/ha/messages.js'
import { decodeChangeSet, encodeChangeSet } from '../../../src/txn/change-set.js'
import type { CommitRecord } from '../../../src/txn/commit-hook.js'
import type { AsyncSender as AsyncSenderType } from '../../../src/node/async-sender.js'
import type { MasterTransportEvents } from '../../../src/node/ha-transport.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const senderModule = pathToFileURL(path.resolve(here, '../../../dist/src/node/async-sender.js'))
const { AsyncSender } = (await import(senderModule.href)) as {
  AsyncSender: typeof AsyncSenderType
}

function commit(seq: number, classIds: readonly number[], padBytes = 0): CommitRecord {
  const values = ['x'.repeat(padBytes)]
  const ops = classIds.map((classId, i) => [1, classId, seq * 10 + i, i, values] as const)
  return {
    seq: BigInt(seq),
    changeSet: encodeChangeSet({ seq: BigInt(seq), ops }),
    hasLocal: classIds.includes(9),
    origin: 'local',
    policy: 'no-sync',
  }
}

interface Harness {
  sender: AsyncSenderType
  client: Connection
  conn: number
  received: Message[]
  waitFor(count: number): Promise<void>
}

async function harness(asyncBufferBytes: number, overflowMaxBytes = 1 << 20): Promise<Harness> {
  let onConnected: (conn: number) => void = () => undefined
  const connected = new Promise<number>((resolve) => (onConnected = resolve))
  const events: MasterTransportEvents = {
    connected: (conn) => onConnected(conn),
    frame: () => undefined,
    disconnected: () => undefined,
  }
  const sender = await AsyncSender.start(
    [':tcp:127.0.0.1:0'],
    { asyncBufferBytes, overflowMaxBytes, maxPendingBytes: 64 << 20, channelOptions: {} },
    events,
  )
  const address = sender.addresses[0]
  expect(address).toMatch(/^:tcp:127\.0\.0\.1:\d+$/)
  const client = await connect(address as string)
  const received: Message[] = []
  let waiter: { count: number; resolve: () => void } | null = null
  client.onFrame((frame) => {
    const message = decodeMessage(frame)
    if (message instanceof Error) throw message
    received.push(message)
    if (waiter !== null && received.length >= waiter.count) waiter.resolve()
  })
  const conn = await connected
  const waitFor = (count: number) =>
    received.length >= count
      ? Promise.resolve()
      : new Promise<void>((resolve) => (waiter = { count, resolve }))
  return { sender, client, conn, received, waitFor }
}

async function waitUntil(done: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

function changeSeqs(messages: readonly Message[]): number[] {
  return messages.filter(Change.is).map((m) => Number(m.seq))
}

describe('AsyncSender (DESIGN Replication: async mode, sender worker)', () => {
  it('hands off from control frames to the ring, losing and repeating nothing', async () => {
    const h = await harness(4096)
    // The load: control frames, the last ones Change messages the core forwarded itself.
    for (let i = 0; i < 200; i++) h.sender.send(h.conn, encodeMessage(KeepAlive.create({})))
    for (let seq = 1; seq <= 5; seq++) {
      const changeSet = commit(seq, [1]).changeSet
      const change = Change.create({ seq: BigInt(seq), changeSet, ack: false })
      h.sender.send(h.conn, encodeMessage(change))
    }
    h.sender.streamFrom({ conn: h.conn, fromSeq: 5n, skipClassIds: [] })
    for (let seq = 1; seq <= 300; seq++) h.sender.committed(commit(seq, [1]))
    await h.waitFor(200 + 300)
    expect(h.received.slice(0, 200).every(KeepAlive.is)).toBe(true)
    expect(changeSeqs(h.received)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1))
    h.client.close()
    await h.sender.stop()
  })

  it('drops the ops of skipped classes and joins change sets larger than the ring', async () => {
    const h = await harness(1024)
    h.sender.streamFrom({ conn: h.conn, fromSeq: 0n, skipClassIds: [9] })
    h.sender.committed(commit(1, [1, 9, 2]))
    h.sender.committed(commit(2, [9]))
    h.sender.committed(commit(3, [1], 5000))
    await h.waitFor(3)
    const changes = h.received.filter(Change.is)
    expect(changes.map((c) => decodeChangeSet(c.changeSet).ops.map((op) => op[1]))).toEqual([
      [1, 2],
      [],
      [1],
    ])
    const big = commit(3, [1], 5000).changeSet
    expect(big.byteLength).toBeGreaterThan(1024)
    expect(Buffer.compare(changes[2]?.changeSet ?? new Uint8Array(0), big)).toBe(0)
    h.client.close()
    await h.sender.stop()
  })

  it('spills a full ring into the overflow, refuses writes past its bound, drains', async () => {
    const h = await harness(256, 2000)
    h.sender.streamFrom({ conn: h.conn, fromSeq: 0n, skipClassIds: [] })
    let refused = 0
    let seq = 0
    // Commits made in one synchronous burst: the worker cannot drain meanwhile.
    while (refused === 0) {
      try {
        h.sender.checkWrite()
        h.sender.committed(commit(++seq, [1], 40))
      } catch (error) {
        expect(error).toMatchObject({ code: 'TDB_BUFFER_FULL' })
        refused++
      }
    }
    expect(h.sender.overflowBytes).toBeGreaterThan(2000)
    await h.waitFor(seq)
    expect(changeSeqs(h.received)).toEqual(Array.from({ length: seq }, (_, i) => i + 1))
    expect(h.sender.overflowBytes).toBe(0)
    expect(() => h.sender.checkWrite()).not.toThrow()
    h.client.close()
    await h.sender.stop()
  })

  it('cuts off a replica that does not read (TDB_BUFFER_FULL), keeping the others', async () => {
    const closed: { conn: number; code: string | null }[] = []
    const connected: number[] = []
    const sender = await AsyncSender.start(
      [':tcp:127.0.0.1:0'],
      {
        asyncBufferBytes: 1 << 20,
        overflowMaxBytes: 64 << 20,
        maxPendingBytes: 4 << 20,
        channelOptions: {},
      },
      {
        connected: (conn) => connected.push(conn),
        frame: () => undefined,
        disconnected: (conn, code) => closed.push({ conn, code }),
      },
    )
    const port = Number((sender.addresses[0] as string).split(':').at(-1))
    // A peer that never reads: its kernel buffers fill, then the worker's queue.
    const stalled = net.connect(port, '127.0.0.1')
    stalled.pause()
    await new Promise((resolve) => stalled.once('connect', resolve))
    const healthy = await connect(sender.addresses[0] as string)
    let healthyChanges = 0
    healthy.onFrame(() => healthyChanges++)
    await waitUntil(() => connected.length === 2, 'both peers connected')
    for (const conn of connected) sender.streamFrom({ conn, fromSeq: 0n, skipClassIds: [] })
    let seq = 0
    while (closed.length === 0 && seq < 20_000) {
      for (let i = 0; i < 50; i++) sender.committed(commit(++seq, [1], 20_000))
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    expect(closed).toEqual([{ conn: connected[0], code: 'TDB_BUFFER_FULL' }])
    await waitUntil(() => healthyChanges === seq, 'every change set at the healthy peer')
    expect(healthyChanges).toBe(seq)
    stalled.destroy()
    healthy.close()
    await sender.stop()
  })

  it('stop closes the replica connections and the listener', async () => {
    const h = await harness(4096)
    const closed = new Promise<void>((resolve) => h.client.onClose(() => resolve()))
    await h.sender.stop()
    await closed
    const address = h.sender.addresses[0] as string
    await expect(connect(address, { connectTimeoutMs: 500 })).rejects.toThrow()
  })
})

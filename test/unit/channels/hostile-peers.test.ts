/**
 * Bad peers on real sockets (DESIGN "Testing": malformed and oversized frames — a clear
 * error, no crash): raw tcp and pipe clients that declare oversized frames, send garbage or
 * stop inside a frame close only their own connection, with the right error, while the
 * listener keeps serving others; raw udp junk and strays are ignored or reset; a udp peer
 * that goes silent is declared dead; a stale pipe socket file is replaced, a live one never.
 */
import { createConnection, createServer, type Socket } from 'node:net'
import { createSocket } from 'node:dgram'
import { renameSync, writeFileSync, readFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ChannelError, ProtocolError, TandemError } from '../../../src/errors.js'
import type { Connection } from '../../../src/channels/channel.js'
import { registerChannel, unregisterChannel, connect } from '../../../src/channels/registry.js'
import { createUdpChannel } from '../../../src/channels/udp.js'
import {
  PACKET_SYN,
  PACKET_SYN_ACK,
  encodeHandshake,
  peekDatagram,
} from '../../../src/channels/udp-datagram.js'
import { Prng } from '../../../src/util/prng.js'
import { Resources, closed, frames, patternFrame, sameBytes, socketLeakCheck } from './harness.js'

const resources = new Resources()
let checkNoLeaks: () => Promise<void> = async () => undefined
beforeAll(() => {
  checkNoLeaks = socketLeakCheck()
})
afterAll(() => checkNoLeaks())
const rawSockets: { destroy(): void }[] = []
afterEach(async () => {
  for (const socket of rawSockets.splice(0)) socket.destroy()
  unregisterChannel('udp-fast')
  await resources.closeAll()
})

function rawConnect(address: string): Promise<Socket> {
  const target = address.startsWith(':pipe:')
    ? { path: address.slice(':pipe:'.length) }
    : { host: '127.0.0.1', port: Number(address.slice(address.lastIndexOf(':') + 1)) }
  return new Promise((resolve, reject) => {
    const socket = createConnection(target, () => resolve(socket))
    socket.on('error', reject)
    rawSockets.push(socket)
  })
}

/** A listener that reports each accepted connection's close, and echoes frames. */
async function watchedListener(listenString: string, maxFrameBytes = 1024) {
  const closes: (TandemError | null)[] = []
  const listener = await resources.listen(
    listenString,
    (connection) => {
      connection.onFrame((frame) => connection.send(frame))
      connection.onClose((error) => closes.push(error))
    },
    { maxFrameBytes },
  )
  return { listener, closes }
}

async function expectStillServing(address: string): Promise<void> {
  const client = await resources.connect(address, { maxFrameBytes: 1024 })
  const echoed = frames(client, 1)
  client.send(patternFrame(1000, 3))
  expect(sameBytes((await echoed)[0] as Uint8Array, patternFrame(1000, 3))).toBe(true)
}

async function waitFor<T>(list: T[], count: number): Promise<void> {
  for (let i = 0; i < 500 && list.length < count; i++) await new Promise((r) => setTimeout(r, 10))
  expect(list.length).toBeGreaterThanOrEqual(count)
}

const streamCases = [
  { name: 'tcp', listenString: () => ':tcp:0' },
  { name: 'pipe', listenString: () => `:pipe:${join(resources.tempDirectory(), 'hostile.sock')}` },
]

describe.each(streamCases)('$name listener facing raw sockets', ({ listenString }) => {
  it('closes a connection that declares an oversized frame with TDB_FRAME_TOO_LARGE', async () => {
    const { listener, closes } = await watchedListener(listenString())
    const raw = await rawConnect(listener.address)
    const rawClosed = new Promise((resolve) => raw.on('close', resolve))
    raw.write(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1, 2, 3))
    await rawClosed
    await waitFor(closes, 1)
    expect(closes[0]).toBeInstanceOf(ProtocolError)
    expect(closes[0]?.code).toBe('TDB_FRAME_TOO_LARGE')
    await expectStillServing(listener.address)
  })

  it('closes a connection that sends garbage, and keeps serving others', async () => {
    const { listener, closes } = await watchedListener(listenString())
    const good = await resources.connect(listener.address)
    const prng = new Prng(77)
    const garbage = new Uint8Array(65_536)
    for (let i = 0; i < garbage.length; i++) garbage[i] = prng.nextInt(256)
    garbage[0] = 0x7f // the first declared length is far over the 1 KiB cap
    const raw = await rawConnect(listener.address)
    raw.write(garbage)
    await waitFor(closes, 1)
    expect(closes[0]?.code).toBe('TDB_FRAME_TOO_LARGE')
    const echoed = frames(good, 1)
    good.send(patternFrame(10, 1))
    expect((await echoed)[0]?.byteLength).toBe(10)
    await expectStillServing(listener.address)
  })

  it('reports a peer that stops inside a frame as TDB_CONNECTION_BROKEN', async () => {
    const { listener, closes } = await watchedListener(listenString())
    const raw = await rawConnect(listener.address)
    raw.end(Uint8Array.of(0, 0, 0, 100, 1, 2, 3))
    await waitFor(closes, 1)
    expect(closes[0]).toBeInstanceOf(ChannelError)
    expect(closes[0]?.code).toBe('TDB_CONNECTION_BROKEN')
    expect((closes[0]?.cause as TandemError).code).toBe('TDB_FRAME_INCOMPLETE')
  })

  it('survives a frame handler that throws: that connection closes with the error', async () => {
    const closes: (TandemError | null)[] = []
    const listener = await resources.listen(listenString(), (connection) => {
      connection.onFrame(() => {
        throw new ProtocolError('TDB_FRAME_MALFORMED', 'not a replication message')
      })
      connection.onClose((error) => closes.push(error))
    })
    const client = await resources.connect(listener.address)
    const clientClosed = closed(client)
    client.send(new Uint8Array(8))
    await waitFor(closes, 1)
    expect(closes[0]?.message).toBe('not a replication message')
    expect(await clientClosed).toBe(null)
  })
})

describe('pipe socket files', () => {
  it('replaces a stale socket file that nothing answers on', async () => {
    const directory = resources.tempDirectory()
    const live = join(directory, 'live.sock')
    const stale = join(directory, 'stale.sock')
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(live, resolve))
    // Moving the bound file away and closing the server leaves a socket file nobody serves.
    renameSync(live, stale)
    await new Promise((resolve) => server.close(resolve))
    expect(existsSync(stale)).toBe(true)
    const listener = await resources.listen(`:pipe:${stale}`, (c) => c.onFrame((f) => c.send(f)))
    await expectStillServing(listener.address)
  })

  it('never takes over a live socket or a regular file', async () => {
    const directory = resources.tempDirectory()
    const path = join(directory, 'taken.sock')
    const first = await resources.listen(`:pipe:${path}`, (c) => c.onFrame((f) => c.send(f)))
    await expect(resources.listen(`:pipe:${path}`)).rejects.toMatchObject({
      code: 'TDB_INVALID_ARGUMENT',
      details: { osCode: 'EADDRINUSE' },
    })
    await expectStillServing(first.address)
    const file = join(directory, 'data.txt')
    writeFileSync(file, 'keep me')
    await expect(resources.listen(`:pipe:${file}`)).rejects.toMatchObject({
      code: 'TDB_INVALID_ARGUMENT',
    })
    expect(readFileSync(file, 'utf8')).toBe('keep me')
  })
})

describe('udp listener facing raw datagrams', () => {
  function rawUdp() {
    const socket = createSocket('udp4')
    rawSockets.push({ destroy: () => socket.close() })
    return socket
  }

  function portOf(address: string): number {
    return Number(address.slice(address.lastIndexOf(':') + 1))
  }

  it('ignores junk and answers a stray with a reset, and keeps serving', async () => {
    const { listener } = await watchedListener(':udp:0')
    const raw = rawUdp()
    const replies: number[] = []
    raw.on('message', (datagram) => replies.push(peekDatagram(datagram)?.type ?? -1))
    await new Promise<void>((resolve) => raw.bind(0, '127.0.0.1', resolve))
    const prng = new Prng(31)
    for (let i = 0; i < 200; i++) {
      const junk = new Uint8Array(1 + prng.nextInt(100))
      for (let j = 0; j < junk.length; j++) junk[j] = prng.nextInt(256)
      raw.send(junk, portOf(listener.address), '127.0.0.1')
    }
    // A data datagram for a connection the listener never accepted.
    const stray = Uint8Array.of(0xd7, 3, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 3)
    raw.send(stray, portOf(listener.address), '127.0.0.1')
    await waitFor(replies, 1)
    expect(replies).toEqual([5])
    await expectStillServing(listener.address)
  })

  it('declares a peer that goes silent dead within the retry limit', async () => {
    registerChannel(
      createUdpChannel(
        { initialRtoMs: 20, minRtoMs: 10, maxRtoMs: 80, maxRetransmits: 4 },
        'udp-fast',
      ),
    )
    const raw = rawUdp()
    await new Promise<void>((resolve) => raw.bind(0, '127.0.0.1', resolve))
    // The fake peer completes the handshake, then never answers again.
    raw.on('message', (datagram, peer) => {
      const head = peekDatagram(datagram)
      if (head?.type !== PACKET_SYN) return
      raw.send(encodeHandshake(PACKET_SYN_ACK, head.connectionId, 0, 64), peer.port, peer.address)
    })
    const client = await resources.connect(`:udp-fast:127.0.0.1:${raw.address().port}`)
    const clientClosed = closed(client)
    const start = Date.now()
    client.send(patternFrame(100, 1))
    const error = await clientClosed
    expect(error?.code).toBe('TDB_CONNECTION_BROKEN')
    expect(Date.now() - start).toBeLessThan(5 * 80 + 500)
  })

  it('fails a connect to a port nobody serves at once (ICMP refused)', async () => {
    const raw = rawUdp()
    await new Promise<void>((resolve) => raw.bind(0, '127.0.0.1', resolve))
    const port = raw.address().port
    raw.close()
    rawSockets.pop()
    const start = Date.now()
    const error = await connect(`:udp:127.0.0.1:${port}`, { connectTimeoutMs: 3000 }).then(
      (connection: Connection) => connection,
      (failure: unknown) => failure,
    )
    expect(error).toBeInstanceOf(ChannelError)
    expect((error as ChannelError).code).toBe('TDB_CONNECTION_BROKEN')
    expect(Date.now() - start).toBeLessThan(1000)
  })
})

/**
 * The channel registry and the runtime wrapper (DESIGN "Replication": connection strings;
 * STYLE 5.2 "Channels are adapters"). Resolution: a prefix selects its channel at once, a
 * bare string goes to the first registered channel that accepts it (tcp before the others),
 * and a string nobody takes fails with TDB_CHANNEL_NOT_REGISTERED naming it. A user channel
 * registered at run time is reachable by its prefix and by fallback, and the runtime wrapper
 * holds a misbehaving adapter to the Connection rules.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ChannelError, ProtocolError, TandemError } from '../../../src/errors.js'
import type { Channel, Connection } from '../../../src/channels/channel.js'
import {
  connect,
  listen,
  registerChannel,
  registeredChannels,
  resolve,
  unregisterChannel,
} from '../../../src/channels/registry.js'
import { Resources, closed, frames, socketLeakCheck } from './harness.js'

const resources = new Resources()
let checkNoLeaks: () => Promise<void> = async () => undefined
beforeAll(() => {
  checkNoLeaks = socketLeakCheck()
})
afterAll(() => checkNoLeaks())
afterEach(async () => {
  unregisterChannel('loop')
  await resources.closeAll()
})

function channelOf(connectionString: string, role: 'listen' | 'connect'): [string, string] {
  const { channel, address } = resolve(connectionString, role)
  return [channel.name, address]
}

function errorOf(run: () => unknown): TandemError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(TandemError)
    return error as TandemError
  }
  return expect.fail('expected a TandemError')
}

describe('resolve (DESIGN "Replication": connection strings)', () => {
  it('registers the built-ins in the order tcp, udp, pipe, mem', () => {
    const names = registeredChannels().map((channel) => channel.name)
    expect(names.slice(0, 4)).toEqual(['tcp', 'udp', 'pipe', 'mem'])
  })

  it('selects a channel by prefix at once', () => {
    expect(channelOf(':tcp:20000', 'listen')).toEqual(['tcp', '20000'])
    expect(channelOf(':tcp:127.0.0.1:20000', 'connect')).toEqual(['tcp', '127.0.0.1:20000'])
    expect(channelOf(':tcp:[::1]:20000', 'connect')).toEqual(['tcp', '[::1]:20000'])
    expect(channelOf(':udp:127.0.0.1:30000', 'connect')).toEqual(['udp', '127.0.0.1:30000'])
    expect(channelOf(':pipe:/tmp/tandem.sock', 'listen')).toEqual(['pipe', '/tmp/tandem.sock'])
    expect(channelOf(':mem:node-1', 'connect')).toEqual(['mem', 'node-1'])
  })

  it('offers a bare string to the channels in order: tcp first, as in eXtremeDB', () => {
    expect(channelOf('20000', 'listen')).toEqual(['tcp', '20000'])
    expect(channelOf('127.0.0.1:20000', 'connect')).toEqual(['tcp', '127.0.0.1:20000'])
    expect(channelOf('db1.example.com:20000', 'connect')).toEqual(['tcp', 'db1.example.com:20000'])
    expect(channelOf('[::1]:20000', 'connect')).toEqual(['tcp', '[::1]:20000'])
    expect(channelOf('/tmp/tandem.sock', 'connect')).toEqual(['pipe', '/tmp/tandem.sock'])
    expect(channelOf('node-1', 'connect')).toEqual(['mem', 'node-1'])
  })

  it('falls through to the next channel when one is unregistered', () => {
    const tcp = registeredChannels().find((channel) => channel.name === 'tcp') as Channel
    try {
      unregisterChannel('tcp')
      expect(channelOf('127.0.0.1:20000', 'connect')).toEqual(['udp', '127.0.0.1:20000'])
    } finally {
      const others = registeredChannels()
      for (const channel of others) unregisterChannel(channel.name)
      for (const channel of [tcp, ...others]) registerChannel(channel)
    }
    expect(registeredChannels().map((channel) => channel.name)[0]).toBe('tcp')
  })

  it('fails with TDB_CHANNEL_NOT_REGISTERED naming the string', () => {
    for (const bad of [':quic:host:1', 'ftp://host', 'two words', '', '127.0.0.1:99999']) {
      const error = errorOf(() => resolve(bad, 'connect'))
      expect(error).toBeInstanceOf(ChannelError)
      expect(error.code).toBe('TDB_CHANNEL_NOT_REGISTERED')
      expect(error.message).toContain(JSON.stringify(bad))
    }
    expect(errorOf(() => resolve('20000', 'connect')).code).toBe('TDB_CHANNEL_NOT_REGISTERED')
  })

  it('rejects a prefixed address its channel cannot parse with TDB_INVALID_ARGUMENT', async () => {
    await expect(listen(':tcp:not-a-port', () => undefined)).rejects.toMatchObject({
      code: 'TDB_INVALID_ARGUMENT',
    })
    await expect(connect(':tcp:20000')).rejects.toMatchObject({ code: 'TDB_INVALID_ARGUMENT' })
    await expect(connect(':pipe:relative.sock')).rejects.toMatchObject({
      code: 'TDB_INVALID_ARGUMENT',
    })
  })

  it('checks options and refuses a clashing registration', async () => {
    await expect(connect(':mem:x', { maxFrameBytes: 0 })).rejects.toMatchObject({
      code: 'TDB_INVALID_PARAMETER',
    })
    const tcp = registeredChannels()[0] as Channel
    expect(errorOf(() => registerChannel(tcp)).code).toBe('TDB_INVALID_ARGUMENT')
  })

  it('reports a refused connection as TDB_CONNECTION_BROKEN', async () => {
    const listener = await resources.listen(':tcp:0')
    await listener.close()
    await expect(connect(listener.address)).rejects.toMatchObject({
      code: 'TDB_CONNECTION_BROKEN',
    })
    await expect(connect(':mem:nobody-listens')).rejects.toMatchObject({
      code: 'TDB_CONNECTION_BROKEN',
    })
  })
})

/**
 * A user channel that loops frames back in-process, and misbehaves on request: it reports
 * close twice, delivers frames after closing, delivers oversized frames, and sends synchronously.
 */
class LoopEnd implements Connection {
  readonly channel = 'loop'
  readonly remote: string
  peer: LoopEnd | null = null
  frameHandlers: ((frame: Uint8Array) => void)[] = []
  closeHandlers: ((error: TandemError | null) => void)[] = []
  bytesSent = -5
  bytesReceived = Number.NaN
  pendingBytes = Number.NaN
  constructor(remote: string) {
    this.remote = remote
  }
  send(frame: Uint8Array): void {
    if (frame.byteLength === 13) throw new TypeError('thirteen is unlucky')
    const peer = this.peer
    setImmediate(() => peer?.frameHandlers.forEach((handler) => handler(frame)))
  }
  onFrame(handler: (frame: Uint8Array) => void): void {
    this.frameHandlers.push(handler)
  }
  onClose(handler: (error: TandemError | null) => void): void {
    this.closeHandlers.push(handler)
  }
  close(): void {
    // Misbehaviour: reports the close twice, to itself and to the peer, every time.
    for (const end of [this, this.peer]) {
      end?.closeHandlers.forEach((handler) => handler(null))
      end?.closeHandlers.forEach((handler) => handler(null))
    }
  }
}

const loopListeners = new Map<string, (connection: Connection) => void>()
const loopChannel: Channel = {
  name: 'loop',
  prefix: ':loop:',
  accepts: (address) => address.startsWith('loop/'),
  async listen(address, onConnection) {
    loopListeners.set(address, onConnection)
    return { address, close: async () => void loopListeners.delete(address) }
  },
  async connect(address) {
    const onConnection = loopListeners.get(address)
    if (onConnection === undefined) throw new RangeError(`nothing at ${address}`)
    const client = new LoopEnd(address)
    const server = new LoopEnd(`${address}/peer`)
    client.peer = server
    server.peer = client
    onConnection(server)
    return client
  },
}

describe('a user channel under the runtime wrapper (STYLE 5.2)', () => {
  it('is reachable by prefix and by fallback, after the built-ins', async () => {
    registerChannel(loopChannel)
    expect(registeredChannels().at(-1)?.name).toBe('loop')
    expect(channelOf('loop/a', 'connect')).toEqual(['loop', 'loop/a'])
    const listener = await resources.listen(':loop:loop/a', (c) => c.onFrame((f) => c.send(f)))
    expect(listener.address).toBe(':loop:loop/a')
    const client = await resources.connect('loop/a')
    expect(client.channel).toBe('loop')
    const echoed = frames(client, 2)
    client.send(new Uint8Array([1]))
    client.send(new Uint8Array([2, 3]))
    expect((await echoed).map((frame) => [...frame])).toEqual([[1], [2, 3]])
    expect([client.bytesSent, client.bytesReceived, client.pendingBytes]).toEqual([3, 3, 0])
  })

  it('runs onClose once even when the adapter reports it twice', async () => {
    registerChannel(loopChannel)
    let server: Connection | null = null
    await resources.listen(':loop:loop/b', (connection) => (server = connection))
    const client = await resources.connect(':loop:loop/b')
    const calls: unknown[] = []
    client.onClose((error) => calls.push(error))
    client.close()
    client.close()
    await closed(client)
    expect(calls).toEqual([null])
    expect(() => client.send(new Uint8Array(1))).toThrow(ChannelError)
    expect(await closed(server as unknown as Connection)).toBe(null)
  })

  it('closes the connection when the adapter throws on send or a handler throws', async () => {
    registerChannel(loopChannel)
    await resources.listen(':loop:loop/c', (c) => {
      c.onFrame(() => {
        throw new RangeError('handler bug')
      })
    })
    const client = await resources.connect(':loop:loop/c')
    expect(() => client.send(new Uint8Array(13))).toThrow(/thirteen is unlucky/)
    const error = await closed(client)
    expect(error?.code).toBe('TDB_CONNECTION_BROKEN')
    expect(error?.cause).toBeInstanceOf(TypeError)

    const second = await resources.connect(':loop:loop/c')
    second.send(new Uint8Array(1))
    // The server's handler threw; the server side closed (cleanly for the adapter, which
    // reports null to both ends), and the process did not crash.
    expect(await closed(second)).toBe(null)
  })

  it('closes with TDB_FRAME_TOO_LARGE when an adapter delivers a frame over the cap', async () => {
    registerChannel(loopChannel)
    let server: Connection | null = null
    await resources.listen(':loop:loop/d', (c) => (server = c), { maxFrameBytes: 10 })
    const client = await resources.connect(':loop:loop/d', { maxFrameBytes: 100 })
    const serverClosed = closed(server as unknown as Connection)
    client.send(new Uint8Array(50))
    const error = await serverClosed
    expect(error).toBeInstanceOf(ProtocolError)
    expect(error?.code).toBe('TDB_FRAME_TOO_LARGE')
  })

  it('turns an adapter connect failure into a TandemError', async () => {
    registerChannel(loopChannel)
    await expect(connect(':loop:loop/none')).rejects.toMatchObject({
      code: 'TDB_CONNECTION_BROKEN',
      message: expect.stringContaining('nothing at loop/none'),
    })
  })

  it('turns an adapter that throws instead of rejecting into a TandemError', async () => {
    const throwing: Channel = {
      ...loopChannel,
      connect: () => {
        throw new SyntaxError('bad address')
      },
    }
    registerChannel(throwing)
    await expect(connect(':loop:loop/x')).rejects.toMatchObject({
      code: 'TDB_CONNECTION_BROKEN',
      cause: expect.any(SyntaxError),
    })
  })

  it('times out a connect that never answers', async () => {
    registerChannel({ ...loopChannel, connect: () => new Promise(() => undefined) })
    await expect(connect(':loop:loop/e', { connectTimeoutMs: 50 })).rejects.toMatchObject({
      code: 'TDB_TIMEOUT',
    })
  })
})

/**
 * The Connection contract (DESIGN "Replication": the channels replication runs over), checked
 * the same way on every built-in channel over loopback: many frames of 0 B to 4 MiB echo back
 * whole and in order; either side may close and each side's onClose runs exactly once;
 * send after close throws TDB_CHANNEL_CLOSED; an oversized send throws TDB_FRAME_TOO_LARGE
 * and keeps the connection; the byte counters add up; closing a listener frees its address.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ChannelError, ProtocolError } from '../../../src/errors.js'
import { memChannelUsage } from '../../../src/channels/mem.js'
import {
  ECHO_SIZES,
  Resources,
  closed,
  eventually,
  frames,
  patternFrame,
  sameBytes,
  socketLeakCheck,
} from './harness.js'

const resources = new Resources()
let checkNoLeaks: () => Promise<void> = async () => undefined
beforeAll(() => {
  checkNoLeaks = socketLeakCheck()
})
afterAll(() => checkNoLeaks())
afterEach(() => resources.closeAll())

interface ChannelCase {
  readonly name: string
  /** A fresh listen string for this test. */
  readonly listenString: () => string
  /** Checks that the address of a closed listener is free again. */
  readonly addressFreed: (address: string) => Promise<void>
}

let memCount = 0
const cases: ChannelCase[] = [
  {
    name: 'tcp (IPv4)',
    listenString: () => ':tcp:0',
    addressFreed: async (address) => {
      const again = await resources.listen(address)
      expect(again.address).toBe(address)
    },
  },
  {
    name: 'tcp (IPv6 ::1)',
    listenString: () => ':tcp:[::1]:0',
    addressFreed: async (address) => {
      const again = await resources.listen(address)
      expect(again.address).toBe(address)
    },
  },
  {
    name: 'udp (IPv4)',
    listenString: () => ':udp:0',
    addressFreed: async (address) => {
      const again = await resources.listen(address)
      expect(again.address).toBe(address)
    },
  },
  {
    name: 'udp (IPv6 ::1)',
    listenString: () => ':udp:[::1]:0',
    addressFreed: async (address) => {
      const again = await resources.listen(address)
      expect(again.address).toBe(address)
    },
  },
  {
    name: 'pipe',
    listenString: () => `:pipe:${join(resources.tempDirectory(), 'tandem.sock')}`,
    addressFreed: async (address) => {
      expect(existsSync(address.slice(':pipe:'.length))).toBe(false)
      const again = await resources.listen(address)
      expect(again.address).toBe(address)
    },
  },
  {
    name: 'mem',
    listenString: () => `:mem:contract-${++memCount}`,
    addressFreed: async (address) => {
      const again = await resources.listen(address)
      expect(again.address).toBe(address)
    },
  },
]

describe.each(cases)('$name channel (DESIGN "Replication")', (channel) => {
  it('echoes frames of 0 B to 4 MiB whole and in order', async () => {
    const { client } = await resources.echoPair(channel.listenString())
    const sent: Uint8Array[] = []
    for (let round = 0; round < 3; round++) {
      for (const size of ECHO_SIZES) sent.push(patternFrame(size, sent.length))
    }
    for (let i = 0; i < 300; i++) sent.push(patternFrame((i * 37) % 700, sent.length))
    const echoed = frames(client, sent.length)
    for (const frame of sent) client.send(frame)
    const received = await echoed
    expect(received.map((frame) => frame.byteLength)).toEqual(sent.map((frame) => frame.byteLength))
    const mismatched = received.findIndex((frame, i) => !sameBytes(frame, sent[i] as Uint8Array))
    expect(mismatched).toBe(-1)
    const total = sent.reduce((sum, frame) => sum + frame.byteLength, 0)
    expect(client.bytesSent).toBe(total)
    expect(client.bytesReceived).toBe(total)
    await eventually(() => client.pendingBytes === 0)
  })

  it('closes from the client side: both ends see one clean close, then sends throw', async () => {
    const { client, accepted } = await resources.echoPair(channel.listenString())
    const server = await accepted
    const clientCloses: unknown[] = []
    const serverCloses: unknown[] = []
    client.onClose((error) => clientCloses.push(error))
    server.onClose((error) => serverCloses.push(error))
    const lastFrame = frames(server, 1)
    client.send(patternFrame(100, 1))
    client.close()
    client.close()
    expect(() => client.send(new Uint8Array(1))).toThrow(ChannelError)
    expect(sameBytes((await lastFrame)[0] as Uint8Array, patternFrame(100, 1))).toBe(true)
    await eventually(() => serverCloses.length > 0 && clientCloses.length > 0)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(clientCloses).toEqual([null])
    expect(serverCloses).toEqual([null])
    const late = await closed(client)
    expect(late).toBe(null)
    try {
      server.send(new Uint8Array(1))
      expect.fail('send after close must throw')
    } catch (error) {
      expect(error).toBeInstanceOf(ChannelError)
      expect((error as ChannelError).code).toBe('TDB_CHANNEL_CLOSED')
    }
  })

  it('closes from the accepting side: the client sees one clean close', async () => {
    const { client, accepted } = await resources.echoPair(channel.listenString())
    const server = await accepted
    const clientCloses: unknown[] = []
    client.onClose((error) => clientCloses.push(error))
    const serverClose = closed(server)
    server.close()
    expect(await serverClose).toBe(null)
    await eventually(() => clientCloses.length > 0)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(clientCloses).toEqual([null])
    expect(() => client.send(new Uint8Array(1))).toThrow(/closed/)
  })

  it('holds frames that arrive before the first frame handler, in order', async () => {
    const greeting = [patternFrame(10, 1), patternFrame(20_000, 2), patternFrame(0, 3)]
    const listener = await resources.listen(channel.listenString(), (connection) => {
      for (const frame of greeting) connection.send(frame)
    })
    const client = await resources.connect(listener.address)
    await new Promise((resolve) => setTimeout(resolve, 50))
    const received = await frames(client, greeting.length)
    expect(received.every((frame, i) => sameBytes(frame, greeting[i] as Uint8Array))).toBe(true)
  })

  it('delivers what a peer sent right before closing, then closes cleanly', async () => {
    const parting = [patternFrame(64, 1), patternFrame(70_000, 2)]
    const listener = await resources.listen(channel.listenString(), (connection) => {
      for (const frame of parting) connection.send(frame)
      connection.close()
    })
    const client = await resources.connect(listener.address)
    const received = frames(client, parting.length)
    const clientClosed = closed(client)
    const got = await received
    expect(got.every((frame, i) => sameBytes(frame, parting[i] as Uint8Array))).toBe(true)
    expect(await clientClosed).toBe(null)
  })

  it('refuses an oversized send and keeps the connection', async () => {
    const { client } = await resources.echoPair(channel.listenString(), { maxFrameBytes: 1000 })
    try {
      client.send(new Uint8Array(1001))
      expect.fail('an oversized send must throw')
    } catch (error) {
      expect(error).toBeInstanceOf(ProtocolError)
      expect((error as ProtocolError).code).toBe('TDB_FRAME_TOO_LARGE')
    }
    expect(client.bytesSent).toBe(0)
    const echoed = frames(client, 1)
    client.send(patternFrame(1000, 7))
    expect(sameBytes((await echoed)[0] as Uint8Array, patternFrame(1000, 7))).toBe(true)
  })

  it('frees the address when the listener closes', async () => {
    const listener = await resources.listen(channel.listenString())
    await listener.close()
    await listener.close()
    await channel.addressFreed(listener.address)
    await expect(resources.connect(listener.address)).resolves.toBeDefined()
  })
})

describe('mem channel bookkeeping', () => {
  it('leaves no listener or connection end open after cleanup', async () => {
    await resources.echoPair(':mem:bookkeeping')
    expect(memChannelUsage().connectionEnds).toBe(2)
    await resources.closeAll()
    await eventually(() => memChannelUsage().connectionEnds === 0)
    expect(memChannelUsage().listeners).toBe(0)
  })
})

/**
 * Replication over a channel the application supplies (DESIGN "Replication": the channel
 * registry and "any user-supplied one"; Berkeley DB's application transport). The test
 * writes its own transport from nothing — two in-process queues per connection, delivered on
 * a later macrotask, with the `:app:` prefix — registers it, and runs a master and a replica
 * over it through the public API: the replica loads, follows sync commits, and ends with the
 * master's content; the status names the user channel; closing the link stops the replica.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Database, HaMaster, HaReplica, loadDictionary } from '../../../src/index.js'
import { registerChannel, unregisterChannel } from '../../../src/index.js'
import type { Channel, ChannelOptions, Connection, Listener } from '../../../src/index.js'
import type { TandemError } from '../../../src/index.js'

/** One end of an in-process link: frames go to the peer's handlers on a later macrotask. */
class AppConnection implements Connection {
  readonly channel = 'app'
  peer: AppConnection | null = null
  bytesSent = 0
  bytesReceived = 0
  readonly pendingBytes = 0
  readonly #frameHandlers: ((frame: Uint8Array) => void)[] = []
  readonly #closeHandlers: ((error: TandemError | null) => void)[] = []
  #closed = false

  constructor(readonly remote: string) {}

  send(frame: Uint8Array): void {
    const peer = this.peer
    this.bytesSent += frame.byteLength
    const copy = frame.slice()
    setImmediate(() => peer?.receive(copy))
  }

  onFrame(handler: (frame: Uint8Array) => void): void {
    this.#frameHandlers.push(handler)
  }

  onClose(handler: (error: TandemError | null) => void): void {
    this.#closeHandlers.push(handler)
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    const peer = this.peer
    setImmediate(() => {
      for (const handler of this.#closeHandlers) handler(null)
      peer?.close()
    })
  }

  /** Delivers a frame from the peer. */
  receive(frame: Uint8Array): void {
    if (this.#closed) return
    this.bytesReceived += frame.byteLength
    for (const handler of this.#frameHandlers) handler(frame)
  }
}

/** The application's channel: listeners by name in a Map, connections as linked pairs. */
function appChannel(): Channel & { readonly opened: AppConnection[] } {
  const listeners = new Map<string, (connection: Connection) => void>()
  const opened: AppConnection[] = []
  return {
    name: 'app',
    prefix: ':app:',
    opened,
    accepts: (address) => /^[a-z]+$/.test(address),
    async listen(address: string, onConnection, _options: ChannelOptions): Promise<Listener> {
      listeners.set(address, onConnection)
      return {
        address: `:app:${address}`,
        close: async () => void listeners.delete(address),
      }
    },
    async connect(address: string, _options: ChannelOptions): Promise<Connection> {
      const accept = listeners.get(address)
      if (accept === undefined) throw new Error(`nobody listens on ${address}`)
      const client = new AppConnection(`server ${address}`)
      const server = new AppConnection(`client ${opened.length}`)
      client.peer = server
      server.peer = client
      opened.push(client, server)
      accept(server)
      return client
    },
  }
}

const dictionary = loadDictionary(`
  declare database appchan;
  declare auto_oid [1000];
  class Quote { unsigned<4> id; string symbol; double price; unique tree<id> byId; };
`)

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe('a user-supplied channel (DESIGN "Replication": channel registry)', () => {
  it('carries a load, sync commits and the stop of a master and a replica', async () => {
    const channel = appChannel()
    registerChannel(channel)
    cleanups.push(() => unregisterChannel('app'))
    const masterDb = await Database.open({ dictionary })
    masterDb.write((tx) => tx.insert('Quote', { id: 1, symbol: 'ACME', price: 10 }))
    const master = await HaMaster.start(masterDb, { listen: ':app:quotes', mode: 'sync' })
    cleanups.push(() => master.stop())
    expect(master.addresses).toEqual([':app:quotes'])

    const replicaDb = await Database.open({ dictionary })
    const replica = await HaReplica.attach(replicaDb, ':app:quotes')
    await replica.synced
    expect(replicaDb.read((tx) => tx.find('Quote', 'byId', 1))).toMatchObject({ price: 10 })

    for (let id = 2; id <= 20; id++) {
      const result = masterDb.write((tx) => tx.insert('Quote', { id, symbol: 'S', price: id }))
      expect(await result.durable).toBe('ok')
    }
    expect(replicaDb.getSequencer()).toBe(masterDb.getSequencer())
    expect(replicaDb.contentHash()).toBe(masterDb.contentHash())
    expect(master.status()[0]).toMatchObject({ state: 'streaming', mode: 'sync' })
    expect(master.status()[0]?.channel).toMatch(/^app:/)
    expect(channel.opened.length).toBe(2)

    for (const connection of channel.opened) connection.close()
    const stopped = await replica.stopped
    expect(stopped.name).toBe('CONNECTION_ABORTED')
  })
})

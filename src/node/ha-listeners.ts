/**
 * The sync-mode master transport: listeners and replica connections on the main thread, next
 * to the MasterCore, so that a sync commit's round trip crosses no thread (latency matters:
 * with window 1 every commit waits for an ack). Async streaming is not its job.
 */
import type { ChannelOptions, Connection, Listener } from '../channels/channel.js'
import { listen } from '../channels/registry.js'
import { TandemError } from '../errors.js'
import type { ConnId } from '../ha/inputs.js'
import type { ChannelCounters } from '../ha/status.js'
import { assert } from '../util/assert.js'
import type { MasterTransport, MasterTransportEvents } from './ha-transport.js'

export class MainThreadTransport implements MasterTransport {
  readonly #listeners: Listener[]
  readonly #connections = new Map<ConnId, Connection>()
  #nextConn = 1
  #events: MasterTransportEvents | null = null
  #stopped = false

  private constructor(listeners: Listener[]) {
    this.#listeners = listeners
  }

  /**
   * Listens on every connection string; when one fails, the others are closed and the error
   * (`TDB_CHANNEL_NOT_REGISTERED`, an address in use, ...) is thrown.
   */
  static async start(
    addresses: readonly string[],
    options: Partial<ChannelOptions>,
    events: MasterTransportEvents,
  ): Promise<MainThreadTransport> {
    const listeners: Listener[] = []
    const transport = new MainThreadTransport(listeners)
    transport.#events = events
    try {
      for (const address of addresses) {
        listeners.push(await listen(address, (c) => transport.#accept(c), options))
      }
    } catch (error) {
      await Promise.all(listeners.map((listener) => listener.close()))
      throw error
    }
    return transport
  }

  get addresses(): readonly string[] {
    return this.#listeners.map((listener) => listener.address)
  }

  #accept(connection: Connection): void {
    if (this.#stopped) {
      connection.close()
      return
    }
    const events = this.#events
    assert(events !== null, 'transport accepts before its events are set')
    const conn = this.#nextConn++
    this.#connections.set(conn, connection)
    events.connected(conn, connection.channel, connection.remote)
    connection.onFrame((frame) => events.frame(conn, frame))
    connection.onClose((error) => {
      this.#connections.delete(conn)
      events.disconnected(conn, error?.code ?? null)
    })
  }

  send(conn: ConnId, frame: Uint8Array): void {
    const connection = this.#connections.get(conn)
    if (connection === undefined) return
    try {
      connection.send(frame)
    } catch (error) {
      // A connection that closed under us reports itself through onClose.
      if (!(error instanceof TandemError)) throw error
    }
  }

  close(conn: ConnId): void {
    this.#connections.get(conn)?.close()
  }

  streamFrom(): void {
    assert(false, 'the main-thread transport has no async stream')
  }

  committed(): void {}

  checkWrite(): void {}

  counters(conn: ConnId): ChannelCounters | null {
    const connection = this.#connections.get(conn)
    if (connection === undefined) return null
    return { bytesSent: connection.bytesSent, bytesReceived: connection.bytesReceived }
  }

  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    await Promise.all(this.#listeners.map((listener) => listener.close()))
    for (const connection of this.#connections.values()) connection.close()
  }
}

/**
 * Helpers shared by the channel tests: open listeners and connections that are all closed
 * after each test, wait for frames and closes, and build frames whose content is checkable.
 */
import { expect } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TandemError } from '../../../src/errors.js'
import type { ChannelOptions, Connection, Listener } from '../../../src/channels/channel.js'
import { connect, listen } from '../../../src/channels/registry.js'

/** Everything opened through `Resources`, closed by `closeAll`. */
export class Resources {
  readonly #listeners: Listener[] = []
  readonly #connections: Connection[] = []
  readonly #directories: string[] = []

  /** A fresh temporary directory, removed by `closeAll`. */
  tempDirectory(): string {
    const directory = mkdtempSync(join(tmpdir(), 'tandem-channels-'))
    this.#directories.push(directory)
    return directory
  }

  track(connection: Connection): Connection {
    this.#connections.push(connection)
    return connection
  }

  async listen(
    connectionString: string,
    onConnection: (connection: Connection) => void = () => undefined,
    options?: Partial<ChannelOptions>,
  ): Promise<Listener> {
    const listener = await listen(
      connectionString,
      (connection) => onConnection(this.track(connection)),
      options,
    )
    this.#listeners.push(listener)
    return listener
  }

  async connect(connectionString: string, options?: Partial<ChannelOptions>): Promise<Connection> {
    return this.track(await connect(connectionString, options))
  }

  /** A listener whose accepted connections echo every frame back, and a client connected to it. */
  async echoPair(
    connectionString: string,
    options?: Partial<ChannelOptions>,
  ): Promise<{ listener: Listener; client: Connection; accepted: Promise<Connection> }> {
    let resolveAccepted: (connection: Connection) => void = () => undefined
    const accepted = new Promise<Connection>((resolve) => (resolveAccepted = resolve))
    const listener = await this.listen(
      connectionString,
      (connection) => {
        connection.onFrame((frame) => connection.send(frame))
        resolveAccepted(connection)
      },
      options,
    )
    const client = await this.connect(listener.address, options)
    return { listener, client, accepted }
  }

  async closeAll(): Promise<void> {
    const connections = this.#connections.splice(0)
    const closes = connections.map((connection) => closed(connection))
    for (const connection of connections) connection.close()
    await Promise.all(this.#listeners.splice(0).map((listener) => listener.close()))
    await Promise.all(closes)
    for (const directory of this.#directories.splice(0)) {
      rmSync(directory, { recursive: true, force: true })
    }
  }
}

/** Resolves with the close error (or null) the next time — or the one time — it closes. */
export function closed(connection: Connection): Promise<TandemError | null> {
  return new Promise((resolve) => connection.onClose(resolve))
}

/** Collects `count` frames from `connection`. */
export function frames(connection: Connection, count: number): Promise<Uint8Array[]> {
  const received: Uint8Array[] = []
  return new Promise((resolve) => {
    if (count === 0) resolve(received)
    connection.onFrame((frame) => {
      received.push(frame)
      if (received.length === count) resolve(received)
    })
  })
}

/** A frame of `size` bytes whose content depends on `tag`, so mixed-up frames differ. */
export function patternFrame(size: number, tag: number): Uint8Array {
  const frame = new Uint8Array(size)
  let state = (tag * 2654435761 + size) >>> 0 || 1
  for (let i = 0; i < size; i += 4) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    frame[i] = state & 0xff
    if (i + 1 < size) frame[i + 1] = (state >>> 8) & 0xff
    if (i + 2 < size) frame[i + 2] = (state >>> 16) & 0xff
    if (i + 3 < size) frame[i + 3] = state >>> 24
  }
  return frame
}

/** Whether two frames hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  )
}

/** Frame sizes from 0 to 4 MiB, around the interesting boundaries. */
export const ECHO_SIZES = [
  0, 1, 2, 3, 4, 5, 63, 64, 65, 1000, 1024, 4095, 4096, 4097, 8191, 8192, 8193, 16383, 16384,
  16385, 65535, 65536, 65537, 100_000, 1024 * 1024, 4 * 1024 * 1024,
]

const SOCKET_RESOURCE = /TCP|UDP|Pipe/

function openSocketCount(): number {
  return process.getActiveResourcesInfo().filter((name) => SOCKET_RESOURCE.test(name)).length
}

/**
 * Call in `beforeAll`; the returned function, called in `afterAll`, waits until no more
 * sockets are open than at the start (udp sockets finish their close handshake first) and
 * fails if some stay open.
 */
export function socketLeakCheck(): () => Promise<void> {
  const baseline = openSocketCount()
  return () => eventually(() => openSocketCount() <= baseline, 10_000)
}

/** Waits until `predicate` holds, polling every few milliseconds, or fails after `timeoutMs`. */
export async function eventually(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now()
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) expect.fail(`condition not met in ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

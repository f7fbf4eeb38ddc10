/**
 * The `mem` channel: connections inside one process, for tests and the simulator.
 * `:mem:NAME` listens on or connects to NAME (letters, digits, `_`, `.`, `-`; not starting
 * with a digit, so a bare port never resolves here). Each frame is copied on send and
 * delivered asynchronously (a `setImmediate` batch), in order; frames sent before a close
 * still reach the peer, which then sees a clean close. `breakMemConnection` cuts a connection
 * at once, both ends seeing `TDB_CONNECTION_BROKEN`, as a crashed link would.
 */
import { ChannelError, type TandemError } from '../errors.js'
import { assert } from '../util/assert.js'
import type { Channel, Connection, Listener } from './channel.js'
import { innerConnection, runtimeChannel } from './runtime-channel.js'

const NAME = 'mem'
const MEM_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/

interface MemListenerEntry {
  readonly onConnection: (connection: Connection) => void
  accepted: number
}

const memListeners = new Map<string, MemListenerEntry>()
let openEnds = 0

/** One end of an in-process connection. */
class MemEnd implements Connection {
  readonly channel = NAME
  readonly remote: string
  peer: MemEnd | null = null
  #inbox: Uint8Array[] = []
  #inboxHead = 0
  #inboxBytes = 0
  #drainScheduled = false
  /** The peer closed cleanly: end once the inbox is delivered. */
  #finReceived = false
  #frameHandler: ((frame: Uint8Array) => void) | null = null
  #closeHandler: ((error: TandemError | null) => void) | null = null
  #closed = false
  bytesSent = 0
  bytesReceived = 0

  constructor(remote: string) {
    this.remote = remote
    openEnds++
  }

  get pendingBytes(): number {
    return this.peer === null ? 0 : this.peer.#inboxBytes
  }

  send(frame: Uint8Array): void {
    const peer = this.peer
    if (this.#closed || peer === null) {
      throw new ChannelError('TDB_CHANNEL_CLOSED', `mem connection to ${this.remote} is closed`)
    }
    this.bytesSent += frame.byteLength
    if (peer.#closed) return
    peer.#inbox.push(frame.slice())
    peer.#inboxBytes += frame.byteLength
    peer.#scheduleDrain()
  }

  onFrame(handler: (frame: Uint8Array) => void): void {
    assert(this.#frameHandler === null, 'an adapter connection has one frame handler')
    this.#frameHandler = handler
  }

  onClose(handler: (error: TandemError | null) => void): void {
    assert(this.#closeHandler === null, 'an adapter connection has one close handler')
    this.#closeHandler = handler
  }

  close(): void {
    if (this.#closed) return
    const peer = this.peer
    this.#end(null)
    if (peer !== null && !peer.#closed) {
      peer.#finReceived = true
      peer.#scheduleDrain()
    }
  }

  /** Cuts both ends at once; undelivered frames are lost. */
  break(reason: string): void {
    const peer = this.peer
    this.#end(broken(this.remote, reason))
    if (peer !== null) peer.#end(broken(peer.remote, reason))
  }

  #scheduleDrain(): void {
    if (this.#drainScheduled) return
    this.#drainScheduled = true
    setImmediate(() => this.#drain())
  }

  #drain(): void {
    this.#drainScheduled = false
    while (this.#inboxHead < this.#inbox.length && !this.#closed) {
      const frame = this.#inbox[this.#inboxHead] as Uint8Array
      this.#inbox[this.#inboxHead++] = EMPTY
      this.#inboxBytes -= frame.byteLength
      this.bytesReceived += frame.byteLength
      this.#frameHandler?.(frame)
    }
    if (this.#inboxHead === this.#inbox.length) {
      this.#inbox = []
      this.#inboxHead = 0
    }
    if (this.#finReceived && !this.#closed) this.#end(null)
  }

  #end(error: TandemError | null): void {
    if (this.#closed) return
    this.#closed = true
    this.#inbox = []
    this.#inboxHead = 0
    this.#inboxBytes = 0
    openEnds--
    this.#closeHandler?.(error)
  }
}

const EMPTY = new Uint8Array(0)

function broken(remote: string, reason: string): ChannelError {
  return new ChannelError('TDB_CONNECTION_BROKEN', `mem connection to ${remote} broke: ${reason}`, {
    channel: NAME,
    remote,
  })
}

function requireMemName(address: string): string {
  if (typeof address === 'string' && MEM_NAME.test(address)) return address
  throw new ChannelError(
    'TDB_INVALID_ARGUMENT',
    `:mem: name ${JSON.stringify(address)} must match ${String(MEM_NAME)}`,
    { channel: NAME, address },
  )
}

/** The mem adapter before the runtime wrapper. */
const memAdapter: Channel = {
  name: NAME,
  prefix: `:${NAME}:`,

  accepts(address: string): boolean {
    return typeof address === 'string' && MEM_NAME.test(address)
  },

  async listen(address, onConnection): Promise<Listener> {
    const name = requireMemName(address)
    if (memListeners.has(name)) {
      throw new ChannelError('TDB_INVALID_ARGUMENT', `:mem:${name} already has a listener`, {
        channel: NAME,
        address: name,
      })
    }
    const entry: MemListenerEntry = { onConnection, accepted: 0 }
    memListeners.set(name, entry)
    return {
      address: `:${NAME}:${name}`,
      close: async () => {
        if (memListeners.get(name) === entry) memListeners.delete(name)
      },
    }
  },

  async connect(address: string): Promise<Connection> {
    const name = requireMemName(address)
    const entry = memListeners.get(name)
    if (entry === undefined) {
      throw new ChannelError('TDB_CONNECTION_BROKEN', `no listener at :mem:${name}`, {
        channel: NAME,
        address: name,
      })
    }
    entry.accepted++
    const client = new MemEnd(name)
    const server = new MemEnd(`${name}#${entry.accepted}`)
    client.peer = server
    server.peer = client
    entry.onConnection(server)
    return client
  },
}

/** The built-in mem channel (already wrapped by `runtimeChannel`). */
export const memChannel: Channel = runtimeChannel(memAdapter)

/**
 * Test hook: breaks a mem connection as a crashed link would; both ends close with
 * `TDB_CONNECTION_BROKEN` and frames in flight are lost. Returns false for a connection that
 * is not a mem connection.
 */
export function breakMemConnection(connection: Connection, reason = 'broken by test'): boolean {
  const inner = innerConnection(connection)
  if (!(inner instanceof MemEnd)) return false
  inner.break(reason)
  return true
}

/** How many mem listeners and connection ends are open (to check that tests clean up). */
export function memChannelUsage(): { listeners: number; connectionEnds: number } {
  return { listeners: memListeners.size, connectionEnds: openEnds }
}

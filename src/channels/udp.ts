/**
 * The `udp` channel: frames over UDP made reliable by `udp-reliability.ts`. This file is the
 * socket driver: it owns the `dgram` sockets and a tick timer, demultiplexes datagrams to
 * sessions by peer address, port and connection id, and turns session events into the
 * `Connection` surface. Connection strings as for tcp: `:udp:PORT` listens on 127.0.0.1,
 * `:udp:HOST:PORT` listens on or connects to HOST, `:udp:[::1]:PORT` for IPv6.
 *
 * A listener's socket carries all the connections it accepted: closing the listener stops
 * accepting at once, and the socket (and its port) is released when its last connection has
 * finished closing. A silent peer is noticed only while frames are outstanding, as with tcp.
 */
import { randomBytes } from 'node:crypto'
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import { lookup } from 'node:dns/promises'
import { isIPv6 } from 'node:net'
import { ChannelError, type TandemError } from '../errors.js'
import { assert } from '../util/assert.js'
import type { Channel, ChannelOptions, Connection, Listener } from './channel.js'
import { checkRange } from './channel-options.js'
import {
  formatInetAddress,
  parseInetAddress,
  reachableHost,
  requireInetAddress,
} from './inet-address.js'
import { runtimeChannel } from './runtime-channel.js'
import {
  PACKET_RESET,
  PACKET_SYN,
  decodePacket,
  encodeReset,
  peekDatagram,
} from './udp-datagram.js'
import {
  DEFAULT_UDP_RELIABILITY,
  ReliableSession,
  checkUdpReliabilityConfig,
  type SessionEvent,
  type UdpReliabilityConfig,
} from './udp-reliability.js'

/** Settings of a udp channel: the reliability tuning plus the driver's own. */
export interface UdpChannelConfig extends Omit<UdpReliabilityConfig, 'maxFrameBytes'> {
  /** How often sessions are ticked for retransmissions (default 5 ms). */
  readonly tickIntervalMs: number
  /** Connections one listening socket serves at most; further SYNs are refused (default 1024). */
  readonly maxConnectionsPerListener: number
  /** Socket buffer size requested from the OS, which may grant less (default 4 MiB). */
  readonly socketBufferBytes: number
}

export const DEFAULT_UDP_CHANNEL_CONFIG: UdpChannelConfig = Object.freeze({
  ...DEFAULT_UDP_RELIABILITY,
  tickIntervalMs: 5,
  maxConnectionsPerListener: 1024,
  socketBufferBytes: 4 * 1024 * 1024,
})

/**
 * Makes a udp channel with its own tuning, e.g. smaller fragments for a real network:
 * `registerChannel(createUdpChannel({ fragmentBytes: 1400 }, 'udp-wan'))` (prefix `:udp-wan:`).
 */
export function createUdpChannel(config: Partial<UdpChannelConfig> = {}, name = 'udp'): Channel {
  const resolved: UdpChannelConfig = { ...DEFAULT_UDP_CHANNEL_CONFIG, ...config }
  checkUdpReliabilityConfig({ ...resolved, maxFrameBytes: 1 })
  checkRange('tickIntervalMs', resolved.tickIntervalMs, 1, 1000)
  checkRange('maxConnectionsPerListener', resolved.maxConnectionsPerListener, 1, 65_536)
  checkRange('socketBufferBytes', resolved.socketBufferBytes, 0, 2 ** 30)
  return runtimeChannel(udpAdapter(name, resolved))
}

function udpAdapter(name: string, config: UdpChannelConfig): Channel {
  return {
    name,
    prefix: `:${name}:`,
    accepts: (address, role) => parseInetAddress(address, role) !== null,
    async listen(address, onConnection, options): Promise<Listener> {
      const { host, port } = requireInetAddress(name, address, 'listen')
      const endpoint = new UdpEndpoint(name, config, isIPv6(host) ? 'udp6' : 'udp4')
      await endpoint.bind(host, port)
      endpoint.accept(onConnection, options)
      const bound = endpoint.socket.address()
      return {
        address: `:${name}:${formatInetAddress(reachableHost(bound.address), bound.port)}`,
        close: () => endpoint.stopAccepting(),
      }
    },
    async connect(address: string, options: ChannelOptions): Promise<Connection> {
      const { host, port } = requireInetAddress(name, address, 'connect')
      const resolved = await resolveHost(name, host)
      const endpoint = new UdpEndpoint(name, config, resolved.family === 6 ? 'udp6' : 'udp4')
      await endpoint.connectSocket(resolved.address, port)
      return endpoint.open(resolved.address, port, options)
    },
  }
}

async function resolveHost(
  channel: string,
  host: string,
): Promise<{ address: string; family: number }> {
  try {
    return await lookup(host)
  } catch (error) {
    throw new ChannelError('TDB_CONNECTION_BROKEN', `:${channel}: cannot resolve host ${host}`, {
      channel,
      host,
    }, { cause: error })
  }
}

function sessionKey(address: string, port: number, connectionId: number): string {
  return `${address}|${port}|${connectionId}`
}

/** One udp socket and the sessions it carries. */
class UdpEndpoint {
  readonly channel: string
  readonly config: UdpChannelConfig
  readonly socket: Socket
  readonly #connections = new Map<string, UdpConnection>()
  readonly #dirty = new Set<UdpConnection>()
  #flushScheduled = false
  #accepting: { onConnection: (c: Connection) => void; options: ChannelOptions } | null = null
  #connected = false
  #timer: ReturnType<typeof setInterval> | null = null
  #closed = false
  #socketClosed: Promise<void>

  constructor(channel: string, config: UdpChannelConfig, type: 'udp4' | 'udp6') {
    this.channel = channel
    this.config = config
    this.socket = createSocket({ type, ipv6Only: type === 'udp6' })
    this.#socketClosed = new Promise((resolve) => this.socket.once('close', resolve))
    this.socket.on('message', (datagram, peer) => this.#onMessage(datagram, peer))
    this.socket.on('error', (error) => this.#onSocketError(error))
  }

  bind(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const fail = (error: Error & { code?: string }): void => {
        this.#closeSocket()
        const address = formatInetAddress(host, port)
        reject(
          new ChannelError(
            'TDB_INVALID_ARGUMENT',
            `cannot listen on :${this.channel}:${address}: ${error.code ?? error.message}`,
            { channel: this.channel, address, osCode: error.code ?? null },
            { cause: error },
          ),
        )
      }
      this.socket.once('error', fail)
      this.socket.bind(port, host, () => {
        this.socket.off('error', fail)
        this.#sizeBuffers()
        resolve()
      })
    })
  }

  connectSocket(address: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.connect(port, address, (error?: Error) => {
        if (error !== undefined && error !== null) {
          this.#closeSocket()
          return reject(
            new ChannelError('TDB_CONNECTION_BROKEN', `:${this.channel}: ${error.message}`, {}, {
              cause: error,
            }),
          )
        }
        this.#connected = true
        this.#sizeBuffers()
        resolve()
      })
    })
  }

  accept(onConnection: (c: Connection) => void, options: ChannelOptions): void {
    this.#accepting = { onConnection, options }
    this.#startTimer()
  }

  stopAccepting(): Promise<void> {
    this.#accepting = null
    this.#closeIfIdle()
    return this.#connections.size === 0 ? this.#socketClosed : Promise.resolve()
  }

  /** Starts the handshake of a connecting session; resolves when the peer answers. */
  open(address: string, port: number, options: ChannelOptions): Promise<Connection> {
    const connectionId = randomBytes(4).readUInt32BE(0)
    const config = this.#sessionConfig(options)
    const session = new ReliableSession('connect', connectionId, config, now())
    const connection = new UdpConnection(this, session, address, port)
    this.#connections.set(sessionKey(address, port, connectionId), connection)
    this.#startTimer()
    this.markDirty(connection)
    return connection.opened(options.connectTimeoutMs)
  }

  markDirty(connection: UdpConnection): void {
    this.#dirty.add(connection)
    if (this.#flushScheduled) return
    this.#flushScheduled = true
    // One flush per event-loop turn: acks and fragments of a burst leave together.
    setImmediate(() => this.#flush())
  }

  send(datagram: Uint8Array, address: string, port: number): void {
    if (this.#closed) return
    // A failed send is a lost datagram: retransmission covers it, so errors are ignored here.
    if (this.#connected) this.socket.send(datagram, ignoreSendError)
    else this.socket.send(datagram, port, address, ignoreSendError)
  }

  release(connection: UdpConnection): void {
    this.#connections.delete(connection.key)
    this.#dirty.delete(connection)
    this.#closeIfIdle()
  }

  #sessionConfig(options: ChannelOptions): UdpReliabilityConfig {
    return { ...this.config, maxFrameBytes: options.maxFrameBytes }
  }

  #onMessage(datagram: Buffer, peer: RemoteInfo): void {
    const head = peekDatagram(datagram)
    if (head === null) return
    const key = sessionKey(peer.address, peer.port, head.connectionId)
    const connection = this.#connections.get(key)
    if (connection !== undefined) {
      connection.session.receive(datagram, now())
      this.markDirty(connection)
      return
    }
    if (head.type === PACKET_SYN && this.#accepting !== null) {
      this.#acceptSyn(datagram, peer, key, this.#accepting)
      return
    }
    // A stray for a connection this socket does not know: tell the sender to stop.
    if (head.type === PACKET_RESET) return
    this.send(encodeReset(head.connectionId), peer.address, peer.port)
  }

  #acceptSyn(
    datagram: Buffer,
    peer: RemoteInfo,
    key: string,
    accepting: { onConnection: (c: Connection) => void; options: ChannelOptions },
  ): void {
    const syn = decodePacket(datagram)
    if (syn === null || syn.type !== PACKET_SYN) return
    // Refusing beyond the limit bounds what a flood of SYNs can make this socket hold.
    if (this.#connections.size >= this.config.maxConnectionsPerListener) return
    const config = this.#sessionConfig(accepting.options)
    const id = syn.connectionId
    const session = new ReliableSession('accept', id, config, now(), syn.windowPackets)
    const connection = new UdpConnection(this, session, peer.address, peer.port)
    this.#connections.set(key, connection)
    this.markDirty(connection)
    accepting.onConnection(connection)
  }

  #onSocketError(error: Error & { code?: string }): void {
    // A listening socket serves many peers: one failure there is only reported.
    if (!this.#connected) return process.emitWarning(error)
    // On a connected socket the OS reports an unreachable peer (ICMP) as ECONNREFUSED.
    const reason = new ChannelError(
      'TDB_CONNECTION_BROKEN',
      `:${this.channel}: socket error ${error.code ?? error.message}`,
      { channel: this.channel, osCode: error.code ?? null },
      { cause: error },
    )
    for (const connection of this.#connections.values()) {
      connection.session.abort(reason)
      this.markDirty(connection)
    }
  }

  #flush(): void {
    this.#flushScheduled = false
    const dirty = [...this.#dirty]
    this.#dirty.clear()
    for (const connection of dirty) connection.flush()
  }

  #startTimer(): void {
    if (this.#timer !== null) return
    this.#timer = setInterval(() => this.#tick(), this.config.tickIntervalMs)
    // The socket keeps the process alive while it is open; the timer need not.
    this.#timer.unref()
  }

  #tick(): void {
    const nowMs = now()
    for (const connection of this.#connections.values()) {
      connection.session.tick(nowMs)
      this.#dirty.add(connection)
    }
    this.#flush()
  }

  #sizeBuffers(): void {
    const bytes = this.config.socketBufferBytes
    if (bytes === 0) return
    try {
      this.socket.setRecvBufferSize(bytes)
      this.socket.setSendBufferSize(bytes)
    } catch {
      // The OS may refuse a size; the defaults still work, with more loss under bursts.
    }
  }

  #closeIfIdle(): void {
    if (this.#accepting !== null || this.#connections.size > 0) return
    this.#closeSocket()
  }

  #closeSocket(): void {
    if (this.#closed) return
    this.#closed = true
    if (this.#timer !== null) clearInterval(this.#timer)
    this.socket.close()
  }
}

function ignoreSendError(): void {}

function now(): number {
  return performance.now()
}

/** The adapter connection over one reliable session. */
class UdpConnection implements Connection {
  readonly channel: string
  readonly remote: string
  readonly key: string
  readonly session: ReliableSession
  readonly #endpoint: UdpEndpoint
  readonly #address: string
  readonly #port: number
  #frameHandler: ((frame: Uint8Array) => void) | null = null
  #closeHandler: ((error: TandemError | null) => void) | null = null
  /**
   * Frames, and the close, that arrive with the handshake's answer, before the runtime
   * wrapper has registered its handlers; handed over on registration.
   */
  #heldFrames: Uint8Array[] = []
  #heldClose: { error: TandemError | null } | null = null
  #closed = false
  #onOpen: ((error: TandemError | null) => void) | null = null
  bytesSent = 0
  bytesReceived = 0

  constructor(endpoint: UdpEndpoint, session: ReliableSession, address: string, port: number) {
    this.channel = endpoint.channel
    this.remote = formatInetAddress(address, port)
    this.key = sessionKey(address, port, session.connectionId)
    this.session = session
    this.#endpoint = endpoint
    this.#address = address
    this.#port = port
  }

  get pendingBytes(): number {
    return this.session.pendingBytes
  }

  /** Resolves with this connection once the handshake completes. */
  opened(timeoutMs: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const message = `${this.channel} connect to ${this.remote}: no answer in ${timeoutMs} ms`
        this.session.abort(new ChannelError('TDB_TIMEOUT', message, { timeoutMs }))
        this.#endpoint.markDirty(this)
      }, timeoutMs)
      this.#onOpen = (error) => {
        clearTimeout(timer)
        this.#onOpen = null
        if (error === null) resolve(this)
        else reject(error)
      }
    })
  }

  send(frame: Uint8Array): void {
    if (this.#closed || this.session.state !== 'open') {
      const message = `${this.channel} connection to ${this.remote} is closed`
      throw new ChannelError('TDB_CHANNEL_CLOSED', message)
    }
    this.session.send(frame, now())
    this.#endpoint.markDirty(this)
  }

  onFrame(handler: (frame: Uint8Array) => void): void {
    assert(this.#frameHandler === null, 'an adapter connection has one frame handler')
    this.#frameHandler = handler
    for (const frame of this.#heldFrames.splice(0)) handler(frame)
  }

  onClose(handler: (error: TandemError | null) => void): void {
    assert(this.#closeHandler === null, 'an adapter connection has one close handler')
    this.#closeHandler = handler
    if (this.#heldClose !== null) handler(this.#heldClose.error)
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.session.close(now())
    this.#endpoint.markDirty(this)
  }

  /** Sends what the session produced and hands its events on. */
  flush(): void {
    for (const datagram of this.session.takeDatagrams()) {
      this.bytesSent += datagram.byteLength
      this.#endpoint.send(datagram, this.#address, this.#port)
    }
    for (const event of this.session.takeEvents()) this.#dispatch(event)
  }

  #dispatch(event: SessionEvent): void {
    switch (event.kind) {
      case 'open':
        return this.#onOpen?.(null)
      case 'frame':
        this.bytesReceived += event.frame.byteLength
        if (this.#frameHandler === null) return void this.#heldFrames.push(event.frame)
        return this.#frameHandler(event.frame)
      case 'closed':
        if (this.#onOpen !== null) return this.#onOpen(event.error ?? this.#refused())
        if (this.#closed) return
        this.#closed = true
        // The peer's FIN: answer with ours (a failed session is already finished).
        this.session.close(now())
        this.#endpoint.markDirty(this)
        if (this.#closeHandler === null) return void (this.#heldClose = { error: event.error })
        return this.#closeHandler(event.error)
      case 'finished':
        this.#onOpen?.(this.#refused())
        return this.#endpoint.release(this)
    }
  }

  #refused(): ChannelError {
    const message = `${this.channel} connect to ${this.remote} failed`
    return new ChannelError('TDB_CONNECTION_BROKEN', message, {
      channel: this.channel,
      remote: this.remote,
    })
  }
}

/** The built-in udp channel (already wrapped by `runtimeChannel`). */
export const udpChannel: Channel = createUdpChannel()

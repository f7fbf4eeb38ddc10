/**
 * The byte-stream adapter shared by the tcp and pipe channels: a `net.Socket` carrying
 * length-prefixed frames, plus the connect and listen plumbing of `node:net`. The runtime
 * wrapper (`runtime-channel.ts`) adds the lifecycle rules on top.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { ChannelError, ProtocolError, type TandemError } from '../errors.js'
import { assert } from '../util/assert.js'
import type { ChannelOptions, Connection, Listener } from './channel.js'
import { FrameDecoder } from './framing.js'
import { FrameWriter } from './frame-writer.js'
import { CLOSE_LINGER_MS } from './limits.js'

/** Node socket error codes that mean the peer or the path is gone. */
type SocketError = Error & { code?: string }

/** One end of a byte stream carrying frames. */
export class StreamConnection implements Connection {
  readonly channel: string
  readonly remote: string
  readonly #socket: Socket
  readonly #decoder: FrameDecoder
  readonly #writer: FrameWriter
  #frameHandler: ((frame: Uint8Array) => void) | null = null
  #closeHandler: ((error: TandemError | null) => void) | null = null
  #closed = false

  constructor(channel: string, socket: Socket, remote: string, maxFrameBytes: number) {
    this.channel = channel
    this.remote = remote
    this.#socket = socket
    this.#decoder = new FrameDecoder(maxFrameBytes, (frame) => this.#frameHandler?.(frame))
    this.#writer = new FrameWriter((chunks) => writeChunks(socket, chunks))
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.#receive(chunk))
    socket.on('error', (error: SocketError) => this.#end(brokenBy(this, error)))
    socket.on('close', () => this.#end(this.#closeReason()))
  }

  get bytesSent(): number {
    return this.#socket.bytesWritten
  }

  get bytesReceived(): number {
    return this.#socket.bytesRead
  }

  get pendingBytes(): number {
    return this.#writer.queuedBytes + this.#socket.writableLength
  }

  send(frame: Uint8Array): void {
    if (this.#closed) {
      const message = `${this.channel} connection to ${this.remote} is closed`
      throw new ChannelError('TDB_CHANNEL_CLOSED', message)
    }
    this.#writer.write(frame)
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
    this.#closed = true
    this.#decoder.stop()
    // Queued frames go out before the FIN; the peer answers with its own FIN, which closes the
    // socket. A peer that never answers is cut off after a linger time.
    this.#writer.flush()
    this.#socket.end()
    const linger = setTimeout(() => this.#socket.destroy(), CLOSE_LINGER_MS)
    linger.unref()
    this.#socket.once('close', () => clearTimeout(linger))
  }

  #receive(chunk: Buffer): void {
    if (this.#closed) return
    const error = this.#decoder.push(chunk)
    if (error !== null) this.#end(error)
  }

  #closeReason(): TandemError | null {
    const partial = this.#decoder.partialBytes
    if (partial === 0) return null
    const message = `${this.channel} peer ${this.remote} closed the stream inside a frame`
    const incomplete = new ProtocolError('TDB_FRAME_INCOMPLETE', `${message} (${partial} bytes)`, {
      partialBytes: partial,
    })
    return new ChannelError(
      'TDB_CONNECTION_BROKEN',
      message,
      { channel: this.channel, remote: this.remote, partialBytes: partial },
      { cause: incomplete },
    )
  }

  /** Ends the connection from the transport side; an error also discards unsent frames. */
  #end(error: TandemError | null): void {
    if (this.#closed) return
    this.#closed = true
    this.#decoder.stop()
    if (error !== null) {
      this.#writer.discard()
      this.#socket.destroy()
    }
    this.#closeHandler?.(error)
  }
}

function osReason(error: SocketError): string {
  return error.code ?? error.message
}

function writeChunks(socket: Socket, chunks: Uint8Array[]): void {
  if (socket.destroyed) return
  if (chunks.length === 1) {
    socket.write(chunks[0] as Uint8Array)
    return
  }
  socket.cork()
  for (const chunk of chunks) socket.write(chunk)
  socket.uncork()
}

function brokenBy(connection: StreamConnection, error: SocketError): ChannelError {
  return new ChannelError(
    'TDB_CONNECTION_BROKEN',
    `${connection.channel} connection to ${connection.remote} broke: ${osReason(error)}`,
    { channel: connection.channel, remote: connection.remote, osCode: error.code ?? null },
    { cause: error },
  )
}

/** What `connectStream` needs to open one socket. */
export interface StreamTarget {
  readonly channel: string
  /** The printable peer address. */
  readonly remote: string
  /** `net.createConnection` options: `{ host, port }` or `{ path }`. */
  readonly netOptions: { host: string; port: number } | { path: string }
}

/** Opens a stream connection, failing with `TDB_TIMEOUT` or `TDB_CONNECTION_BROKEN`. */
export function connectStream(
  target: StreamTarget,
  options: ChannelOptions,
): Promise<StreamConnection> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ ...target.netOptions, noDelay: true })
    const timeoutMs = options.connectTimeoutMs
    const timer = setTimeout(() => {
      socket.destroy()
      const message = `${target.channel} connect to ${target.remote}: no answer in ${timeoutMs} ms`
      reject(
        new ChannelError('TDB_TIMEOUT', message, {
          channel: target.channel,
          remote: target.remote,
          timeoutMs,
        }),
      )
    }, timeoutMs)
    const fail = (error: SocketError): void => {
      clearTimeout(timer)
      reject(
        new ChannelError(
          'TDB_CONNECTION_BROKEN',
          `${target.channel} connect to ${target.remote} failed: ${osReason(error)}`,
          { channel: target.channel, remote: target.remote, osCode: error.code ?? null },
          { cause: error },
        ),
      )
    }
    socket.once('error', fail)
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.off('error', fail)
      resolve(new StreamConnection(target.channel, socket, target.remote, options.maxFrameBytes))
    })
  })
}

/** Starts a `net.Server`; `describe` names the peer of each accepted socket. */
export function listenStream(
  channel: string,
  listenOn: { host: string; port: number } | { path: string },
  describePeer: (socket: Socket) => string,
  onConnection: (connection: Connection) => void,
  options: ChannelOptions,
): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer({ noDelay: true }, (socket) => {
      const peer = describePeer(socket)
      onConnection(new StreamConnection(channel, socket, peer, options.maxFrameBytes))
    })
    const fail = (error: SocketError): void => reject(listenFailed(channel, listenOn, error))
    server.once('error', fail)
    server.listen(listenOn, () => {
      server.off('error', fail)
      // Accept failures (e.g. out of file descriptors) must not crash the process.
      server.on('error', (error) => process.emitWarning(error))
      resolve(server)
    })
  })
}

function listenFailed(
  channel: string,
  listenOn: { host: string; port: number } | { path: string },
  error: SocketError,
): ChannelError {
  const where = 'path' in listenOn ? listenOn.path : `${listenOn.host}:${listenOn.port}`
  return new ChannelError(
    'TDB_INVALID_ARGUMENT',
    `cannot listen on :${channel}:${where}: ${osReason(error)}`,
    { channel, address: where, osCode: error.code ?? null },
    { cause: error },
  )
}

/** A `Listener` over a `net.Server`: closing stops accepting at once; connections stay open. */
export function streamListener(server: Server, address: string): Listener {
  let closing: Promise<void> | null = null
  return {
    address,
    close(): Promise<void> {
      closing ??= new Promise((resolve) => {
        // The listening handle closes now; the callback waits for accepted connections too,
        // which outlive the listener, so it is not awaited.
        server.close(() => undefined)
        setImmediate(resolve)
      })
      return closing
    },
  }
}

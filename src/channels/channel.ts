/**
 * The channel contract: a transport that moves frames (whole `Uint8Array` messages) between
 * two ends, reliably and in order. Channels are adapters (STYLE 5.2): they hold no
 * replication logic. The built-ins are `tcp`, `udp`, `pipe` and `mem`; an application may
 * register its own (see `registry.ts`), and every registered channel is wrapped by
 * `runtimeChannel` so that its connections keep the lifecycle rules written here.
 */
import type { TandemError } from '../errors.js'

/** Options of one `listen` or `connect` call. */
export interface ChannelOptions {
  /** The frame cap in bytes (default 16 MiB). Larger frames are refused both ways. */
  maxFrameBytes: number
  /** How long `connect` waits for the peer before failing with `TDB_TIMEOUT` (default 10 s). */
  connectTimeoutMs: number
}

/**
 * One end of an open connection.
 *
 * Lifecycle: a connection is open until `close()` is called or the transport ends; then
 * every `onClose` handler runs exactly once, `send` throws `TDB_CHANNEL_CLOSED`, and no frame
 * handler runs again. Frames that arrive before the first `onFrame` handler is registered
 * are held and delivered to it, in order.
 *
 * ### Examples
 * ```ts
 * const connection = await connect(':tcp:127.0.0.1:20000')
 * connection.onFrame((frame) => console.log('got', frame.byteLength, 'bytes'))
 * connection.onClose((error) => console.log('closed', error?.code ?? 'cleanly'))
 * connection.send(new Uint8Array([1, 2, 3]))
 * ```
 */
export interface Connection {
  /** The channel's name: `'tcp'`, `'udp'`, `'pipe'`, `'mem'` or a user channel's name. */
  readonly channel: string
  /** The peer's address, printable (`'127.0.0.1:51234'`, `'/tmp/tandem.sock'`, ...). */
  readonly remote: string
  /**
   * Queues the whole frame for sending; never blocks and never sends part of a frame. The
   * channel owns the frame from here on: the caller must not modify it afterwards.
   * Throws `ChannelError` `TDB_CHANNEL_CLOSED` after close, and `ProtocolError`
   * `TDB_FRAME_TOO_LARGE` (nothing sent, connection kept) for a frame over the cap.
   */
  send(frame: Uint8Array): void
  /**
   * Adds a handler for every frame received, in order. A throwing handler closes the
   * connection with its error (`TDB_FRAME_MALFORMED` for a non-tandemdb error). A frame may
   * be a view into a larger receive buffer: copy it (`frame.slice()`) to keep it for long.
   */
  onFrame(handler: (frame: Uint8Array) => void): void
  /**
   * Adds a handler that runs exactly once, when the connection closes: with `null` when it
   * was closed locally or cleanly by the peer, else with the error that ended it
   * (`TDB_CONNECTION_BROKEN`, `TDB_FRAME_TOO_LARGE`, `TDB_FRAME_MALFORMED`, a handler's error).
   * A handler added after the close runs once too, on a later microtask.
   */
  onClose(handler: (error: TandemError | null) => void): void
  /** Closes the connection. Idempotent. Frames queued before still go out if the transport can. */
  close(): void
  /** Frame payload bytes accepted by `send` since the connection opened. */
  readonly bytesSent: number
  /** Frame payload bytes delivered to the frame handlers since the connection opened. */
  readonly bytesReceived: number
  /** Bytes queued locally and not yet handed to the transport or acknowledged by the peer. */
  readonly pendingBytes: number
}

/** A listening endpoint; accepted connections outlive it. */
export interface Listener {
  /** A connection string a peer can connect to, e.g. `':tcp:127.0.0.1:43121'` (the real port). */
  readonly address: string
  /** Stops accepting and frees the address. Idempotent. Accepted connections stay open. */
  close(): Promise<void>
}

/**
 * A transport. `listen` and `connect` take the address with the channel prefix already
 * stripped.
 *
 * ### Examples
 * ```ts
 * registerChannel(myChannel) // prefix ':my:'
 * const listener = await listen(':my:some-address', (connection) => serve(connection))
 * ```
 */
export interface Channel {
  /** The channel's name, e.g. `'tcp'`; unique in the registry. */
  readonly name: string
  /** The connection-string prefix that selects this channel, e.g. `':tcp:'`. */
  readonly prefix: string
  /** Whether the string (prefix already stripped) is an address this channel understands. */
  accepts(address: string, role: 'listen' | 'connect'): boolean
  /** Starts listening; `onConnection` runs for every accepted connection. */
  listen(
    address: string,
    onConnection: (connection: Connection) => void,
    options: ChannelOptions,
  ): Promise<Listener>
  /** Opens a connection to a listener. */
  connect(address: string, options: ChannelOptions): Promise<Connection>
}

/** The role a connection string is resolved for. */
export type ChannelRole = 'listen' | 'connect'

/**
 * `runtimeChannel` wraps any channel (built-in or the application's) so that its connections
 * keep the lifecycle rules of `Connection` whatever the adapter does (Kysely's RuntimeDriver):
 * `onClose` handlers run exactly once, `send` after close throws, the frame cap holds both
 * ways, a throwing handler closes its connection instead of crashing the process, connect
 * honours its timeout, and the byte counters are kept here, once, for every channel.
 */
import { AssertionError, ChannelError, ProtocolError, TandemError } from '../errors.js'
import type { ErrorCode } from '../errors.js'
import { assert } from '../util/assert.js'
import type { Channel, ChannelOptions, ChannelRole, Connection, Listener } from './channel.js'
import { EARLY_FRAMES_MAX_BYTES } from './limits.js'

const wrappedChannels = new WeakSet<Channel>()
const innerConnections = new WeakMap<Connection, Connection>()
const PREFIX_PATTERN = /^:[A-Za-z0-9_.-]+:$/

/** Wraps `channel` (once: a wrapped channel is returned as it is). */
export function runtimeChannel(channel: Channel): Channel {
  if (wrappedChannels.has(channel)) return channel
  checkChannelShape(channel)
  const runtime: Channel = {
    name: channel.name,
    prefix: channel.prefix,
    accepts: (address: string, role: ChannelRole) => acceptsSafely(channel, address, role),
    listen: (address, onConnection, options) =>
      listenWrapped(channel, address, onConnection, options),
    connect: (address, options) => connectWrapped(channel, address, options),
  }
  wrappedChannels.add(runtime)
  return Object.freeze(runtime)
}

/** The adapter's own connection under a wrapped one (for channel-specific test hooks). */
export function innerConnection(connection: Connection): Connection | undefined {
  return innerConnections.get(connection)
}

/** Turns anything thrown or reported by an adapter into a `TandemError`. */
export function toTandemError(error: unknown, code: ErrorCode, context: string): TandemError {
  if (error instanceof TandemError) return error
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  return new ChannelError(code, `${context}: ${text}`, {}, { cause: error })
}

function checkChannelShape(channel: Channel): void {
  const ok =
    typeof channel === 'object' &&
    channel !== null &&
    typeof channel.name === 'string' &&
    channel.name.length > 0 &&
    typeof channel.prefix === 'string' &&
    PREFIX_PATTERN.test(channel.prefix) &&
    typeof channel.accepts === 'function' &&
    typeof channel.listen === 'function' &&
    typeof channel.connect === 'function'
  if (ok) return
  throw new ChannelError(
    'TDB_INVALID_ARGUMENT',
    'a channel needs a name, a prefix like ":name:", and accepts/listen/connect functions',
    { name: (channel as { name?: unknown } | null)?.name },
  )
}

function acceptsSafely(channel: Channel, address: string, role: ChannelRole): boolean {
  try {
    return channel.accepts(address, role) === true
  } catch {
    // A channel whose parser throws on a string does not understand that string.
    return false
  }
}

async function connectWrapped(
  channel: Channel,
  address: string,
  options: ChannelOptions,
): Promise<Connection> {
  const context = `connect ${channel.prefix}${address}`
  let timer: ReturnType<typeof setTimeout> | undefined
  let timedOut = false
  let attempt: Promise<Connection>
  try {
    attempt = Promise.resolve(channel.connect(address, options))
  } catch (error) {
    // An adapter that throws instead of rejecting.
    throw toTandemError(error, 'TDB_CONNECTION_BROKEN', context)
  }
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true
      reject(
        new ChannelError('TDB_TIMEOUT', `${context}: no answer in ${options.connectTimeoutMs} ms`, {
          address: channel.prefix + address,
          timeoutMs: options.connectTimeoutMs,
        }),
      )
    }, options.connectTimeoutMs)
  })
  // A connection that opens after the timeout fired is closed at once, never leaked.
  attempt.then(
    (late) => timedOut && late.close(),
    () => undefined,
  )
  try {
    const inner = await Promise.race([attempt, timeout])
    return wrapConnection(channel.name, inner, options)
  } catch (error) {
    throw toTandemError(error, 'TDB_CONNECTION_BROKEN', context)
  } finally {
    clearTimeout(timer)
  }
}

async function listenWrapped(
  channel: Channel,
  address: string,
  onConnection: (connection: Connection) => void,
  options: ChannelOptions,
): Promise<Listener> {
  let closed = false
  const accept = (inner: Connection): void => {
    if (closed) return inner.close()
    const connection = wrapConnection(channel.name, inner, options)
    try {
      onConnection(connection)
    } catch (error) {
      const reason = toTandemError(error, 'TDB_CONNECTION_BROKEN', 'onConnection threw')
      ;(connection as RuntimeConnection).fail(reason)
    }
  }
  let inner: Listener
  try {
    inner = await channel.listen(address, accept, options)
  } catch (error) {
    throw toTandemError(error, 'TDB_INVALID_ARGUMENT', `listen ${channel.prefix}${address}`)
  }
  const innerAddress = String(inner.address)
  let closing: Promise<void> | null = null
  return Object.freeze({
    address: innerAddress.startsWith(':') ? innerAddress : channel.prefix + innerAddress,
    close(): Promise<void> {
      closed = true
      closing ??= Promise.resolve()
        .then(() => inner.close())
        .catch((error: unknown) => {
          throw toTandemError(error, 'TDB_CONNECTION_BROKEN', `close listener ${innerAddress}`)
        })
      return closing
    },
  })
}

function wrapConnection(channel: string, inner: Connection, options: ChannelOptions): Connection {
  const connection = new RuntimeConnection(channel, inner, options.maxFrameBytes)
  innerConnections.set(connection, inner)
  return connection
}

type FrameHandler = (frame: Uint8Array) => void
type CloseHandler = (error: TandemError | null) => void

/** A connection with the lifecycle rules enforced around an adapter's connection. */
class RuntimeConnection implements Connection {
  readonly channel: string
  readonly remote: string
  readonly #inner: Connection
  readonly #maxFrameBytes: number
  readonly #frameHandlers: FrameHandler[] = []
  readonly #closeHandlers: CloseHandler[] = []
  /** Frames received before the first frame handler; null once handlers take them directly. */
  #early: Uint8Array[] | null = []
  #earlyBytes = 0
  #closed = false
  #closeNotified = false
  #closeError: TandemError | null = null
  #bytesSent = 0
  #bytesReceived = 0

  constructor(channel: string, inner: Connection, maxFrameBytes: number) {
    this.channel = channel
    this.remote = String(inner.remote)
    this.#inner = inner
    this.#maxFrameBytes = maxFrameBytes
    inner.onFrame((frame) => this.#receive(frame))
    inner.onClose((error) => this.#end(error === null ? null : asCloseError(error), false))
  }

  get bytesSent(): number {
    return this.#bytesSent
  }

  get bytesReceived(): number {
    return this.#bytesReceived
  }

  get pendingBytes(): number {
    const pending = this.#inner.pendingBytes
    return Number.isSafeInteger(pending) && pending > 0 ? pending : 0
  }

  send(frame: Uint8Array): void {
    if (this.#closed) {
      throw new ChannelError(
        'TDB_CHANNEL_CLOSED',
        `send on a closed ${this.channel} connection to ${this.remote}`,
        { channel: this.channel, remote: this.remote, closeError: this.#closeError?.code ?? null },
      )
    }
    if (!(frame instanceof Uint8Array)) {
      throw new ChannelError('TDB_INVALID_ARGUMENT', 'send takes a Uint8Array frame', {
        channel: this.channel,
      })
    }
    if (frame.byteLength > this.#maxFrameBytes) throw this.#tooLarge(frame.byteLength, 'send')
    try {
      this.#inner.send(frame)
    } catch (error) {
      const reason = toTandemError(error, 'TDB_CONNECTION_BROKEN', `${this.channel} send failed`)
      this.#end(reason, true)
      throw reason
    }
    this.#bytesSent += frame.byteLength
  }

  onFrame(handler: FrameHandler): void {
    assert(typeof handler === 'function', 'onFrame takes a function')
    this.#frameHandlers.push(handler)
    if (this.#frameHandlers.length !== 1 || this.#early === null) return
    if (this.#early.length === 0) {
      this.#early = null
      return
    }
    // Held frames go to the handler after the caller finished registering its handlers.
    queueMicrotask(() => this.#deliverEarly())
  }

  onClose(handler: CloseHandler): void {
    assert(typeof handler === 'function', 'onClose takes a function')
    if (!this.#closeNotified) {
      this.#closeHandlers.push(handler)
      return
    }
    const error = this.#closeError
    queueMicrotask(() => runCloseHandler(handler, error))
  }

  close(): void {
    this.#end(null, true)
  }

  /** Closes the connection with `error` (used when the application's own callback threw). */
  fail(error: TandemError): void {
    this.#end(error, true)
  }

  #receive(frame: Uint8Array): void {
    if (this.#closed) return
    if (!(frame instanceof Uint8Array)) {
      const message = `${this.channel} adapter delivered a frame that is not a Uint8Array`
      return this.#end(new ProtocolError('TDB_FRAME_MALFORMED', message), true)
    }
    if (frame.byteLength > this.#maxFrameBytes) {
      return this.#end(this.#tooLarge(frame.byteLength, 'receive'), true)
    }
    if (this.#early === null) return this.#deliver(frame)
    this.#early.push(frame)
    this.#earlyBytes += frame.byteLength
    if (this.#earlyBytes > EARLY_FRAMES_MAX_BYTES) {
      const limit = EARLY_FRAMES_MAX_BYTES
      const message = `peer ${this.remote} sent over ${limit} bytes before any frame handler`
      this.#end(new ChannelError('TDB_CONNECTION_BROKEN', message), true)
    }
  }

  #deliverEarly(): void {
    const early = this.#early
    assert(early !== null, 'early frames delivered once')
    for (let i = 0; i < early.length && !this.#closed; i++) this.#deliver(early[i] as Uint8Array)
    this.#early = null
    this.#earlyBytes = 0
  }

  #deliver(frame: Uint8Array): void {
    this.#bytesReceived += frame.byteLength
    const handlers = this.#frameHandlers
    for (let i = 0; i < handlers.length && !this.#closed; i++) {
      try {
        ;(handlers[i] as FrameHandler)(frame)
      } catch (error) {
        // A broken invariant is a bug of this node, not bad input: it is never swallowed.
        if (error instanceof AssertionError) throw error
        const context = `${this.channel} frame handler threw`
        return this.#end(toTandemError(error, 'TDB_FRAME_MALFORMED', context), true)
      }
    }
  }

  #tooLarge(frameBytes: number, direction: 'send' | 'receive'): ProtocolError {
    const maxFrameBytes = this.#maxFrameBytes
    return new ProtocolError(
      'TDB_FRAME_TOO_LARGE',
      `${this.channel} frame of ${frameBytes} bytes over the cap ${maxFrameBytes} (${direction})`,
      { channel: this.channel, remote: this.remote, frameBytes, maxFrameBytes },
    )
  }

  #end(error: TandemError | null, closeInner: boolean): void {
    if (this.#closed) return
    this.#closed = true
    this.#closeError = error
    this.#early = null
    if (closeInner) {
      try {
        this.#inner.close()
      } catch {
        // The adapter failed to close a connection that is already over for us.
      }
    }
    queueMicrotask(() => this.#notifyClose())
  }

  #notifyClose(): void {
    this.#closeNotified = true
    const handlers = this.#closeHandlers.splice(0)
    for (const handler of handlers) runCloseHandler(handler, this.#closeError)
  }
}

function asCloseError(error: unknown): TandemError {
  return toTandemError(error, 'TDB_CONNECTION_BROKEN', 'connection broke')
}

function runCloseHandler(handler: CloseHandler, error: TandemError | null): void {
  try {
    handler(error)
  } catch (thrown) {
    // The connection is already closed; a failing close handler can only be reported.
    const warning = thrown instanceof Error ? thrown : `onClose handler threw: ${String(thrown)}`
    process.emitWarning(warning)
  }
}

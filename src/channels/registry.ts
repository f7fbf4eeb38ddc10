/**
 * The channel registry (DESIGN "Replication"; eXtremeDB `mco_HA_channel_implementation_add`).
 * A connection string that starts with a registered prefix (`:tcp:`, `:udp:`, `:pipe:`,
 * `:mem:` or a user channel's own) selects that channel at once. Any other string is offered
 * to each registered channel in registration order, and the first that accepts it wins; the
 * built-ins are registered in the order tcp, udp, pipe, mem, so a bare `127.0.0.1:20000` or
 * `20000` goes to tcp, as in eXtremeDB.
 */
import { ChannelError } from '../errors.js'
import type { Channel, ChannelOptions, ChannelRole, Connection, Listener } from './channel.js'
import { resolveChannelOptions } from './channel-options.js'
import { memChannel } from './mem.js'
import { pipeChannel } from './pipe.js'
import { runtimeChannel } from './runtime-channel.js'
import { tcpChannel } from './tcp.js'
import { udpChannel } from './udp.js'

/** Registered channels, wrapped, in registration order. */
const channels: Channel[] = []

/** The outcome of resolving a connection string. */
export interface ResolvedAddress {
  /** The selected channel (wrapped by `runtimeChannel`). */
  readonly channel: Channel
  /** The address with the channel prefix stripped. */
  readonly address: string
}

/**
 * Registers a channel, after the ones already registered. Its connections are wrapped so
 * they keep the `Connection` lifecycle rules. Throws `TDB_INVALID_ARGUMENT` when the name or
 * prefix is already taken.
 *
 * ### Examples
 * ```ts
 * registerChannel({ name: 'quic', prefix: ':quic:', accepts, listen, connect })
 * const connection = await connect(':quic:db1.example.com:4433')
 * ```
 */
export function registerChannel(channel: Channel): void {
  const wrapped = runtimeChannel(channel)
  const clash = channels.find((c) => c.name === wrapped.name || c.prefix === wrapped.prefix)
  if (clash !== undefined) {
    throw new ChannelError(
      'TDB_INVALID_ARGUMENT',
      `channel ${wrapped.name} (${wrapped.prefix}) clashes with ${clash.name} (${clash.prefix})`,
      { name: wrapped.name, prefix: wrapped.prefix },
    )
  }
  channels.push(wrapped)
}

/** Removes the channel named `name`; returns whether it was registered. Connections stay open. */
export function unregisterChannel(name: string): boolean {
  const index = channels.findIndex((c) => c.name === name)
  if (index < 0) return false
  channels.splice(index, 1)
  return true
}

/** The registered channels, in the order they are tried. */
export function registeredChannels(): readonly Channel[] {
  return [...channels]
}

/**
 * Picks the channel for a connection string. Throws `ChannelError`
 * `TDB_CHANNEL_NOT_REGISTERED` naming the string when no registered channel takes it.
 */
export function resolve(connectionString: string, role: ChannelRole): ResolvedAddress {
  if (typeof connectionString !== 'string') {
    throw new ChannelError('TDB_INVALID_ARGUMENT', 'a connection string must be a string', {
      connectionString,
    })
  }
  const prefixed = /^(:[^:]+:)/.exec(connectionString)
  if (prefixed !== null) {
    const prefix = prefixed[1] as string
    const channel = channels.find((c) => c.prefix === prefix)
    if (channel !== undefined) return { channel, address: connectionString.slice(prefix.length) }
    throw notRegistered(connectionString, role, `no channel has the prefix ${prefix}`)
  }
  const channel = channels.find((c) => c.accepts(connectionString, role))
  if (channel !== undefined) return { channel, address: connectionString }
  throw notRegistered(connectionString, role, 'no registered channel accepts it')
}

/**
 * Listens on a connection string (`:tcp:20000`, `:pipe:/tmp/tandem.sock`, ...).
 *
 * ### Examples
 * ```ts
 * const listener = await listen(':tcp:0', (connection) => connection.onFrame(console.log))
 * console.log(listener.address) // ':tcp:127.0.0.1:43121'
 * await listener.close()
 * ```
 */
export async function listen(
  connectionString: string,
  onConnection: (connection: Connection) => void,
  options?: Partial<ChannelOptions>,
): Promise<Listener> {
  const resolved = resolveChannelOptions(options)
  const { channel, address } = resolve(connectionString, 'listen')
  return channel.listen(address, onConnection, resolved)
}

/**
 * Connects to a connection string (`:tcp:127.0.0.1:20000`, `127.0.0.1:20000`, ...).
 *
 * ### Examples
 * ```ts
 * const connection = await connect(':tcp:127.0.0.1:20000', { connectTimeoutMs: 2000 })
 * connection.send(new TextEncoder().encode('hello'))
 * ```
 */
export async function connect(
  connectionString: string,
  options?: Partial<ChannelOptions>,
): Promise<Connection> {
  const resolved = resolveChannelOptions(options)
  const { channel, address } = resolve(connectionString, 'connect')
  return channel.connect(address, resolved)
}

function notRegistered(connectionString: string, role: ChannelRole, why: string): ChannelError {
  return new ChannelError(
    'TDB_CHANNEL_NOT_REGISTERED',
    `no channel for connection string ${JSON.stringify(connectionString)} (${role}): ${why}`,
    { connectionString, role, registered: channels.map((c) => c.name) },
  )
}

for (const builtIn of [tcpChannel, udpChannel, pipeChannel, memChannel]) registerChannel(builtIn)

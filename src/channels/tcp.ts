/**
 * The `tcp` channel: frames over TCP with Nagle off and small frames coalesced per tick.
 * Connection strings: `:tcp:PORT` listens on 127.0.0.1 (eXtremeDB listens on every
 * interface; say `:tcp:0.0.0.0:PORT` for that), `:tcp:HOST:PORT` listens on or connects to
 * HOST, `:tcp:[::1]:PORT` for IPv6. Port 0 listens on an ephemeral port; the listener's
 * `address` gives the real one.
 */
import type { AddressInfo, Socket } from 'node:net'
import { assert } from '../util/assert.js'
import type { Channel, ChannelOptions, Connection, Listener } from './channel.js'
import {
  formatInetAddress,
  parseInetAddress,
  reachableHost,
  requireInetAddress,
} from './inet-address.js'
import { runtimeChannel } from './runtime-channel.js'
import { connectStream, listenStream, streamListener } from './stream-connection.js'

const NAME = 'tcp'

/** The tcp adapter before the runtime wrapper. */
const tcpAdapter: Channel = {
  name: NAME,
  prefix: `:${NAME}:`,

  accepts(address: string, role: 'listen' | 'connect'): boolean {
    return parseInetAddress(address, role) !== null
  },

  async listen(
    address: string,
    onConnection: (connection: Connection) => void,
    options: ChannelOptions,
  ): Promise<Listener> {
    const { host, port } = requireInetAddress(NAME, address, 'listen')
    const server = await listenStream(NAME, { host, port }, describePeer, onConnection, options)
    const bound = server.address() as AddressInfo
    assert(bound !== null && typeof bound === 'object', 'a tcp server has an inet address')
    const reachable = formatInetAddress(reachableHost(bound.address), bound.port)
    return streamListener(server, `:${NAME}:${reachable}`)
  },

  async connect(address: string, options: ChannelOptions): Promise<Connection> {
    const { host, port } = requireInetAddress(NAME, address, 'connect')
    const remote = formatInetAddress(host, port)
    return connectStream({ channel: NAME, remote, netOptions: { host, port } }, options)
  },
}

function describePeer(socket: Socket): string {
  const host = socket.remoteAddress ?? 'unknown'
  return formatInetAddress(host, socket.remotePort ?? 0)
}

/** The built-in tcp channel (already wrapped by `runtimeChannel`). */
export const tcpChannel: Channel = runtimeChannel(tcpAdapter)

/**
 * Parsing of `host:port` addresses shared by the tcp and udp channels. Accepted forms:
 * `PORT` (listen only: 127.0.0.1), `HOST:PORT`, `[IPV6]:PORT`, where HOST is an IPv4
 * address or a DNS name.
 */
import { isIPv4, isIPv6 } from 'node:net'
import { ChannelError } from '../errors.js'
import type { ChannelRole } from './channel.js'

/** A parsed internet address. `host` holds an IPv6 address without brackets. */
export interface InetAddress {
  readonly host: string
  readonly port: number
}

/** The host a bare `PORT` listens on: loopback only, unlike eXtremeDB (all interfaces). */
export const DEFAULT_LISTEN_HOST = '127.0.0.1'

const LABEL = '[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
const HOST_NAME = new RegExp(`^(?=.{1,253}$)${LABEL}(\\.${LABEL})*$`)
const PORT = /^[0-9]{1,5}$/

/** Parses an address; null when it is not one. Port 0 (ephemeral) is allowed for listen only. */
export function parseInetAddress(address: string, role: ChannelRole): InetAddress | null {
  if (typeof address !== 'string') return null
  if (PORT.test(address)) {
    return role === 'listen' ? checkPort(DEFAULT_LISTEN_HOST, address, role) : null
  }
  const bracketed = /^\[([^\]]+)\]:([^:]+)$/.exec(address)
  if (bracketed !== null) {
    const [, host, port] = bracketed as unknown as [string, string, string]
    return isIPv6(host) ? checkPort(host, port, role) : null
  }
  const colon = address.lastIndexOf(':')
  if (colon <= 0) return null
  const host = address.slice(0, colon)
  if (!isIPv4(host) && !HOST_NAME.test(host)) return null
  return checkPort(host, address.slice(colon + 1), role)
}

/** Like `parseInetAddress`, but throws `TDB_INVALID_ARGUMENT` saying what a valid one is. */
export function requireInetAddress(
  channel: string,
  address: string,
  role: ChannelRole,
): InetAddress {
  const parsed = parseInetAddress(address, role)
  if (parsed !== null) return parsed
  const forms = role === 'listen' ? 'PORT, HOST:PORT or [IPV6]:PORT' : 'HOST:PORT or [IPV6]:PORT'
  throw new ChannelError(
    'TDB_INVALID_ARGUMENT',
    `:${channel}: address ${JSON.stringify(address)} is not ${forms} (${role})`,
    { channel, address, role },
  )
}

/** Prints `host:port`, bracketing IPv6 hosts. */
export function formatInetAddress(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`
}

/** The address a peer should use to reach a listener bound to `host` (wildcards to loopback). */
export function reachableHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1'
  if (host === '::') return '::1'
  return host
}

function checkPort(host: string, port: string, role: ChannelRole): InetAddress | null {
  if (!PORT.test(port)) return null
  const value = Number(port)
  const min = role === 'listen' ? 0 : 1
  return value >= min && value <= 65535 ? { host, port: value } : null
}

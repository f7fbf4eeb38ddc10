/**
 * The `pipe` channel: frames over a Unix domain socket (a named pipe on Windows), sharing the
 * stream code of tcp. `:pipe:/path/to/socket` listens on or connects to that path; without
 * the prefix, a string that starts with `/`, `./`, `../` or `\\.\pipe\` is taken as a pipe.
 * Listening over a socket file that nothing answers on (left by a crashed process) removes
 * it first; a live one is never touched.
 */
import { createConnection } from 'node:net'
import { lstat, unlink } from 'node:fs/promises'
import { ChannelError, TandemError } from '../errors.js'
import type { Channel, ChannelOptions, Connection, Listener } from './channel.js'
import { runtimeChannel } from './runtime-channel.js'
import { connectStream, listenStream, streamListener } from './stream-connection.js'

const NAME = 'pipe'
const PIPE_PATH = /^(\/|\.\.?\/|\\\\\.\\pipe\\)./
/** How long listen waits for an answer on an existing socket file before calling it stale. */
const STALE_PROBE_TIMEOUT_MS = 1_000

function requirePipePath(address: string): string {
  if (typeof address === 'string' && PIPE_PATH.test(address) && !address.includes('\0')) {
    return address
  }
  throw new ChannelError(
    'TDB_INVALID_ARGUMENT',
    `:pipe: address ${JSON.stringify(address)} must start with /, ./, ../ or \\\\.\\pipe\\`,
    { channel: NAME, address },
  )
}

/** The pipe adapter before the runtime wrapper. */
const pipeAdapter: Channel = {
  name: NAME,
  prefix: `:${NAME}:`,

  accepts(address: string): boolean {
    return typeof address === 'string' && PIPE_PATH.test(address) && !address.includes('\0')
  },

  async listen(
    address: string,
    onConnection: (connection: Connection) => void,
    options: ChannelOptions,
  ): Promise<Listener> {
    const path = requirePipePath(address)
    const describe = (): string => path
    try {
      const server = await listenStream(NAME, { path }, describe, onConnection, options)
      return streamListener(server, `:${NAME}:${path}`)
    } catch (error) {
      if (!isAddressInUse(error) || !(await removeStaleSocket(path))) throw error
      const server = await listenStream(NAME, { path }, describe, onConnection, options)
      return streamListener(server, `:${NAME}:${path}`)
    }
  },

  async connect(address: string, options: ChannelOptions): Promise<Connection> {
    const path = requirePipePath(address)
    return connectStream({ channel: NAME, remote: path, netOptions: { path } }, options)
  },
}

function isAddressInUse(error: unknown): boolean {
  return error instanceof TandemError && error.details['osCode'] === 'EADDRINUSE'
}

/** Removes `path` if it is a socket that nothing answers on; returns whether it did. */
async function removeStaleSocket(path: string): Promise<boolean> {
  const stats = await lstat(path).catch(() => null)
  if (stats === null || !stats.isSocket()) return false
  if (await somethingAnswers(path)) return false
  await unlink(path)
  return true
}

function somethingAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection({ path })
    const done = (answered: boolean): void => {
      clearTimeout(timer)
      probe.destroy()
      resolve(answered)
    }
    // A listener that accepts nothing in time is treated as alive: never remove its file.
    const timer = setTimeout(() => done(true), STALE_PROBE_TIMEOUT_MS)
    probe.once('connect', () => done(true))
    probe.once('error', (error: Error & { code?: string }) => done(error.code !== 'ECONNREFUSED'))
  })
}

/** The built-in pipe channel (already wrapped by `runtimeChannel`). */
export const pipeChannel: Channel = runtimeChannel(pipeAdapter)

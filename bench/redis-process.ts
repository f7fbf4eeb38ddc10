/**
 * Starts the Redis reference of the replication benchmark: a master and a replica
 * (`--replicaof`) on free loopback ports, both without persistence (`--save '' --appendonly
 * no`), each in a temporary folder; waits for the replication link; stops both at the end.
 * Redis is used by the benchmark only: when redis-server is not installed the cases say so.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { TandemError } from '../src/errors.js'
import type { Skipped } from './harness.js'
import { RespClient } from './resp-client.js'

/** A running master and replica, with one client connected to each. */
export interface RedisPair {
  readonly master: RespClient
  readonly replica: RespClient
  stop(): Promise<void>
}

const START_TIMEOUT_MS = 10_000

/** The redis-server executable on the PATH, or undefined. */
export function findRedisServer(): string | undefined {
  for (const folder of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(folder, 'redis-server')
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // Not in this folder of the PATH: look in the next.
    }
  }
  return undefined
}

/** A loopback port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

interface Server {
  readonly port: number
  readonly child: ChildProcess
  readonly folder: string
  readonly client: RespClient
}

async function connectWhenUp(port: number, child: ChildProcess): Promise<RespClient> {
  const deadline = performance.now() + START_TIMEOUT_MS
  while (performance.now() < deadline) {
    if (child.exitCode !== null) break
    try {
      const client = await RespClient.connect(port)
      if ((await client.command('PING')) === 'PONG') return client
      client.close()
    } catch {
      // Not listening yet: try again shortly.
    }
    await sleep(20)
  }
  throw new TandemError('TDB_TIMEOUT', `redis-server on port ${port} did not start`)
}

async function startServer(executable: string, extra: readonly string[]): Promise<Server> {
  const port = await freePort()
  const folder = mkdtempSync(path.join(os.tmpdir(), 'tandemdb-bench-redis-'))
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
  const child = spawn(executable, [...args, '--dir', folder, ...extra], { stdio: 'ignore' })
  // A benchmark that dies (an error, Ctrl-C) must not leave its servers running.
  const killOnExit = (): void => void child.kill('SIGKILL')
  process.once('exit', killOnExit)
  child.once('exit', () => process.off('exit', killOnExit))
  try {
    return { port, child, folder, client: await connectWhenUp(port, child) }
  } catch (error) {
    await stopServer({ child, folder, client: null })
    throw error
  }
}

interface Stoppable {
  readonly child: ChildProcess
  readonly folder: string
  readonly client: RespClient | null
}

async function stopServer(server: Stoppable): Promise<void> {
  server.client?.close()
  if (server.child.exitCode === null && server.child.signalCode === null) {
    const exited = new Promise((resolve) => server.child.once('exit', resolve))
    server.child.kill('SIGTERM')
    const stopped = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)])
    if (!stopped) server.child.kill('SIGKILL')
  }
  rmSync(server.folder, { recursive: true, force: true })
}

async function waitForLink(replica: RespClient): Promise<void> {
  const deadline = performance.now() + START_TIMEOUT_MS
  while (performance.now() < deadline) {
    const info = await replica.command('INFO', 'replication')
    if (typeof info === 'string' && info.includes('master_link_status:up')) return
    await sleep(20)
  }
  throw new TandemError('TDB_TIMEOUT', 'the Redis replica did not link to its master')
}

/** Starts a master and its replica and waits until they are linked. */
export async function startRedisPair(): Promise<RedisPair | Skipped> {
  const executable = findRedisServer()
  if (executable === undefined) return { skipped: 'redis-server is not installed' }
  // A replica's first sync would otherwise wait 5 s for more replicas to share it.
  const master = await startServer(executable, ['--repl-diskless-sync-delay', '0'])
  let replica: Server | undefined
  try {
    replica = await startServer(executable, ['--replicaof', '127.0.0.1', String(master.port)])
    await waitForLink(replica.client)
  } catch (error) {
    if (replica !== undefined) await stopServer(replica)
    await stopServer(master)
    throw error
  }
  const linked = replica
  return {
    master: master.client,
    replica: linked.client,
    stop: async () => {
      await stopServer(linked)
      await stopServer(master)
    },
  }
}

/**
 * The HA commands of the CLI as real processes (DESIGN "Layers": cli `serve`, `replica`,
 * `status`): `serve` starts a master on a loopback port, `replica` attaches to it, `status`
 * prints the replica table from serve's status file; SIGINT stops serve, which detaches the
 * replica (MASTER_REQUESTED_DISCONNECT, exit 0 on both sides). Bad usage exits with 2.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { SCHEMA } from './fixtures/ha-harness.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const cli = (name: string) =>
  pathToFileURL(path.resolve(here, `../../dist/src/cli/${name}.js`)).href

interface Run {
  readonly child: ChildProcess
  output: string
  readonly exited: Promise<number | null>
}

const runs: Run[] = []
const files: string[] = []
afterEach(async () => {
  for (const run of runs.splice(0)) {
    run.child.kill('SIGKILL')
    await run.exited
  }
  for (const file of files.splice(0)) rmSync(file, { force: true })
})

/** Runs `<name>Command(args)` from the built CLI module in a child process. */
function run(name: string, args: readonly string[]): Run {
  const script =
    `const m = await import(${JSON.stringify(cli(name))});` +
    `process.exitCode = await m.${name}Command(${JSON.stringify(args)})`
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const result: Run = {
    child,
    output: '',
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  }
  child.stdout?.on('data', (chunk) => (result.output += String(chunk)))
  child.stderr?.on('data', (chunk) => (result.output += String(chunk)))
  runs.push(result)
  return result
}

async function waitFor(runResult: Run, text: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!runResult.output.includes(text)) {
    if (Date.now() > deadline) throw new Error(`no "${text}" in:\n${runResult.output}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('tandemdb serve / replica / status (DESIGN Layers: cli)', () => {
  it('serves, attaches a replica, shows the status table and stops on SIGINT', async () => {
    const port = await freePort()
    const statusFile = path.join(os.tmpdir(), `tdb-ha-cli-${process.pid}-${port}.json`)
    files.push(statusFile)
    const serve = run('serve', [
      '--schema', SCHEMA, '--listen', `:tcp:127.0.0.1:${port}`,
      '--status-file', statusFile, '--status-every', '200',
    ])
    await waitFor(serve, 'listening on')
    const replica = run('replica', ['--schema', SCHEMA, '--connect', `:tcp:127.0.0.1:${port}`])
    await waitFor(replica, '[replica] synced at seq 0')
    await waitFor(serve, 'replicas 1')
    const status = run('status', ['--status-file', statusFile])
    expect(await status.exited).toBe(0)
    expect(status.output).toMatch(/master seq 0 .* mode sync/)
    expect(status.output).toMatch(/^1 +tcp:127\.0\.0\.1:\d+ +sync +streaming +equal/m)
    serve.child.kill('SIGINT')
    expect(await serve.exited).toBe(0)
    expect(await replica.exited).toBe(0)
    expect(replica.output).toContain('stopped: MASTER_REQUESTED_DISCONNECT')
    const gone = run('status', ['--status-file', statusFile])
    expect(await gone.exited).toBe(1)
    expect(gone.output).toContain('is `tandemdb serve` running')
  })

  it('exits with 2 on wrong usage', async () => {
    const serve = run('serve', ['--schema', SCHEMA, '--mode', 'fast', '--listen', ':tcp:0'])
    expect(await serve.exited).toBe(2)
    expect(serve.output).toContain('--mode must be sync or async')
    const replica = run('replica', ['--schema', SCHEMA])
    expect(await replica.exited).toBe(2)
    const status = run('status', [])
    expect(await status.exited).toBe(2)
  })
})

/**
 * The HA samples (samples/*, DESIGN "Replication": async, forceSync, partial replication, many
 * channels, transaction window, stateful catch-up) and the `npm start` demo, run as users run
 * them: the compiled runner of each sample (`npm run build` first) forks its master and
 * replicas as separate processes on loopback and checks what it demonstrates across them. Each
 * test asserts exit code 0 and the output lines that show the feature held (content hashes
 * equal, per-class counts, stateful notifications, ...); a failed check in a sample prints
 * "check: ...: FAILED" and exits 1, which fails the test with the sample's output.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const SAMPLE_TIMEOUT_MS = 30_000

interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `node <args>` in the project root; resolves when it exits, kills it after the timeout. */
function runNode(args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += String(chunk)))
    child.stderr.on('data', (chunk) => (stderr += String(chunk)))
    const timer = setTimeout(() => child.kill('SIGKILL'), SAMPLE_TIMEOUT_MS)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

async function runSample(name: string): Promise<Ran> {
  const runner = path.join(root, 'dist', 'samples', name, 'run.js')
  expect(existsSync(runner), `${runner} is missing: run npm run build first`).toBe(true)
  const ran = await runNode([runner])
  expect(ran.code, `${name} exited ${ran.code}\n${ran.stdout}\n${ran.stderr}`).toBe(0)
  expect(ran.stdout).toContain(`${name}: all checks passed`)
  expect(ran.stdout).not.toContain('FAILED')
  return ran
}

describe('HA samples', () => {
  it('haasync: async replicas converge to the master content', async () => {
    const { stdout } = await runSample('haasync')
    expect(stdout).toMatch(/master: listening on :tcp:127\.0\.0\.1:\d+ \(async mode\)/)
    expect(stdout).toContain('replica 1: ** Notification ** database loaded successfully')
    expect(stdout).toContain("check: replica 1 content hash equals the master's")
    expect(stdout).toContain("check: replica 2 content hash equals the master's")
  })

  it('rplsync: durable waits for the forceSync replica of an async master', async () => {
    const { stdout } = await runSample('rplsync')
    expect(stdout).toContain('replica 2 (rplsync): ** Notification ** connected (attached, sync')
    expect(stdout).toMatch(/check: commit \d+ is not durable while replica 2 is paused.*: ok/)
    expect(stdout).toMatch(/check: commit \d+ resolves durable once replica 2 resumed.*: ok/)
  })

  it('hafilter: only T2 and T3 reach the replica', async () => {
    const { stdout } = await runSample('hafilter')
    expect(stdout).toContain('master: objects per class: T1=175 T2=175 T3=175 T4=175')
    expect(stdout).toContain('replica: objects per class: T1=0 T2=175 T3=175 T4=0')
  })

  it('hamultichan: replicas over tcp, udp and pipe converge', async () => {
    const { stdout } = await runSample('hamultichan')
    for (const channel of ['tcp', 'udp', 'pipe']) {
      expect(stdout).toMatch(new RegExp(`master: listening on :${channel}:`))
      expect(stdout).toContain(`check: replica ${channel} content hash equals the master's`)
    }
  })

  it('hawindow: window 1 and window 1000 both converge, throughput printed', async () => {
    const { stdout } = await runSample('hawindow')
    expect(stdout).toMatch(/throughput: window 1 \d+\/s, window 1000 \d+\/s, ratio x[\d.]+/)
    expect(stdout).toContain('check: window 1000: replica 2 converged')
  })

  it('hastateful: a re-attached replica gets only the missed transactions', async () => {
    const { stdout } = await runSample('hastateful')
    expect(stdout).toContain(
      'replica: ** Notification ** stateful synchronization started (300 transactions)',
    )
    expect(stdout).toContain('replica: ** Notification ** stateful synchronization complete')
    expect(stdout).toContain('check: no database load on the second attach: ok')
  })
})

describe('demo', () => {
  it('runs the whole tour and exits 0', async () => {
    const demo = path.join(root, 'dist', 'src', 'cli', 'demo.js')
    expect(existsSync(demo), `${demo} is missing: run npm run build first`).toBe(true)
    // `main.js demo` is what `npm start` runs; the command function is what this file owns.
    const script =
      `import(${JSON.stringify(demo)}).then((m) => m.demoCommand([]))` +
      '.then((code) => { process.exitCode = code })'
    const ran = await runNode(['-e', script])
    expect(ran.code, `${ran.stdout}\n${ran.stderr}`).toBe(0)
    const { stdout } = ran
    expect(stdout).toMatch(/replicated hash [0-9a-f]{64}/)
    expect(stdout).toContain('-> TDB_DUPLICATE_KEY')
    expect(stdout).toContain('inserts an account -> TDB_READ_ONLY_REPLICA')
    expect(stdout).toMatch(/replica A \(tcp, forceSync\)\s+sequencer 4\s+hash [0-9a-f]+\s+equal/)
    expect(stdout).toMatch(/replica B \(pipe, async\)\s+sequencer 4\s+hash [0-9a-f]+\s+equal/)
    expect(stdout).not.toContain('NOT AS EXPECTED')
    expect(stdout).toContain('demo done')
  })
})

// The kill -9 crash test (DESIGN.md "Commit policies and the log": a commit whose policy
// promised durability is never lost by kill -9; the database is rebuilt from the last snapshot
// plus the valid log). A child process (fixtures/crash-child.mjs, run from the build) commits a
// deterministic workload and prints each seq once its durable promise resolved; the parent
// kills it with SIGKILL at a seeded random moment, reopens the directory, and checks that
// every seq reported durable is present and that the content is EXACTLY that of the first
// `sequencer` commits (rebuilt in memory). Rounds continue in the same directory, with small
// segments and checkpoints so kills also land in rollovers and checkpoints.
// CRASH_ROUNDS=<n> (npm run test:crash-soak) runs more rounds.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { Database } from '../../src/node/database.js'
import { loadDictionary } from '../../src/schema/load-dictionary.js'
import { applyCommit, CRASH_SCHEMA } from './fixtures/crash-workload.mjs'
import { seededRandom as prng } from '../../src/util/prng.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const CHILD = path.join(here, 'fixtures', 'crash-child.mjs')
const BUILT = path.join(here, '..', '..', 'dist', 'src', 'node', 'database.js')
const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 8)
const dictionary = loadDictionary(CRASH_SCHEMA)
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandemdb-crash-'))

afterAll(() => fs.rmSync(workDir, { recursive: true, force: true }))


interface RoundResult {
  readonly startSeq: bigint | null
  readonly durableSeqs: bigint[]
  readonly stderr: string
}

/** Runs the child, kills it with SIGKILL `killAfterMs` after it is ready (or after spawn). */
function runChild(dir: string, args: string[], killAfterMs: number, afterReady: boolean) {
  return new Promise<RoundResult>((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let startSeq: bigint | null = null
    const durableSeqs: bigint[] = []
    let stdout = ''
    let stderr = ''
    let timer: NodeJS.Timeout | null = null
    const kill = () => child.kill('SIGKILL')
    if (!afterReady) timer = setTimeout(kill, killAfterMs)
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk
      const lines = stdout.split('\n')
      stdout = lines.pop()!
      for (const line of lines) {
        const [word, value] = line.split(' ')
        if (word === 'ready') {
          startSeq = BigInt(value!)
          if (afterReady) timer = setTimeout(kill, killAfterMs)
        } else if (word === 'durable') durableSeqs.push(BigInt(value!))
      }
    })
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (timer !== null) clearTimeout(timer)
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code}: ${stderr}`))
      else resolve({ startSeq, durableSeqs, stderr })
    })
  })
}

/** The workload replayed in memory, moved forward to any prefix of commits. */
class ExpectedContent {
  readonly #db: Database

  private constructor(db: Database) {
    this.#db = db
  }

  static async open(): Promise<ExpectedContent> {
    return new ExpectedContent(await Database.open({ dictionary, memorySize: 256 * 1024 * 1024 }))
  }

  /** The content hash of the first `count` commits (count never goes back). */
  hashAfter(count: bigint): string {
    while (this.#db.getSequencer() < count) {
      const seq = this.#db.getSequencer() + 1n
      this.#db.write((tx) => applyCommit(tx, seq))
    }
    expect(this.#db.getSequencer()).toBe(count)
    return this.#db.contentHash()
  }

  close(): Promise<void> {
    return this.#db.close()
  }
}

describe('kill -9 crash recovery (DESIGN.md "Commit policies and the log")', () => {
  it(`loses no durable commit and recovers an exact prefix (${ROUNDS} rounds)`, async () => {
    expect(fs.existsSync(BUILT), 'the crash child runs the build: npm run build first').toBe(true)
    const random = prng(20261121)
    const dir = path.join(workDir, 'db')
    const expected = await ExpectedContent.open()
    let recovered = 0n
    let killedDuringRecovery = 0
    for (let round = 0; round < ROUNDS; round++) {
      const policy = round % 4 === 3 ? 'delayed' : 'sync-flush'
      const committers = String(1 + Math.floor(random() * 16))
      const afterReady = random() < 0.85
      const killAfterMs = (afterReady ? 20 : 40) + Math.floor(random() * (afterReady ? 250 : 200))
      const args = [policy, committers, '16384', String(48 * 1024)]
      const result = await runChild(dir, args, killAfterMs, afterReady)
      if (result.startSeq === null) killedDuringRecovery++
      else expect(result.startSeq, `round ${round} reopened behind`).toBe(recovered)
      const db = await Database.open({
        dictionary,
        memorySize: 256 * 1024 * 1024,
        log: { dir, onWarning: () => undefined },
      })
      const seq = db.getSequencer()
      const maxDurable = result.durableSeqs.reduce((max, s) => (s > max ? s : max), 0n)
      expect(seq, `round ${round}: a commit reported durable was lost`).toBeGreaterThanOrEqual(
        maxDurable,
      )
      expect(seq, `round ${round}: the sequencer went back`).toBeGreaterThanOrEqual(recovered)
      expect(db.contentHash(), `round ${round}: content is not the prefix of ${seq} commits`).toBe(
        expected.hashAfter(seq),
      )
      await db.close()
      recovered = seq
    }
    await expected.close()
    expect(recovered).toBeGreaterThan(0n)
    expect(killedDuringRecovery).toBeLessThan(ROUNDS)
  })
})

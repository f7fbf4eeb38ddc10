/**
 * The runner side of a sample: forks the sample's master and replica programs as separate
 * processes (their stdout is this process's), talks to them over IPC, checks what the sample
 * demonstrates, and cleans up every process it started and every temp file it named. The
 * process exits 0 only when every check held.
 */
import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { TandemError } from '../../src/errors.js'
import type { ErrorCode } from '../../src/errors.js'
import type { SampleEvent, SampleReply } from './child.js'

/** How long a request or an awaited event may take before the sample fails. */
const WAIT_DEFAULT_MS = 10_000
/** How long a child may take to exit when asked before it is killed. */
const EXIT_GRACE_MS = 3_000

/** One forked master or replica program. */
export class SampleProcess {
  readonly name: string
  readonly events: SampleEvent[] = []
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>
  readonly #child: ChildProcess
  readonly #pending = new Map<number, (reply: SampleReply) => void>()
  readonly #waiters = new Set<{
    test: (e: SampleEvent) => boolean
    resolve: () => void
    reject: (error: TandemError) => void
  }>()
  #nextId = 1
  #exitCode: number | null | undefined = undefined

  constructor(name: string, script: string, config: unknown) {
    this.name = name
    this.#child = fork(script, [JSON.stringify(config)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // bigint sequencers travel as they are.
      serialization: 'advanced',
    })
    this.exited = new Promise((resolve) => {
      this.#child.once('exit', (code) => {
        this.#exitCode = code
        for (const settle of this.#pending.values()) {
          settle({ id: 0, ok: false, code: 'TDB_STOPPED', message: `${name} exited (${code})` })
        }
        this.#pending.clear()
        const exited = new TandemError('TDB_STOPPED', `${name} exited (${code})`)
        for (const waiter of [...this.#waiters]) waiter.reject(exited)
        resolve(code)
      })
    })
    this.#child.on('message', (message: SampleReply | SampleEvent) => this.#onMessage(message))
    // A failed fork or signal shows up as the exit; the runner itself must not crash on it.
    this.#child.on('error', () => this.signal('SIGKILL'))
  }

  #onMessage(message: SampleReply | SampleEvent): void {
    if ('id' in message && typeof message.id === 'number') {
      const reply = message as SampleReply
      this.#pending.get(reply.id)?.(reply)
      this.#pending.delete(reply.id)
      return
    }
    const event = message as SampleEvent
    this.events.push(event)
    for (const waiter of [...this.#waiters]) if (waiter.test(event)) waiter.resolve()
  }

  /** True until the process exited. */
  get running(): boolean {
    return this.#exitCode === undefined
  }

  /** Sends a command; resolves with the child's answer, throws its error as a TandemError. */
  request<T = unknown>(
    cmd: string,
    args: Record<string, unknown> = {},
    timeoutMs = WAIT_DEFAULT_MS,
  ): Promise<T> {
    if (!this.running) {
      return Promise.reject(new TandemError('TDB_STOPPED', `${this.name} is not running (${cmd})`))
    }
    const id = this.#nextId++
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        const message = `${this.name} did not answer '${cmd}' in ${timeoutMs} ms`
        reject(new TandemError('TDB_TIMEOUT', message))
      }, timeoutMs)
      this.#pending.set(id, (reply) => {
        clearTimeout(timer)
        if (reply.ok) resolve(reply.value as T)
        else {
          const message = `${this.name} ${cmd}: ${reply.message}`
          reject(new TandemError(reply.code as ErrorCode, message))
        }
      })
      this.#send({ id, cmd, args })
    })
  }

  /** The first event named `name` (already seen or still to come) that passes `test`. */
  event(
    name: string,
    test: (e: SampleEvent) => boolean = () => true,
    timeoutMs = WAIT_DEFAULT_MS,
  ): Promise<SampleEvent> {
    const matches = (e: SampleEvent): boolean => e.event === name && test(e)
    const seen = this.events.find(matches)
    if (seen !== undefined) return Promise.resolve(seen)
    if (!this.running) {
      return Promise.reject(new TandemError('TDB_STOPPED', `${this.name} exited (${name})`))
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        test: matches,
        resolve: () => {
          clearTimeout(timer)
          this.#waiters.delete(waiter)
          resolve(this.events.find(matches) as SampleEvent)
        },
        reject: (error: TandemError) => {
          clearTimeout(timer)
          this.#waiters.delete(waiter)
          reject(error)
        },
      }
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter)
        const message = `${this.name}: no '${name}' event in ${timeoutMs} ms`
        reject(new TandemError('TDB_TIMEOUT', message))
      }, timeoutMs)
      this.#waiters.add(waiter)
    })
  }

  /** Sends a message unless the channel is gone (the exit handler then settles the request). */
  #send(message: { id: number; cmd: string; args: Record<string, unknown> }): void {
    if (!this.#child.connected) return
    this.#child.send(message, (error) => {
      if (error !== null) this.signal('SIGKILL')
    })
  }

  /** Sends a signal to this process (the runner started it). */
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.#child.kill(signal)
  }

  /** Asks the process to exit; kills it when it does not within the grace period. */
  async exit(): Promise<number | null> {
    if (!this.running) return this.exited
    this.#send({ id: 0, cmd: 'exit', args: {} })
    const timer = setTimeout(() => this.signal('SIGKILL'), EXIT_GRACE_MS)
    const code = await this.exited
    clearTimeout(timer)
    return code
  }
}

/** One run of a sample: its processes, temp files and checks. */
export class SampleRun {
  readonly title: string
  readonly #processes: SampleProcess[] = []
  readonly #tempPaths: string[] = []
  readonly #failures: string[] = []
  readonly #here: string

  constructor(title: string, runnerUrl: string) {
    this.title = title
    this.#here = path.dirname(fileURLToPath(runnerUrl))
  }

  /** Forks `script` (a file next to the runner, e.g. 'master.js') with its config. */
  fork(name: string, script: string, config: unknown): SampleProcess {
    const child = new SampleProcess(name, path.join(this.#here, script), config)
    this.#processes.push(child)
    return child
  }

  /** A fresh path in the temp directory (for a pipe), removed at the end of the run. */
  tempPath(name: string): string {
    const file = path.join(os.tmpdir(), `tandemdb-${this.title}-${process.pid}-${name}`)
    rmSync(file, { force: true })
    this.#tempPaths.push(file)
    return file
  }

  /** Prints a line of the runner, as `<sample>: text`. */
  say(text: string): void {
    say(this.title, text)
  }

  /** Prints a check and records it; the run fails if any check failed. */
  check(holds: boolean, what: string, detail = ''): boolean {
    const suffix = detail === '' ? '' : ` (${detail})`
    say(`check`, `${what}${suffix}: ${holds ? 'ok' : 'FAILED'}`)
    if (!holds) this.#failures.push(`${what}${suffix}`)
    return holds
  }

  get failures(): readonly string[] {
    return this.#failures
  }

  /** Asks every process still running to exit, kills the slow ones, removes temp files. */
  async cleanup(): Promise<void> {
    await Promise.all(this.#processes.map((p) => p.exit()))
    for (const file of this.#tempPaths.splice(0)) rmSync(file, { force: true })
  }

  /** Kills every process still running at once (a failed or timed-out run). */
  kill(): void {
    for (const p of this.#processes) p.signal('SIGKILL')
  }
}

/** Prints one line of the runner as `who: text`. */
export function say(who: string, text: string): void {
  process.stdout.write(`${who}: ${text}\n`)
}

/**
 * Runs a sample's body under a deadline, then cleans up, and sets the exit code: 0 when the
 * body finished and every check held, 1 otherwise (with the reason on stderr).
 */
export async function runSample(
  title: string,
  runnerUrl: string,
  deadlineMs: number,
  body: (run: SampleRun) => Promise<void>,
): Promise<void> {
  const run = new SampleRun(title, runnerUrl)
  say(title, 'starting')
  let error: unknown = null
  let deadline: NodeJS.Timeout | undefined
  const timedOut = new Promise<never>((_, reject) => {
    deadline = setTimeout(() => {
      reject(new TandemError('TDB_TIMEOUT', `${title} did not finish within ${deadlineMs} ms`))
    }, deadlineMs)
  })
  try {
    await Promise.race([body(run), timedOut])
  } catch (caught) {
    error = caught
    run.kill()
  } finally {
    clearTimeout(deadline)
  }
  await run.cleanup()
  if (error !== null) {
    const text = error instanceof Error ? `${error.message}` : String(error)
    process.stderr.write(`${title}: FAILED: ${text}\n`)
    process.exitCode = 1
    return
  }
  if (run.failures.length > 0) {
    process.stderr.write(`${title}: FAILED: ${run.failures.join('; ')}\n`)
    process.exitCode = 1
    return
  }
  say(title, 'all checks passed')
  process.exitCode = 0
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Polls `check` every `intervalMs` until it is true; TDB_TIMEOUT naming `what` otherwise. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = WAIT_DEFAULT_MS,
  intervalMs = 25,
): Promise<void> {
  const started = Date.now()
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) {
      throw new TandemError('TDB_TIMEOUT', `${what}: not reached within ${timeoutMs} ms`)
    }
    await sleep(intervalMs)
  }
}

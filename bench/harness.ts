/**
 * The benchmark harness: cases of one workload run side by side (interleaved, run after run) in
 * one process, each warmed up first, then measured several times; the median run counts. Every
 * run verifies a checksum of what it read against a value computed from the seeded dataset.
 */
import { assert } from '../src/util/assert.js'

/** Per-suite parameters: each takes its small (smoke test) or large (benchmark) value. */
export type ParamSpec<P> = { readonly [K in keyof P]: readonly [small: P[K], large: P[K]] }

/** What one timed run reports. */
export interface RunOutcome {
  /** Operations done in the timed part. */
  readonly ops: number
  /** Milliseconds of the timed part only (set-up and verification excluded). */
  readonly elapsedMs: number
  /** A checksum of what the run read back. */
  readonly checksum: number
  /** The checksum computed from the dataset alone; the harness fails the case on a mismatch. */
  readonly expectedChecksum: number
}

/** Passed to every run. */
export interface RunContext {
  /** 0 for the warm-up, then 1, 2, ... (cases whose data changes per run need it). */
  readonly runIndex: number
  /** For time-bounded cases: how long the timed loop should go on. */
  readonly budgetMs: number
  /** Collects per-operation latencies. */
  readonly latency: LatencyRecorder
  /** Collects replica lag samples (replication cases only). */
  readonly lag: LatencyRecorder
}

/** An opened case: its system holds whatever data the workload needs. */
export interface CaseInstance {
  run(context: RunContext): Promise<RunOutcome>
  close(): Promise<void>
}

/** Why a case did not run (a competitor is not installed, a tandemdb part is absent). */
export interface Skipped {
  readonly skipped: string
}

/** One system on one workload. */
export interface BenchCase<P> {
  /** The workload ('W1 insert', 'sync-flush, 1 committer', ...): the rows compared together. */
  readonly workload: string
  /** The system and variant ('tandemdb (tree)', 'better-sqlite3', ...). */
  readonly system: string
  /** True for the row every other row of the workload is divided by. */
  readonly reference?: boolean
  /** Untimed: opens the system and loads the data of the workload. */
  open(params: P): Promise<CaseInstance | Skipped>
}

/** A row of a suite's table, by workload and system. */
export interface RowRef {
  readonly workload: string
  readonly system: string
}

/** A ratio the suite must reach: ops/s of `subject` over ops/s of `base`, at least `minRatio`. */
export interface RatioTarget {
  readonly label: string
  readonly subject: RowRef
  readonly base: RowRef
  readonly minRatio: number
}

/** A bound on the replica lag of `subject`: its p99 at most `maxLagP99Ms`. */
export interface LagTarget {
  readonly label: string
  readonly subject: RowRef
  readonly maxLagP99Ms: number
}

export type Target = RatioTarget | LagTarget

/** The target: ops/s of `subject` >= `minRatio` x ops/s of `base`, both on `workload`. */
export function ratioTarget(
  label: string,
  workload: string,
  subject: string,
  base: string,
  minRatio: number,
): RatioTarget {
  const which = (system: string) => ({ workload, system })
  return { label, subject: which(subject), base: which(base), minRatio }
}

/** A benchmark suite (one `*.bench.ts`). */
export interface BenchSuite<P> {
  readonly name: string
  readonly title: string
  readonly params: ParamSpec<P>
  readonly cases: readonly BenchCase<P>[]
  readonly targets: readonly Target[]
  /** Lines printed under the table (what each case does exactly). */
  readonly notes: readonly string[]
}

/** How hard to run. */
export interface HarnessOptions {
  /** 'small' for the smoke test, 'large' for the benchmark. */
  readonly size: 'small' | 'large'
  /** Measured runs per case, after one warm-up run. */
  readonly runs: number
  /** Budget of each run of a time-bounded case. */
  readonly budgetMs: number
  /** Progress lines (stderr in the CLI). */
  readonly log?: (line: string) => void
}

/** The result row of one case. */
export interface CaseResult {
  readonly workload: string
  readonly system: string
  readonly reference: boolean
  readonly skipped?: string
  /** Why the case failed (it threw, or its checksum did not match). */
  readonly failed?: string
  readonly ops?: number
  readonly opsPerSec?: number
  readonly p50Us?: number
  readonly p99Us?: number
  readonly lagP50Us?: number
  readonly lagP99Us?: number
}

/** Collects latency samples in milliseconds; a batch of ops counts as one sample of its mean. */
export class LatencyRecorder {
  #samples = new Float64Array(1024)
  #count = 0

  /** Records one sample: `ms` spent on `ops` operations. */
  record(ms: number, ops = 1): void {
    if (this.#count === this.#samples.length) {
      const grown = new Float64Array(this.#samples.length * 2)
      grown.set(this.#samples)
      this.#samples = grown
    }
    this.#samples[this.#count++] = ms / ops
  }

  get count(): number {
    return this.#count
  }

  /** The samples recorded so far, sorted. */
  sorted(): Float64Array {
    return this.#samples.slice(0, this.#count).sort()
  }
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
export function wallNowMs(): number {
  return performance.timeOrigin + performance.now()
}

/** The `fraction` percentile (0..1) of sorted samples, nearest rank. */
export function percentile(sorted: Float64Array, fraction: number): number {
  assert(sorted.length > 0, 'percentile of no samples')
  const rank = Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)
  return sorted[Math.max(0, rank)] as number
}

/** The median of numbers (the lower middle for an even count). */
export function median(values: readonly number[]): number {
  assert(values.length > 0, 'median of no values')
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor((sorted.length - 1) / 2)] as number
}

/**
 * Loads an optional module; a missing one is reported, not thrown. `label` names it in the
 * report (a module of the source tree is named by its path there, not by this machine's).
 */
export async function tryImport<T>(specifier: string, label = specifier): Promise<T | Skipped> {
  try {
    return (await import(specifier)) as T
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code === 'ERR_MODULE_NOT_FOUND') return { skipped: `${label} is not in the build` }
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error)
    return { skipped: `cannot load ${label}: ${message}` }
  }
}

/** True when a value is a Skipped marker. */
export function isSkipped(value: unknown): value is Skipped {
  return typeof value === 'object' && value !== null && 'skipped' in value
}

/** Picks each parameter's small or large value. */
export function pickParams<P>(spec: ParamSpec<P>, size: 'small' | 'large'): P {
  const index = size === 'small' ? 0 : 1
  const params: Partial<P> = {}
  for (const key of Object.keys(spec) as (keyof P)[]) params[key] = spec[key][index]
  return params as P
}

interface Measured {
  readonly instance: CaseInstance
  readonly latency: LatencyRecorder
  readonly lag: LatencyRecorder
  readonly opsPerSec: number[]
  readonly ops: number[]
}

async function runOnce(
  benchCase: BenchCase<unknown>,
  measured: Measured,
  context: RunContext,
): Promise<void> {
  const outcome = await measured.instance.run(context)
  assert(
    outcome.checksum === outcome.expectedChecksum,
    `${benchCase.workload} / ${benchCase.system}: checksum ${outcome.checksum} ` +
      `!== expected ${outcome.expectedChecksum} (run ${context.runIndex})`,
  )
  assert(outcome.ops > 0 && outcome.elapsedMs > 0, `${benchCase.system}: empty run`)
  if (context.runIndex === 0) return
  measured.ops.push(outcome.ops)
  measured.opsPerSec.push((outcome.ops * 1000) / outcome.elapsedMs)
}

/** The p50 and p99 of a recorder's samples in microseconds, under the given names. */
function percentilesUs<K extends string>(
  recorder: LatencyRecorder,
  p50: K,
  p99: K,
): Partial<Record<K, number>> {
  const sorted = recorder.sorted()
  if (sorted.length === 0) return {}
  return {
    [p50]: percentile(sorted, 0.5) * 1000,
    [p99]: percentile(sorted, 0.99) * 1000,
  } as Partial<Record<K, number>>
}

function resultOf(benchCase: BenchCase<unknown>, measured: Measured): CaseResult {
  return {
    workload: benchCase.workload,
    system: benchCase.system,
    reference: benchCase.reference === true,
    ops: median(measured.ops),
    opsPerSec: median(measured.opsPerSec),
    ...percentilesUs(measured.latency, 'p50Us', 'p99Us'),
    ...percentilesUs(measured.lag, 'lagP50Us', 'lagP99Us'),
  }
}

function noRuns(): { opsPerSec: number[]; ops: number[] } {
  return { opsPerSec: [], ops: [] }
}

/** A case that threw: reported as FAILED in its row, and the other cases go on. */
interface Failed {
  readonly failed: string
}

type CaseState = Measured | Skipped | Failed

function failure(error: unknown): Failed {
  if (!(error instanceof Error)) return { failed: String(error) }
  const code = (error as { code?: unknown }).code
  const message = error.message.split('\n')[0] ?? ''
  return { failed: typeof code === 'string' ? `${code}: ${message}` : message }
}

async function openCase<P>(benchCase: BenchCase<P>, params: P): Promise<CaseState> {
  try {
    const instance = await benchCase.open(params)
    if (isSkipped(instance)) return instance
    return { instance, latency: new LatencyRecorder(), lag: new LatencyRecorder(), ...noRuns() }
  } catch (error) {
    return failure(error)
  }
}

async function closeCase(state: CaseState): Promise<CaseState> {
  if (!('instance' in state)) return state
  try {
    await state.instance.close()
    return state
  } catch (error) {
    return failure(error)
  }
}

/** One run of every case still measured; a case that throws is closed and marked failed. */
async function runRound<P>(
  cases: readonly BenchCase<P>[],
  states: Map<BenchCase<P>, CaseState>,
  runIndex: number,
  options: HarnessOptions,
): Promise<void> {
  for (const benchCase of cases) {
    const state = states.get(benchCase)
    if (state === undefined || !('instance' in state)) continue
    options.log?.(`  ${benchCase.workload} / ${benchCase.system}: run ${runIndex}`)
    // The warm-up run's latencies go to recorders that are thrown away.
    const warmUp = runIndex === 0
    const latency = warmUp ? new LatencyRecorder() : state.latency
    const lag = warmUp ? new LatencyRecorder() : state.lag
    const context = { runIndex, budgetMs: options.budgetMs, latency, lag }
    try {
      await runOnce(benchCase as BenchCase<unknown>, state, context)
    } catch (error) {
      await closeCase(state)
      states.set(benchCase, failure(error))
    }
  }
}

/**
 * Runs the cases of one workload side by side: all are opened, each is warmed up, then run r of
 * every case follows run r-1 of every case, so that a slow phase of the machine hits all alike.
 */
async function runWorkload<P>(
  cases: readonly BenchCase<P>[],
  params: P,
  options: HarnessOptions,
): Promise<CaseResult[]> {
  const states = new Map<BenchCase<P>, CaseState>()
  try {
    for (const benchCase of cases) states.set(benchCase, await openCase(benchCase, params))
    for (let runIndex = 0; runIndex <= options.runs; runIndex++) {
      await runRound(cases, states, runIndex, options)
    }
  } finally {
    for (const [benchCase, state] of states) states.set(benchCase, await closeCase(state))
  }
  return cases.map((benchCase) => {
    const state = states.get(benchCase)
    assert(state !== undefined, 'every case was opened')
    if ('instance' in state) return resultOf(benchCase as BenchCase<unknown>, state)
    const row = { workload: benchCase.workload, system: benchCase.system }
    return { ...row, reference: benchCase.reference === true, ...state }
  })
}

/** Runs every workload of a suite, in the order of its cases; returns one row per case. */
export async function runSuite<P>(
  suite: BenchSuite<P>,
  options: HarnessOptions,
): Promise<CaseResult[]> {
  const params = pickParams(suite.params, options.size)
  const workloads = [...new Set(suite.cases.map((benchCase) => benchCase.workload))]
  const results: CaseResult[] = []
  for (const workload of workloads) {
    options.log?.(`${suite.name}: ${workload}`)
    const cases = suite.cases.filter((benchCase) => benchCase.workload === workload)
    results.push(...(await runWorkload(cases, params, options)))
  }
  return results
}

/**
 * Times a synchronous loop of `count` operations (`operation(i)` does the i-th) and returns the
 * elapsed milliseconds. Latency is sampled per `batch` operations, so that a clock read per
 * operation does not weigh on operations of a few dozen nanoseconds.
 */
export function timeLoop(
  count: number,
  batch: number,
  latency: LatencyRecorder,
  operation: (index: number) => void,
): number {
  const started = performance.now()
  let batchStarted = started
  for (let i = 0; i < count; i++) {
    operation(i)
    if ((i + 1) % batch === 0 || i === count - 1) {
      const now = performance.now()
      latency.record(now - batchStarted, (i % batch) + 1)
      batchStarted = now
    }
  }
  return performance.now() - started
}

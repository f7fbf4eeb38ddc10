/**
 * Suite commit: how fast durable commits go, per tandemdb commit policy, against the physical
 * limit of the disk (a raw write + fsync loop), better-sqlite3 in WAL mode and lmdb-js. Every
 * system writes on the same disk, in a temporary folder under bench/.data/ removed afterwards.
 *
 * Every commit sets `value = i` (i: the commit's number) on the record with key i % 1,000 of
 * 1,000 preloaded records, so the data stays small however fast a system goes, and a run
 * verifies the sum of the values against the sum of the last 1,000 commit numbers.
 */
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, rmdirSync } from 'node:fs'
import { rmSync, writeSync } from 'node:fs'
import path from 'node:path'
import { setImmediate as setImmediatePromise } from 'node:timers/promises'
import type BetterSqlite3 from 'better-sqlite3'
import type { CommitPolicy } from '../src/txn/commit-hook.js'
import { assert } from '../src/util/assert.js'
import { recordOf } from './dataset.js'
import {
  isSkipped,
  ratioTarget,
  runSuite,
  tryImport,
  type BenchCase,
  type BenchSuite,
  type CaseInstance,
  type HarnessOptions,
  type LatencyRecorder,
  type RunOutcome,
  type Skipped,
} from './harness.js'
import { diskOf, environmentLines, resultTable, targetLines } from './report.js'
import { openTandem, repoRoot, type TandemDatabase } from './tandem.js'

export interface CommitParams {
  /** Records the commits cycle over. */
  readonly records: number
  /** Concurrent committers of the many-committers workload. */
  readonly committers: number
  /** Commits issued before awaiting them, in the burst workload. */
  readonly burst: number
  /** The `delayed` policy's time bound (log.maxCommitDelayMs; its default is 1,000). */
  readonly delayedMaxMs: number
}

const ONE = 'commit, 1 committer'
const MANY = 'commit, 64 committers'
const BURST = 'commit, bursts of 1,000'
const UNAWAITED = 'commit, durable not awaited'

/** The sum of the values left by the last `records` of `commits` commits (i at key i % records). */
export function expectedValueSum(commits: number, records: number): number {
  const from = Math.max(0, commits - records)
  return ((commits - 1 + from) * (commits - from)) / 2
}

/** A folder for one case's files under bench/.data/, removed by the returned function. */
function caseFolder(name: string): { folder: string; remove: () => void } {
  const folder = path.join(repoRoot(), 'bench', '.data', `${process.pid}-${name}`)
  rmSync(folder, { recursive: true, force: true })
  mkdirSync(folder, { recursive: true })
  return { folder, remove: () => rmSync(folder, { recursive: true, force: true }) }
}

/** A system that commits: `commit(i)` writes commit number i; `valueSum` reads back. */
interface Committer {
  commit(i: number): Promise<unknown>
  valueSum(): number
  close(): Promise<void>
}

/**
 * Runs `loops` async committers until the budget is spent, each awaiting its own commit (or
 * burst of `burst` commits) before the next; latency is from the first write of a burst to its
 * last durable, per commit. After each burst the loop lets the event loop turn once, as an
 * application would, so that I/O (a replica in this process, a log write) is not starved by
 * durables that resolve at once.
 */
export async function commitLoops(
  committer: Pick<Committer, 'commit'>,
  first: number,
  loops: number,
  burst: number,
  budgetMs: number,
  latency: LatencyRecorder,
): Promise<{ ops: number; elapsedMs: number }> {
  let next = first
  const started = performance.now()
  const deadline = started + budgetMs
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const issued = performance.now()
      const pending: Promise<unknown>[] = []
      for (let k = 0; k < burst; k++) pending.push(committer.commit(next++))
      await Promise.all(pending)
      latency.record(performance.now() - issued, burst)
      if (burst > 1) await setImmediatePromise()
    }
  }
  await Promise.all(Array.from({ length: loops }, loop))
  return { ops: next - first, elapsedMs: performance.now() - started }
}

/** A case over a Committer; the count of commits carries over from run to run. */
function committerCase(
  workload: string,
  system: string,
  openCommitter: (params: CommitParams, folder: string) => Promise<Committer | Skipped>,
  shape: (params: CommitParams) => { loops: number; burst: number },
  reference = false,
): BenchCase<CommitParams> {
  return {
    workload,
    system,
    reference,
    async open(params) {
      const { folder, remove } = caseFolder(`${workload}-${system}`.replace(/[^a-z0-9]+/gi, '-'))
      const committer = await openCommitter(params, folder).catch((error: unknown) => {
        remove()
        throw error
      })
      if (isSkipped(committer)) {
        remove()
        return committer
      }
      const { loops, burst } = shape(params)
      let commits = 0
      return {
        async run({ budgetMs, latency }): Promise<RunOutcome> {
          const timed = await commitLoops(committer, commits, loops, burst, budgetMs, latency)
          commits += timed.ops
          const expectedChecksum = expectedValueSum(commits, params.records)
          return { ...timed, checksum: committer.valueSum(), expectedChecksum }
        },
        async close() {
          await committer.close()
          remove()
        },
      }
    },
  }
}

/** A tandemdb committer can also commit without reading `durable`, and flush at the end. */
interface TandemCommitter extends Committer {
  write(i: number): void
  flush(): Promise<void>
}

async function tandemCommitter(
  params: CommitParams,
  folder: string,
  policy: CommitPolicy | 'no log',
): Promise<TandemCommitter | Skipped> {
  const log =
    policy === 'no log'
      ? {}
      : { log: { dir: folder, policy, maxCommitDelayMs: params.delayedMaxMs } }
  const db = await openTandem({ memorySize: 64 * 1024 * 1024, ...log })
  if (isSkipped(db)) return db
  db.write((tx) => {
    for (let key = 0; key < params.records; key++) {
      tx.insert('Record', { ...recordOf(key), value: 0 })
    }
  })
  await db.flush()
  const oids = db.read((tx) =>
    Array.from({ length: params.records }, (_, key) => tx.findOid('Record', 'tkey', key)),
  )
  const write = (i: number) => {
    const oid = oids[i % params.records] as number
    return db.write((tx) => tx.update('Record', oid, { value: i }))
  }
  return {
    commit: (i) => write(i).durable,
    write: (i) => void write(i),
    flush: () => db.flush(),
    valueSum: () => tandemValueSum(db),
    close: () => db.close(),
  }
}

function tandemValueSum(db: TandemDatabase): number {
  return db.read((tx) => {
    let sum = 0
    for (const found of tx.range<{ value: number }>('Record', 'tkey', {})) sum += found.value
    return sum
  })
}

type SqliteModule = { default: typeof BetterSqlite3 }

/** better-sqlite3 on a file, WAL journal, synchronous=FULL: each commit is fsynced. */
async function sqliteCommitter(params: CommitParams, folder: string): Promise<Committer | Skipped> {
  const module = await tryImport<SqliteModule>('better-sqlite3')
  if (isSkipped(module)) return module
  const db = new module.default(path.join(folder, 'bench.sqlite'))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.exec('CREATE TABLE record (key INTEGER PRIMARY KEY, name TEXT NOT NULL, value REAL NOT NULL)')
  const insert = db.prepare('INSERT INTO record (key, name, value) VALUES (?, ?, 0)')
  db.transaction(() => {
    for (let key = 0; key < params.records; key++) insert.run(key, recordOf(key).name)
  })()
  const update = db.prepare('UPDATE record SET value = ? WHERE key = ?')
  const commit = db.transaction((i: number) => void update.run(i, i % params.records))
  const sum = db.prepare<[], { total: number }>('SELECT SUM(value) AS total FROM record')
  return {
    commit: async (i) => commit(i),
    valueSum: () => sum.get()?.total ?? 0,
    close: async () => void db.close(),
  }
}

type LmdbModule = typeof import('lmdb')

/** lmdb-js with its defaults (writes committed and synced to disk before a put resolves). */
async function lmdbCommitter(params: CommitParams, folder: string): Promise<Committer | Skipped> {
  const module = await tryImport<LmdbModule>('lmdb')
  if (isSkipped(module)) return module
  const db = module.open<number, number>({ path: path.join(folder, 'bench.lmdb') })
  await db.transaction(() => {
    for (let key = 0; key < params.records; key++) db.put(key, 0)
  })
  return {
    commit: (i) => db.put(i % params.records, i),
    valueSum: () => {
      let sum = 0
      for (const { value } of db.getRange()) sum += value
      return sum
    },
    close: () => db.close(),
  }
}

/**
 * The physical limit: 64-byte records written with fs.writeSync and forced with fs.fsyncSync
 * after every record (or every `every` records), on a fresh file per run.
 */
function rawFsyncCase(system: string, every: number, reference: boolean): BenchCase<CommitParams> {
  return {
    workload: ONE,
    system,
    reference,
    async open() {
      const { folder, remove } = caseFolder(`raw-fsync-${every}`)
      const record = Buffer.alloc(64, 0x5a)
      return {
        async run({ budgetMs, latency, runIndex }): Promise<RunOutcome> {
          const fd = openSync(path.join(folder, `raw-${runIndex}.log`), 'w')
          let ops = 0
          const started = performance.now()
          let batchStarted = started
          while (performance.now() - started < budgetMs || ops % every !== 0) {
            writeSync(fd, record)
            ops++
            if (ops % every !== 0) continue
            fsyncSync(fd)
            const now = performance.now()
            latency.record(now - batchStarted, every)
            batchStarted = now
          }
          const elapsedMs = performance.now() - started
          const size = fstatSync(fd).size
          closeSync(fd)
          return { ops, elapsedMs, checksum: size, expectedChecksum: ops * record.length }
        },
        close: async () => remove(),
      }
    },
  }
}

const POLICIES = ['sync-flush', 'delayed', 'buffered', 'no-sync', 'no log'] as const
type PolicyCase = (typeof POLICIES)[number]

/**
 * Commits whose durable nobody awaits (the use `delayed` is for): writes in batches of
 * `burst`, the event loop turning once between batches, until the budget is spent; then one
 * flush() puts everything on disk. The flush is timed too.
 */
function unawaitedCase(policy: PolicyCase): BenchCase<CommitParams> {
  return {
    workload: UNAWAITED,
    system: `tandemdb ${policy}`,
    reference: policy === 'no log',
    async open(params) {
      const { folder, remove } = caseFolder(`unawaited-${policy.replace(' ', '-')}`)
      const committer = await tandemCommitter(params, folder, policy).catch((error: unknown) => {
        remove()
        throw error
      })
      if (isSkipped(committer)) {
        remove()
        return committer
      }
      let commits = 0
      return {
        async run({ budgetMs, latency }): Promise<RunOutcome> {
          const first = commits
          const started = performance.now()
          while (performance.now() - started < budgetMs) {
            const batchStarted = performance.now()
            for (let k = 0; k < params.burst; k++) committer.write(commits++)
            latency.record(performance.now() - batchStarted, params.burst)
            await setImmediatePromise()
          }
          await committer.flush()
          const elapsedMs = performance.now() - started
          const checksum = committer.valueSum()
          const expectedChecksum = expectedValueSum(commits, params.records)
          return { ops: commits - first, elapsedMs, checksum, expectedChecksum }
        },
        async close() {
          await committer.close()
          remove()
        },
      }
    },
  }
}

function tandemCases(
  workload: string,
  shape: (params: CommitParams) => { loops: number; burst: number },
  referencePolicy?: PolicyCase,
): BenchCase<CommitParams>[] {
  return POLICIES.map((policy) =>
    committerCase(
      workload,
      `tandemdb ${policy}`,
      (params, folder) => tandemCommitter(params, folder, policy),
      shape,
      policy === referencePolicy,
    ),
  )
}

const one = (): { loops: number; burst: number } => ({ loops: 1, burst: 1 })
const many = (params: CommitParams): { loops: number; burst: number } => ({
  loops: params.committers,
  burst: 1,
})
const bursts = (params: CommitParams): { loops: number; burst: number } => ({
  loops: 1,
  burst: params.burst,
})

/** The commit suite (issue 3). */
export const commitSuite: BenchSuite<CommitParams> = {
  name: 'commit',
  title: 'Commit: durable commits per policy',
  params: {
    records: [100, 1_000],
    committers: [4, 64],
    burst: [10, 1_000],
    delayedMaxMs: [20, 1_000],
  },
  cases: [
    rawFsyncCase('raw write+fsync (64 B)', 1, true),
    rawFsyncCase('raw write+fsync every 10 (64 B)', 10, false),
    ...tandemCases(ONE, one),
    committerCase(ONE, 'better-sqlite3 WAL synchronous=FULL', sqliteCommitter, one),
    committerCase(ONE, 'lmdb-js put, awaited one at a time', lmdbCommitter, one),
    committerCase(MANY, 'lmdb-js burst', lmdbCommitter, bursts, true),
    ...tandemCases(MANY, many),
    ...tandemCases(BURST, bursts, 'no log'),
    committerCase(BURST, 'lmdb-js burst', lmdbCommitter, bursts),
    ...POLICIES.map((policy) => unawaitedCase(policy)),
  ],
  targets: [
    ratioTarget('sync-flush, 1 committer >= 0.95x raw write+fsync', ONE, 'tandemdb sync-flush',
      'raw write+fsync (64 B)', 0.95),
    ratioTarget('sync-flush, 64 committers >= lmdb-js burst', MANY, 'tandemdb sync-flush',
      'lmdb-js burst', 1),
    ratioTarget('delayed >= 0.5x no log (durable not awaited)', UNAWAITED, 'tandemdb delayed',
      'tandemdb no log', 0.5),
  ],
  notes: [
    'A commit: value = i on the record with key i % 1,000 (1,000 records preloaded).',
    '1 committer: one async loop, write() then await its durable, then the next.',
    '64 committers: 64 async loops, each awaiting its own durable before its next write.',
    'bursts: write 1,000 commits, then await all their durables (lmdb-js: 1,000 puts, then ' +
      'await them; the lmdb-js burst row of the 64-committers table is the same measurement).',
    'durable not awaited: batches of 1,000 writes without reading `durable`, the event loop ' +
      'turning once between batches, then one flush() at the end (timed); p50/p99 per write.',
    'p50/p99: from write() to durable resolved (per commit; for bursts, the burst time / 1,000).',
    'delayed with its defaults (flush at 64 KiB unflushed or 1,000 ms): an awaited durable ' +
      'waits for one of the two.',
    'raw write+fsync: fs.writeSync of 64 bytes then fs.fsyncSync, per record (or per 10).',
    'better-sqlite3: journal_mode=WAL, synchronous=FULL, one UPDATE per db.transaction().',
  ],
}

/** Runs the commit suite; returns its markdown section. */
export async function commitSuiteRun(options: HarnessOptions, command: string): Promise<string> {
  const dataRoot = path.join(repoRoot(), 'bench', '.data')
  mkdirSync(dataRoot, { recursive: true })
  const disk = diskOf(dataRoot)
  const results = await runSuite(commitSuite, options)
  assert(results.length === commitSuite.cases.length, 'one row per case')
  // Every case removed its own folder; the root goes too unless another run still uses it.
  try {
    rmdirSync(dataRoot)
  } catch {
    // Not empty: another benchmark or test run has folders there.
  }
  return [
    `## ${commitSuite.title}`,
    '',
    ...environmentLines(command, [
      `- disk (bench/.data): ${disk}`,
      `- runs: 1 warm-up + ${options.runs} measured per case of ${options.budgetMs} ms, ` +
        'interleaved; the median run counts',
    ]),
    '',
    resultTable(results),
    '',
    '### Targets (same run)',
    '',
    ...targetLines(results, commitSuite.targets),
    '',
    '### How each case runs',
    '',
    ...commitSuite.notes.map((note) => `- ${note}`),
  ].join('\n')
}

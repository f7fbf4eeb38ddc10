/**
 * Suite replication: commits that a replica must hear of, on the loopback. References: the
 * ceiling of one message in flight (a raw TCP ping-pong of 64-byte messages) and Redis with a
 * replica (SET + WAIT 1 0 one at a time; pipelined SETs).
 */
import { fork } from 'node:child_process'
import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { TandemError } from '../src/errors.js'
import { assert } from '../src/util/assert.js'
import { commitLoops, expectedValueSum } from './commit.bench.js'
import { openHaPair, type HaChannel, type HaPair, type HaSetup } from './ha-pair.js'
import {
  isSkipped,
  ratioTarget,
  runSuite,
  type BenchCase,
  type BenchSuite,
  type HarnessOptions,
  type LatencyRecorder,
  type RunOutcome,
  type Target,
} from './harness.js'
import { startRedisPair, type RedisPair } from './redis-process.js'
import { environmentLines, resultTable, targetLines } from './report.js'
import type { RespClient } from './resp-client.js'

export interface ReplicationParams {
  /** Keys the writes cycle over (value i at key i % keys). */
  readonly keys: number
  /** Commands per pipelined batch (Redis) and commits per burst (tandemdb). */
  readonly batch: number
  /** Concurrent committers of the many-committers case. */
  readonly committers: number
  /** Commits per second of the paced case. */
  readonly pacedRate: number
}

const ONE_IN_FLIGHT = 'one commit in flight'
const THROUGHPUT = 'many commits in flight'
const PACED = 'paced commits'
const MESSAGE_BYTES = 64

interface EchoPair {
  readonly client: net.Socket
  close(): Promise<void>
}

/**
 * An echo server in a child process (the far end is in another process, as the tandemdb
 * replica is) and a client connected to it on the loopback, Nagle off on both ends.
 */
function openEchoPair(): Promise<EchoPair> {
  const file = fileURLToPath(new URL('./echo-child.js', import.meta.url))
  const child = fork(file, [], { execArgv: [] })
  const close = async (): Promise<void> => {
    if (child.exitCode !== null) return
    const exited = new Promise((done) => child.once('exit', done))
    child.disconnect()
    await exited
  }
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      reject(new TandemError('TDB_STOPPED', `the echo process exited (${code})`))
    })
    child.once('message', ({ port }: { port: number }) => {
      const client = net.connect({ host: '127.0.0.1', port }, () => {
        resolve({
          client,
          close: async () => {
            client.destroy()
            await close()
          },
        })
      })
      client.setNoDelay(true)
      client.once('error', reject)
    })
  })
}

/**
 * Sends one 64-byte message (its number in the first 4 bytes), waits for all 64 bytes back,
 * then sends the next, until the budget is spent. The checksum sums the numbers echoed.
 */
function pingPong(
  client: net.Socket,
  budgetMs: number,
  latency: { record(ms: number): void },
): Promise<RunOutcome> {
  return new Promise((resolve) => {
    const message = Buffer.alloc(MESSAGE_BYTES)
    let received: Buffer = Buffer.alloc(0)
    let ops = 0
    let checksum = 0
    const started = performance.now()
    let sent = started
    const send = (): void => {
      message.writeUInt32LE(ops, 0)
      sent = performance.now()
      client.write(message)
    }
    const onData = (chunk: Buffer): void => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk])
      if (received.length < MESSAGE_BYTES) return
      assert(received.length === MESSAGE_BYTES, 'the echo of one message in flight')
      const now = performance.now()
      latency.record(now - sent)
      checksum += received.readUInt32LE(0)
      received = Buffer.alloc(0)
      ops++
      if (now - started < budgetMs) return send()
      client.off('data', onData)
      const expectedChecksum = ((ops - 1) * ops) / 2
      resolve({ ops, elapsedMs: now - started, checksum, expectedChecksum })
    }
    client.on('data', onData)
    send()
  })
}

function pingPongCase(): BenchCase<ReplicationParams> {
  return {
    workload: ONE_IN_FLIGHT,
    system: 'raw TCP ping-pong, 64 B',
    reference: true,
    async open() {
      const pair = await openEchoPair()
      return {
        run: ({ budgetMs, latency }) => pingPong(pair.client, budgetMs, latency),
        close: () => pair.close(),
      }
    },
  }
}

/** Waits for the replica, then reads the values of every key on it. */
async function replicaValueSum(pair: RedisPair, keys: number): Promise<number> {
  const acknowledged = await pair.master.command('WAIT', 1, 5_000)
  assert(acknowledged === 1, `the Redis replica did not acknowledge (WAIT said ${acknowledged})`)
  const names = Array.from({ length: keys }, (_, key) => `bench:${key}`)
  const values = await pair.replica.command('MGET', ...names)
  assert(Array.isArray(values), 'MGET returns an array')
  return values.reduce<number>((sum, value) => sum + (value === null ? 0 : Number(value)), 0)
}

/** SET of commit i (value i at key i % keys), then WAIT 1 0 for the replica, one at a time. */
async function setAndWait(master: RespClient, i: number, keys: number): Promise<void> {
  const [stored, acknowledged] = await master.send([
    ['SET', `bench:${i % keys}`, i],
    ['WAIT', 1, 0],
  ])
  assert(stored === 'OK' && acknowledged === 1, `Redis SET + WAIT failed: ${stored}`)
}

/** `count` pipelined SETs from commit `first`, in one write. */
async function pipelinedSets(master: RespClient, first: number, count: number, keys: number) {
  const commands = Array.from({ length: count }, (_, k) => [
    'SET',
    `bench:${(first + k) % keys}`,
    first + k,
  ])
  const replies = await master.send(commands)
  assert(replies.every((reply) => reply === 'OK'), 'a pipelined Redis SET failed')
}

function redisCase(
  workload: string,
  system: string,
  reference: boolean,
  step: (master: RespClient, first: number, params: ReplicationParams) => Promise<number>,
): BenchCase<ReplicationParams> {
  return {
    workload,
    system,
    reference,
    async open(params) {
      const pair = await startRedisPair()
      if (isSkipped(pair)) return pair
      let commits = 0
      return {
        async run({ budgetMs, latency }): Promise<RunOutcome> {
          const first = commits
          const started = performance.now()
          let now = started
          while (now - started < budgetMs) {
            const done = await step(pair.master, commits, params)
            const stepEnded = performance.now()
            latency.record(stepEnded - now, done)
            commits += done
            now = stepEnded
          }
          const elapsedMs = now - started
          const checksum = await replicaValueSum(pair, params.keys)
          const expectedChecksum = expectedValueSum(commits, params.keys)
          return { ops: commits - first, elapsedMs, checksum, expectedChecksum }
        },
        close: () => pair.stop(),
      }
    },
  }
}

/** How a tandemdb case commits, from commit number `first` until the budget is spent. */
type Drive = (
  pair: HaPair,
  first: number,
  params: ReplicationParams,
  budgetMs: number,
  latency: LatencyRecorder,
) => Promise<{ ops: number; elapsedMs: number }>

/** `loops` async loops, each writing `burst` commits then awaiting their durables. */
function loops(shape: (params: ReplicationParams) => { loops: number; burst: number }): Drive {
  return (pair, first, params, budgetMs, latency) => {
    const { loops: count, burst } = shape(params)
    return commitLoops(pair, first, count, burst, budgetMs, latency)
  }
}

/**
 * Commits at `pacedRate` per second: every millisecond, the commits due by then are written
 * and their durables awaited; the lag then shows what a replica adds when it keeps up.
 */
const paced: Drive = async (pair, first, { pacedRate }, budgetMs, latency) => {
  const started = performance.now()
  let next = first
  for (let now = started; now - started < budgetMs; now = performance.now()) {
    const due = first + Math.floor(((now - started) * pacedRate) / 1000)
    if (due > next) {
      const pending: Promise<unknown>[] = []
      for (; next < due; next++) pending.push(pair.commit(next))
      await Promise.all(pending)
      latency.record(performance.now() - now, pending.length)
    }
    await sleep(1)
  }
  return { ops: next - first, elapsedMs: performance.now() - started }
}

/** One tandemdb case: a master and a replica in `setup` over `channel`, committing by `drive`. */
function tandemCase(
  workload: string,
  system: string,
  channel: HaChannel,
  setup: HaSetup,
  drive: Drive,
): BenchCase<ReplicationParams> {
  return {
    workload,
    system: `${system} (${channel})`,
    async open(params) {
      const pair = await openHaPair(channel, setup, params.keys)
      if (isSkipped(pair)) return pair
      let commits = 0
      return {
        async run({ budgetMs, latency, lag }): Promise<RunOutcome> {
          pair.recordLagInto(lag)
          const timed = await drive(pair, commits, params, budgetMs, latency)
          commits += timed.ops
          const checksum = await pair.replicaValueSum()
          return { ...timed, checksum, expectedChecksum: expectedValueSum(commits, params.keys) }
        },
        close: () => pair.close(),
      }
    },
  }
}

const CHANNELS: readonly HaChannel[] = ['tcp', 'udp', 'pipe']
const SYNC_1 = 'tandemdb sync, window 1'
const SYNC_100 = 'tandemdb sync, window 100'
const SYNC_MANY = 'tandemdb sync, window 1, 64 committers'
const ASYNC = 'tandemdb async'
const sync1: HaSetup = { mode: 'sync', windowSize: 1 }
const one = loops(() => ({ loops: 1, burst: 1 }))
const many = loops(({ committers }) => ({ loops: committers, burst: 1 }))
const bursts = loops(({ batch }) => ({ loops: 1, burst: batch }))
const async1: HaSetup = { mode: 'async', windowSize: 1 }

function tandemCases(): BenchCase<ReplicationParams>[] {
  return [
    ...CHANNELS.map((channel) => tandemCase(ONE_IN_FLIGHT, SYNC_1, channel, sync1, one)),
    ...CHANNELS.map((channel) => tandemCase(THROUGHPUT, SYNC_MANY, channel, sync1, many)),
    ...CHANNELS.map((channel) =>
      tandemCase(THROUGHPUT, SYNC_100, channel, { mode: 'sync', windowSize: 100 }, bursts),
    ),
    ...CHANNELS.map((channel) => tandemCase(THROUGHPUT, ASYNC, channel, async1, bursts)),
    ...CHANNELS.map((channel) => tandemCase(PACED, ASYNC, channel, async1, paced)),
  ]
}

function replicationTargets(): Target[] {
  const ping = 'raw TCP ping-pong, 64 B'
  return [
    ...CHANNELS.map((channel) =>
      ratioTarget(`sync window 1 (${channel}) >= 0.6x ping-pong`, ONE_IN_FLIGHT,
        `${SYNC_1} (${channel})`, ping, 0.6),
    ),
    ...CHANNELS.map((channel) =>
      ratioTarget(`async (${channel}) >= 2x Redis pipelined`, THROUGHPUT, `${ASYNC} (${channel})`,
        'Redis pipelined SET', 2),
    ),
    ...CHANNELS.map((channel) => ({
      label: `async (${channel}) replica lag p99 <= 10 ms`,
      subject: { workload: THROUGHPUT, system: `${ASYNC} (${channel})` },
      maxLagP99Ms: 10,
    })),
    ...CHANNELS.map((channel) => ({
      label: `window 100 (${channel}) >= 10x window 1 (one in flight)`,
      subject: { workload: THROUGHPUT, system: `${SYNC_100} (${channel})` },
      base: { workload: ONE_IN_FLIGHT, system: `${SYNC_1} (${channel})` },
      minRatio: 10,
    })),
  ]
}

/** The replication suite (issue 4). */
export const replicationSuite: BenchSuite<ReplicationParams> = {
  name: 'replication',
  title: 'Replication: commits a replica hears of, on the loopback',
  params: {
    keys: [100, 1_000],
    batch: [100, 1_000],
    committers: [4, 64],
    pacedRate: [1_000, 10_000],
  },
  cases: [
    pingPongCase(),
    redisCase(ONE_IN_FLIGHT, 'Redis SET + WAIT 1 0', false, async (master, i, { keys }) => {
      await setAndWait(master, i, keys)
      return 1
    }),
    redisCase(THROUGHPUT, 'Redis pipelined SET', true, async (master, first, { keys, batch }) => {
      await pipelinedSets(master, first, batch, keys)
      return batch
    }),
    ...tandemCases(),
  ],
  targets: replicationTargets(),
  notes: [
    'raw TCP ping-pong: node:net on 127.0.0.1, Nagle off, one 64-byte message in flight, ' +
      'the echoing end in a child process (as the tandemdb replica is).',
    'Redis: redis-server master and replica (--replicaof) on 127.0.0.1, --save \'\' ' +
      '--appendonly no; a tiny RESP client over node:net.',
    'Redis SET + WAIT 1 0: both commands in one write, the next after both replies.',
    'Redis pipelined SET: batches of 1,000 SETs in one write, the next batch after the ' +
      'replies; p50/p99 are per SET (batch time / 1,000).',
    'Every run ends by waiting for the replica (Redis: WAIT 1 5000) and checking the values ' +
      'it holds against the values the commits wrote.',
    'tandemdb: the master (Database + HaMaster) in the benchmark process, the replica ' +
      '(Database + HaReplica) in a child process of its own, linked over :tcp:127.0.0.1, ' +
      ':udp:127.0.0.1 or :pipe: (a Unix socket); a commit is value = i on one of 1,000 ' +
      'records; p50/p99: write() to durable resolved.',
    'tandemdb sync, window 1: one async loop awaiting each durable; 64 committers: 64 such ' +
      'loops; window 100 and async: bursts of 1,000 writes, then await their durables ' +
      '(the event loop turns once between bursts).',
    'paced: the async master at 10,000 commits/s, written each millisecond as they fall ' +
      'due (no reference: it shows the lag of a replica that keeps up; no target).',
    'replica lag: from write() returning on the master to the replica\'s commit hook ' +
      'hearing the same seq, on the wall clock of each process (performance.timeOrigin + ' +
      'now()), lined up by the IPC round trip that disagreed least (of 20).',
  ],
}

/** Runs the replication suite; returns its markdown section. */
export async function replicationSuiteRun(
  options: HarnessOptions,
  command: string,
): Promise<string> {
  const results = await runSuite(replicationSuite, options)
  return [
    `## ${replicationSuite.title}`,
    '',
    ...environmentLines(command, [
      `- runs: 1 warm-up + ${options.runs} measured per case of ${options.budgetMs} ms, ` +
        'interleaved; the median run counts',
    ]),
    '',
    resultTable(results),
    '',
    '### Targets (same run)',
    '',
    ...targetLines(results, replicationSuite.targets),
    '',
    '### How each case runs',
    '',
    ...replicationSuite.notes.map((note) => `- ${note}`),
  ].join('\n')
}

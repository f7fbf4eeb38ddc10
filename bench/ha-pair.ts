/**
 * A tandemdb master (in this process) and one replica (in a child process, ha-replica-child.ts,
 * so that it runs on a core of its own as a real replica would) for the replication benchmark,
 * linked over the loopback by a tcp, udp or pipe channel. The lag of a commit runs from the
 * master's write() returning (the commit is applied there) to the replica having applied it;
 * the two clocks are lined up by the round trip over IPC that disagrees least.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { TandemError } from '../src/errors.js'
import { assert } from '../src/util/assert.js'
import { recordOf } from './dataset.js'
import { isSkipped, wallNowMs, type LatencyRecorder, type Skipped } from './harness.js'
import type { ReplicaMessage, ReplicaRequest } from './ha-replica-child.js'
import { openTandem, tandemModule } from './tandem.js'

export type HaChannel = 'tcp' | 'udp' | 'pipe'

/** The replication mode of the master. */
export interface HaSetup {
  readonly mode: 'sync' | 'async'
  readonly windowSize: number
}

/** A linked master and replica holding `records` records of the bench class. */
export interface HaPair {
  /** Commit i on the master: value = i on the record with key i % records; resolves durable. */
  commit(i: number): Promise<unknown>
  /** Where the lag of the commits from now on is recorded (when the replica is asked). */
  recordLagInto(recorder: LatencyRecorder): void
  /** Waits until the replica applied every master commit; records lags; sums its values. */
  replicaValueSum(): Promise<number>
  close(): Promise<void>
}

type MasterModule = typeof import('../src/node/ha-master.js')

const MEMORY_BYTES = 64 * 1024 * 1024
const CLOCK_PINGS = 20
const STOP_TIMEOUT_MS = 10_000
const CATCH_UP_TIMEOUT_MS = 60_000
let pipeCount = 0

function listenAddress(channel: HaChannel): { address: string; cleanup: () => void } {
  if (channel !== 'pipe') return { address: `:${channel}:127.0.0.1:0`, cleanup: () => undefined }
  const file = path.join(os.tmpdir(), `tandemdb-bench-${process.pid}-${pipeCount++}.sock`)
  rmSync(file, { force: true })
  return { address: `:pipe:${file}`, cleanup: () => rmSync(file, { force: true }) }
}

/** The replica child: requests answered in order, one at a time. */
class ReplicaProcess {
  readonly #child: ChildProcess
  readonly #replies: ((message: ReplicaMessage) => void)[] = []

  private constructor(child: ChildProcess) {
    this.#child = child
    child.on('message', (message: ReplicaMessage) => this.#replies.shift()?.(message))
  }

  /** Forks the replica and waits until it is attached and synced (or says why it cannot be). */
  static start(address: string): Promise<ReplicaProcess | Skipped> {
    const file = fileURLToPath(new URL('./ha-replica-child.js', import.meta.url))
    const child = fork(file, [address], { serialization: 'advanced', execArgv: [] })
    return new Promise((resolve, reject) => {
      const exited = (code: number | null): void => {
        reject(new TandemError('TDB_STOPPED', `the replica process exited (${code}) before sync`))
      }
      child.once('exit', exited)
      child.once('message', (message: ReplicaMessage) => {
        child.off('exit', exited)
        if (message.type === 'skipped') resolve({ skipped: message.reason })
        else resolve(new ReplicaProcess(child))
      })
    })
  }

  /** Sends a request; its answer, or TDB_TIMEOUT after `timeoutMs`. */
  request(request: ReplicaRequest, timeoutMs = STOP_TIMEOUT_MS): Promise<ReplicaMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const message = `the replica did not answer '${request.type}' within ${timeoutMs} ms`
        reject(new TandemError('TDB_TIMEOUT', message))
      }, timeoutMs)
      this.#replies.push((reply) => {
        clearTimeout(timer)
        resolve(reply)
      })
      this.#child.send(request)
    })
  }

  /** The replica's clock minus this one, from the IPC round trip that took least. */
  async clockOffsetMs(): Promise<number> {
    let best = { roundTripMs: Infinity, offsetMs: 0 }
    for (let i = 0; i < CLOCK_PINGS; i++) {
      const sent = wallNowMs()
      const reply = await this.request({ type: 'clock' })
      const received = wallNowMs()
      assert(reply.type === 'clock', 'the replica answers a clock request with its clock')
      if (received - sent < best.roundTripMs) {
        best = { roundTripMs: received - sent, offsetMs: reply.nowMs - (sent + received) / 2 }
      }
    }
    return best.offsetMs
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return
    const exited = new Promise((resolve) => this.#child.once('exit', resolve))
    this.#child.send({ type: 'stop' } satisfies ReplicaRequest)
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), STOP_TIMEOUT_MS)
    await exited
    clearTimeout(timer)
  }
}

/** When the master committed each seq (wall clock, ms), for seqs from `firstSeq` on. */
class CommitTimes {
  readonly #firstSeq: number
  #times = new Float64Array(1 << 16)

  constructor(firstSeq: number) {
    this.#firstSeq = firstSeq
  }

  committed(seq: number): void {
    const index = seq - this.#firstSeq
    while (index >= this.#times.length) {
      const grown = new Float64Array(this.#times.length * 2)
      grown.set(this.#times)
      this.#times = grown
    }
    this.#times[index] = wallNowMs()
  }

  /** The commit time of `seq`, or undefined for seqs this process did not time. */
  of(seq: number): number | undefined {
    const time = this.#times[seq - this.#firstSeq]
    return time === undefined || time === 0 ? undefined : time
  }
}

/** Opens a master with `records` records, starts a replica process over `channel`, syncs. */
export async function openHaPair(
  channel: HaChannel,
  setup: HaSetup,
  records: number,
): Promise<HaPair | Skipped> {
  const masterModule = await tandemModule<MasterModule>('node/ha-master.js')
  if (isSkipped(masterModule)) return masterModule
  const master = await openTandem({ memorySize: MEMORY_BYTES })
  if (isSkipped(master)) return master
  master.write((tx) => {
    for (let key = 0; key < records; key++) tx.insert('Record', { ...recordOf(key), value: 0 })
  })
  const oids = master.read((tx) =>
    Array.from({ length: records }, (_, key) => tx.findOid('Record', 'tkey', key) as number),
  )
  const { address, cleanup } = listenAddress(channel)
  const ha = await masterModule.HaMaster.start(master, { listen: address, ...setup }).catch(
    async (error: unknown) => {
      await master.close()
      cleanup()
      throw error
    },
  )
  const closeMaster = async (): Promise<void> => {
    await ha.stop()
    await master.close()
    cleanup()
  }
  const replica = await ReplicaProcess.start(ha.addresses[0] as string).catch(async (error) => {
    await closeMaster()
    throw error
  })
  if (isSkipped(replica)) {
    await closeMaster()
    return replica
  }
  const offsetMs = await replica.clockOffsetMs()
  const times = new CommitTimes(Number(master.getSequencer()) + 1)
  let lag: LatencyRecorder | null = null
  return {
    commit(i) {
      const oid = oids[i % records] as number
      const result = master.write((tx) => tx.update('Record', oid, { value: i }))
      times.committed(Number(result.seq))
      return result.durable
    },
    recordLagInto: (recorder) => (lag = recorder),
    async replicaValueSum() {
      const seq = Number(master.getSequencer())
      const request = { type: 'collect', seq, timeoutMs: CATCH_UP_TIMEOUT_MS } as const
      const reply = await replica.request(request, CATCH_UP_TIMEOUT_MS + STOP_TIMEOUT_MS)
      if (reply.type === 'behind') {
        const message = `the replica did not catch up in ${CATCH_UP_TIMEOUT_MS} ms: ${reply.status}`
        throw new TandemError('TDB_TIMEOUT', message)
      }
      assert(reply.type === 'collected', 'the replica answers a collect with what it applied')
      for (let i = 0; i < reply.applied.length; i += 2) {
        const committedAt = times.of(reply.applied[i] as number)
        const appliedAt = (reply.applied[i + 1] as number) - offsetMs
        if (committedAt !== undefined) lag?.record(appliedAt - committedAt)
      }
      return reply.sum
    },
    async close() {
      // The master detaches the replica while it still runs (a replica that just exited
      // would leave a udp master waiting out its detach timeout).
      await closeMaster()
      await replica.stop()
    },
  }
}

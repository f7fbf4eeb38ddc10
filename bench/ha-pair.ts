/**
 * A tandemdb master and one replica for the replication benchmark, both in this process,
 * linked over the loopback by a tcp, udp or pipe channel. A commit hook on the replica measures
 * the lag of every commit: from the master's write() returning (the commit is applied there)
 * to the replica having applied it.
 */
import { rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { assert } from '../src/util/assert.js'
import { recordOf } from './dataset.js'
import { isSkipped, type LatencyRecorder, type Skipped } from './harness.js'
import { openTandem, tandemModule, type TandemDatabase } from './tandem.js'

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
  /** Where the lag of the next commits the replica applies is recorded. */
  recordLagInto(recorder: LatencyRecorder): void
  /** Waits until the replica applied every master commit; sums the values it holds. */
  replicaValueSum(): Promise<number>
  close(): Promise<void>
}

type MasterModule = typeof import('../src/node/ha-master.js')
type ReplicaModule = typeof import('../src/node/ha-replica.js')

const CATCH_UP_TIMEOUT_MS = 30_000
const MEMORY_BYTES = 64 * 1024 * 1024
let pipeCount = 0

function listenAddress(channel: HaChannel): { address: string; cleanup: () => void } {
  if (channel !== 'pipe') return { address: `:${channel}:127.0.0.1:0`, cleanup: () => undefined }
  const file = path.join(os.tmpdir(), `tandemdb-bench-${process.pid}-${pipeCount++}.sock`)
  rmSync(file, { force: true })
  return { address: `:pipe:${file}`, cleanup: () => rmSync(file, { force: true }) }
}

async function preloaded(records: number): Promise<TandemDatabase | Skipped> {
  const db = await openTandem({ memorySize: MEMORY_BYTES })
  if (isSkipped(db)) return db
  db.write((tx) => {
    for (let key = 0; key < records; key++) tx.insert('Record', { ...recordOf(key), value: 0 })
  })
  return db
}

/** Tracks what the replica applied and when, against when the master committed it. */
class LagTracker {
  readonly #committedAt = new Map<bigint, number>()
  #recorder: LatencyRecorder | null = null
  #appliedSeq = 0n
  #waiter: { seq: bigint; resolve: () => void } | null = null

  committed(seq: bigint): void {
    this.#committedAt.set(seq, performance.now())
  }

  applied(seq: bigint): void {
    this.#appliedSeq = seq
    const committedAt = this.#committedAt.get(seq)
    if (committedAt !== undefined) {
      this.#committedAt.delete(seq)
      this.#recorder?.record(performance.now() - committedAt)
    }
    if (this.#waiter !== null && seq >= this.#waiter.seq) this.#waiter.resolve()
  }

  recordInto(recorder: LatencyRecorder): void {
    this.#recorder = recorder
  }

  async caughtUp(seq: bigint): Promise<void> {
    if (this.#appliedSeq >= seq) return
    let timer: NodeJS.Timeout | undefined
    const reached = new Promise<boolean>((resolve) => {
      this.#waiter = { seq, resolve: () => resolve(true) }
      timer = setTimeout(() => resolve(false), CATCH_UP_TIMEOUT_MS)
    })
    const ok = await reached
    clearTimeout(timer)
    this.#waiter = null
    assert(ok, `the replica stopped at seq ${this.#appliedSeq}, the master is at ${seq}`)
  }
}

function valueSum(db: TandemDatabase): number {
  return db.read((tx) => {
    let sum = 0
    for (const found of tx.range<{ value: number }>('Record', 'tkey', {})) sum += found.value
    return sum
  })
}

/** Opens a master with `records` records, attaches a replica over `channel`, waits for sync. */
export async function openHaPair(
  channel: HaChannel,
  setup: HaSetup,
  records: number,
): Promise<HaPair | Skipped> {
  const masterModule = await tandemModule<MasterModule>('node/ha-master.js')
  if (isSkipped(masterModule)) return masterModule
  const replicaModule = await tandemModule<ReplicaModule>('node/ha-replica.js')
  if (isSkipped(replicaModule)) return replicaModule
  const master = await preloaded(records)
  if (isSkipped(master)) return master
  const oids = master.read((tx) =>
    Array.from({ length: records }, (_, key) => tx.findOid('Record', 'tkey', key) as number),
  )
  const { address, cleanup } = listenAddress(channel)
  const ha = await masterModule.HaMaster.start(master, { listen: address, ...setup })
  const replicaDb = await openTandem({ memorySize: MEMORY_BYTES })
  assert(!isSkipped(replicaDb), 'the replica opens as the master did')
  const lag = new LagTracker()
  replicaDb.engine.addHook({
    name: 'bench-lag',
    onCommit: (record) => {
      if (record.origin === 'replicated') lag.applied(record.seq)
    },
  })
  const replica = await replicaModule.HaReplica.attach(replicaDb, ha.addresses[0] as string)
  await replica.synced
  return {
    commit(i) {
      const oid = oids[i % records] as number
      const result = master.write((tx) => tx.update('Record', oid, { value: i }))
      lag.committed(result.seq)
      return result.durable
    },
    recordLagInto: (recorder) => lag.recordInto(recorder),
    async replicaValueSum() {
      await lag.caughtUp(master.getSequencer())
      return valueSum(replicaDb)
    },
    async close() {
      await replica.stop()
      await ha.stop()
      await replicaDb.close()
      await master.close()
      cleanup()
    },
  }
}

/**
 * The replica of the replication benchmark, in a process of its own (as a replica runs on a
 * machine of its own): `fork(ha-replica-child.js, [connectionString])`. It opens a database of
 * the bench schema, attaches to the master, and notes when it applied each commit. The parent
 * asks over IPC:
 * - `{ type: 'clock' }` → `{ type: 'clock', nowMs }` (to line this clock up with its own);
 * - `{ type: 'collect', seq, timeoutMs }` → once seq is applied: `{ type: 'collected',
 *   applied, sum }`, `applied` holding [seq, time] pairs since the last collect, `sum` the sum
 *   of the values; or, after timeoutMs, `{ type: 'behind', status }` saying where it stands;
 * - `{ type: 'stop' }` → detaches, closes, exits.
 */
import { assert } from '../src/util/assert.js'
import { isSkipped, wallNowMs } from './harness.js'
import { openTandem, tandemModule } from './tandem.js'

type ReplicaModule = typeof import('../src/node/ha-replica.js')

/** A request from the parent. */
export type ReplicaRequest =
  | { readonly type: 'clock' }
  | { readonly type: 'collect'; readonly seq: number; readonly timeoutMs: number }
  | { readonly type: 'stop' }

/** A message to the parent. */
export type ReplicaMessage =
  | { readonly type: 'synced' }
  | { readonly type: 'skipped'; readonly reason: string }
  | { readonly type: 'clock'; readonly nowMs: number }
  | { readonly type: 'collected'; readonly applied: Float64Array; readonly sum: number }
  /** The replica did not reach the seq in time: where it stands, and why if its session ended. */
  | { readonly type: 'behind'; readonly status: string }

const MEMORY_BYTES = 64 * 1024 * 1024

function send(message: ReplicaMessage): void {
  assert(process.send !== undefined, 'the replica child runs under fork()')
  process.send(message)
}

async function main(address: string): Promise<void> {
  const module = await tandemModule<ReplicaModule>('node/ha-replica.js')
  const db = await openTandem({ memorySize: MEMORY_BYTES })
  if (isSkipped(module)) return send({ type: 'skipped', reason: module.skipped })
  if (isSkipped(db)) return send({ type: 'skipped', reason: db.skipped })
  let applied: number[] = []
  let appliedSeq = 0
  let waiting: { seq: number; reply: () => void } | null = null
  db.engine.addHook({
    name: 'bench-applied',
    onCommit: (record) => {
      if (record.origin !== 'replicated') return
      appliedSeq = Number(record.seq)
      applied.push(appliedSeq, wallNowMs())
      if (waiting !== null && appliedSeq >= waiting.seq) waiting.reply()
    },
  })
  const replica = await module.HaReplica.attach(db, address)
  await replica.synced
  let stopped: string | null = null
  void replica.stopped.then((info) => {
    stopped = info.code === null ? info.name : `${info.name} (${info.code})`
  })
  const behind = (seq: number): void => {
    waiting = null
    const { state, appliedSeq: seqApplied, receivedSeq } = replica.status()
    const session = stopped === null ? `state ${state}` : `session ended: ${stopped}`
    const status = `applied ${seqApplied}, received ${receivedSeq} of ${seq}; ${session}`
    send({ type: 'behind', status })
  }
  let waitTimer: NodeJS.Timeout | undefined
  const collected = (): void => {
    clearTimeout(waitTimer)
    waiting = null
    let sum = 0
    db.read((tx) => {
      for (const found of tx.range<{ value: number }>('Record', 'tkey', {})) sum += found.value
    })
    send({ type: 'collected', applied: Float64Array.from(applied), sum })
    applied = []
  }
  process.on('message', (request: ReplicaRequest) => {
    if (request.type === 'clock') send({ type: 'clock', nowMs: wallNowMs() })
    else if (request.type === 'collect') {
      if (appliedSeq >= request.seq) return collected()
      waiting = { seq: request.seq, reply: collected }
      waitTimer = setTimeout(() => behind(request.seq), request.timeoutMs)
    } else {
      void (async () => {
        await replica.stop()
        await db.close()
        process.exit(0)
      })()
    }
  })
  // The parent going away ends the replica too.
  process.on('disconnect', () => process.exit(0))
  send({ type: 'synced' })
}

await main(process.argv[2] ?? '')

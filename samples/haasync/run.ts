/**
 * haasync: asynchronous replication (eXtremeDB sample haasync). Starts an async master and two
 * replicas as separate processes; the replicas load the database, then apply asynchronously
 * while the master keeps creating and deleting objects. Checks that once the master stopped
 * writing and the replicas caught up, their content hash equals the master's.
 */
import { runSample, waitUntil } from '../common/runner.js'
import type { SampleProcess } from '../common/runner.js'

const RECORDS = 1000
const TRANSACTIONS = 4000

await runSample('haasync', import.meta.url, 20_000, async (run) => {
  const master = run.fork('master', 'master.js', { listen: ':tcp:127.0.0.1:0', records: RECORDS })
  const ready = await master.event('ready')
  const address = (ready.addresses as string[])[0] as string

  const replicas: SampleProcess[] = []
  for (const name of ['replica 1', 'replica 2']) {
    replicas.push(run.fork(name, 'replica.js', { name, connect: address }))
  }
  await Promise.all(replicas.map((replica) => replica.event('synced')))

  const written = await master.request<{ seq: bigint; hash: string }>(
    'churn',
    { count: TRANSACTIONS },
    15_000,
  )
  for (const replica of replicas) {
    await waitUntil(`${replica.name} catches up`, async () => {
      return (await replica.request<bigint>('seq')) === written.seq
    })
    const { hash, seq } = await replica.request<{ hash: string; seq: bigint }>('hash')
    run.check(seq === written.seq, `${replica.name} sequencer equals the master's`, `${seq}`)
    run.check(hash === written.hash, `${replica.name} content hash equals the master's`,
      hash.slice(0, 16))
  }

  await master.request('stop')
  for (const replica of replicas) {
    const stopped = await replica.event('stopped')
    run.check(stopped.name === 'MASTER_REQUESTED_DISCONNECT',
      `${replica.name} stopped because the master detached it`, String(stopped.name))
  }
})

/**
 * hamultichan: one master listening on tcp, udp and pipe at once (eXtremeDB sample
 * hamultichan), with one replica attached over each channel, every program in its own process.
 * The master commits in sync mode; checks that every commit resolved durable (acknowledged over
 * all three channels) and that all three replicas converge to the master's content hash.
 */
import { runSample, waitUntil } from '../common/runner.js'
import type { SampleProcess } from '../common/runner.js'

const RECORDS = 500
const TRANSACTIONS = 1000
const CHANNELS = ['tcp', 'udp', 'pipe'] as const

await runSample('hamultichan', import.meta.url, 20_000, async (run) => {
  const listen = [':tcp:127.0.0.1:0', ':udp:127.0.0.1:0', `:pipe:${run.tempPath('master.sock')}`]
  const master = run.fork('master', 'master.js', { listen, records: RECORDS })
  const addresses = (await master.event('ready')).addresses as string[]

  const replicas: SampleProcess[] = []
  for (const channel of CHANNELS) {
    const address = addresses.find((a) => a.startsWith(`:${channel}:`))
    if (!run.check(address !== undefined, `the master listens on ${channel}`, address)) return
    const name = `replica ${channel}`
    replicas.push(run.fork(name, 'replica.js', { name, connect: address }))
  }
  await Promise.all(replicas.map((replica) => replica.event('synced')))

  const written = await master.request<{ seq: bigint; hash: string; ok: number }>(
    'churn',
    { count: TRANSACTIONS },
    15_000,
  )
  run.check(written.ok === TRANSACTIONS, 'every commit was acknowledged by the three replicas',
    `${written.ok} of ${TRANSACTIONS} durable ok`)
  for (const replica of replicas) {
    await waitUntil(`${replica.name} catches up`, async () => {
      return (await replica.request<bigint>('seq')) === written.seq
    })
    const { hash } = await replica.request<{ hash: string }>('hash')
    run.check(hash === written.hash, `${replica.name} content hash equals the master's`,
      hash.slice(0, 16))
  }

  await master.request('stop')
  await Promise.all(replicas.map((replica) => replica.event('stopped')))
})

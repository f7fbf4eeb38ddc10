/**
 * hawindow: the transaction window (eXtremeDB sample hawindow). A sync master and two
 * replicas, each in its own process. The master commits the same number of transactions with
 * window 1 (every commit waits for the acknowledgement) and with window 1000 (one
 * acknowledgement per 1000 commits), and prints both throughputs and their ratio. Checks that
 * every commit resolved durable and that both replicas converge to the master's content; the
 * speed-up is printed, not checked (loaded machines vary).
 */
import { runSample, waitUntil } from '../common/runner.js'
import type { SampleProcess } from '../common/runner.js'

const RECORDS = 500
const TRANSACTIONS = 2000

interface Measured {
  readonly perSecond: number
  readonly ok: number
  readonly seq: bigint
  readonly hash: string
}

await runSample('hawindow', import.meta.url, 20_000, async (run) => {
  const master = run.fork('master', 'master.js', { listen: ':tcp:127.0.0.1:0', records: RECORDS })
  const address = ((await master.event('ready')).addresses as string[])[0] as string
  const replicas: SampleProcess[] = []
  for (const name of ['replica 1', 'replica 2']) {
    replicas.push(run.fork(name, 'replica.js', { name, connect: address }))
  }
  await Promise.all(replicas.map((replica) => replica.event('synced')))

  const converge = async (measured: Measured, window: number): Promise<void> => {
    run.check(measured.ok === TRANSACTIONS, `window ${window}: every commit durable`,
      `${measured.ok} of ${TRANSACTIONS}`)
    for (const replica of replicas) {
      await waitUntil(`${replica.name} catches up`, async () => {
        return (await replica.request<bigint>('seq')) === measured.seq
      })
      const { hash } = await replica.request<{ hash: string }>('hash')
      run.check(hash === measured.hash, `window ${window}: ${replica.name} converged`,
        `sequencer ${measured.seq}`)
    }
  }
  const one = await master.request<Measured>('measure', { count: TRANSACTIONS, window: 1 }, 15_000)
  await converge(one, 1)
  const many = await master.request<Measured>('measure', { count: TRANSACTIONS, window: 1000 })
  await converge(many, 1000)
  run.say(`throughput: window 1 ${one.perSecond}/s, window 1000 ${many.perSecond}/s, ` +
    `ratio x${(many.perSecond / Math.max(one.perSecond, 1)).toFixed(1)}`)

  await master.request('stop')
  await Promise.all(replicas.map((replica) => replica.event('stopped')))
})

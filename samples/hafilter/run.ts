/**
 * hafilter: partial replication with `local` classes (eXtremeDB sample hafilter). The master's
 * schema filtermstdb makes T4 local; the replica's filterrpldb makes T1 local. The master
 * writes objects of T1 .. T4 before and after the replica attaches and deletes some; checks
 * that only the T2 and T3 objects end up on the replica, exactly as on the master.
 */
import { runSample, waitUntil } from '../common/runner.js'

type Keys = Record<'T1' | 'T2' | 'T3' | 'T4', number[]>

await runSample('hafilter', import.meta.url, 20_000, async (run) => {
  const master = run.fork('master', 'master.js', { listen: ':tcp:127.0.0.1:0' })
  const address = ((await master.event('ready')).addresses as string[])[0] as string
  const replica = run.fork('replica', 'replica.js', { name: 'replica', connect: address })
  await replica.event('synced')

  await master.request('createObjects', { fromKey: 100, count: 100 })
  await master.request('deleteObjects', { fromKey: 50, count: 25 })
  const { seq } = await master.request<{ seq: bigint }>('hash')
  await waitUntil('the replica catches up', async () => {
    return (await replica.request<bigint>('seq')) === seq
  })

  const onMaster = await master.request<Keys>('classes')
  const onReplica = await replica.request<Keys>('classes')
  const same = (a: number[], b: number[]): boolean => a.join(',') === b.join(',')
  run.check(onMaster.T1.length === 175 && onMaster.T4.length === 175,
    'the master holds T1 .. T4', `T1=${onMaster.T1.length} T4=${onMaster.T4.length}`)
  run.check(onReplica.T1.length === 0, 'no T1 objects on the replica (local there)')
  run.check(same(onReplica.T2, onMaster.T2), 'the replica holds the master\'s T2 objects',
    `${onReplica.T2.length}`)
  run.check(same(onReplica.T3, onMaster.T3), 'the replica holds the master\'s T3 objects',
    `${onReplica.T3.length}`)
  run.check(onReplica.T4.length === 0, 'no T4 objects on the replica (local on the master)')

  await master.request('stop')
  await replica.event('stopped')
})

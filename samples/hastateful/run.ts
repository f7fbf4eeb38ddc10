/**
 * hastateful: stateful replication (eXtremeDB sample hastateful). A master that keeps its last
 * 1024 change sets and one replica, each in its own process. The replica loads the database
 * and follows; the master detaches it and commits 300 more transactions; the replica attaches
 * again. Checks that the second attach is a stateful catch-up (STATEFUL_SYNC /
 * STATEFUL_SYNC_END, no database load) that brings exactly the missed transactions, and that
 * the replica ends with the master's content.
 */
import { runSample } from '../common/runner.js'
import type { SampleEvent } from '../common/child.js'

const RECORDS = 5000
const TRANS_LOG_LENGTH = 1024
const BEFORE = 200
const MISSED = 300

await runSample('hastateful', import.meta.url, 20_000, async (run) => {
  const master = run.fork('master', 'master.js', {
    listen: ':tcp:127.0.0.1:0',
    records: RECORDS,
    transLogLength: TRANS_LOG_LENGTH,
  })
  const address = ((await master.event('ready')).addresses as string[])[0] as string
  const replica = run.fork('replica', 'replica.js', { name: 'replica', connect: address })
  await replica.event('synced')
  await master.request('commit', { count: BEFORE })
  const [first] = await master.request<{ bytesSent: number | null }[]>('printStatus')

  await master.request('detachAll')
  const stopped = await replica.event('stopped')
  const keptSeq = stopped.seq as bigint
  run.say(`the replica was detached (${String(stopped.name)}) with sequencer ${keptSeq}`)
  const masterSeq = await master.request<bigint>('commit', { count: MISSED })
  const missed = masterSeq - keptSeq

  const mark = replica.events.length
  const later = (e: SampleEvent): boolean => replica.events.indexOf(e) >= mark
  await replica.request('reattach')
  const begin = await replica.event('notify', (e) => later(e) && e.name === 'STATEFUL_SYNC')
  await replica.event('notify', (e) => later(e) && e.name === 'STATEFUL_SYNC_END')
  await replica.event('synced', later)
  const second = replica.events.slice(mark)
  const [row] = await master.request<{ sync: string; bytesSent: number | null }[]>('printStatus')

  run.check(missed === BigInt(MISSED), `the replica missed ${MISSED} transactions`, `${missed}`)
  run.check(begin.param1 === MISSED, 'STATEFUL_SYNC announces exactly the missed transactions',
    `${String(begin.param1)} transactions`)
  run.check(!second.some((e) => e.name === 'DB_LOAD_BEGIN' || e.name === 'HOTSYNC'),
    'no database load on the second attach')
  run.check(row?.sync === 'stateful', 'the master served the second attach statefully',
    `full load ${first?.bytesSent} bytes, catch-up ${row?.bytesSent} bytes`)
  const { hash, seq } = await replica.request<{ hash: string; seq: bigint }>('hash')
  const onMaster = await master.request<{ hash: string; seq: bigint }>('hash')
  run.check(seq - keptSeq === missed, 'the catch-up moved the sequencer by the missed count',
    `sequencer ${keptSeq} -> ${seq}`)
  run.check(hash === onMaster.hash, 'the replica content hash equals the master\'s')

  await master.request('stop')
  await replica.event('stopped', later)
})

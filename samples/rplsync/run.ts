/**
 * rplsync: a forceSync replica under an async master (eXtremeDB haasync_rplsync). Starts an
 * async master, an ordinary async replica and a replica that asks for synchronous replication,
 * each in its own process. Checks that the master serves the forceSync replica in sync mode,
 * and that a commit's `durable` promise resolves only after that replica applied it: while the
 * forceSync replica is paused (SIGSTOP), a commit reaches the async replica but stays pending
 * on the master; once it resumes, the commit resolves durable and the replica has it.
 */
import { runSample, sleep, waitUntil } from '../common/runner.js'

const RECORDS = 500
const PAUSE_MS = 600

interface Outcome {
  readonly status: string
  readonly afterMs: number
}

await runSample('rplsync', import.meta.url, 20_000, async (run) => {
  const master = run.fork('master', 'master.js', { listen: ':tcp:127.0.0.1:0', records: RECORDS })
  const address = ((await master.event('ready')).addresses as string[])[0] as string

  const asyncReplica = run.fork('replica 1', 'replica.js', {
    name: 'replica 1',
    connect: address,
    forceSync: false,
  })
  await asyncReplica.event('synced')
  const alone = await master.request<{ meanMs: number }>('commitBlocking', { count: 200 })

  const syncReplica = run.fork('replica 2', 'replica.js', {
    name: 'replica 2 (rplsync)',
    connect: address,
    forceSync: true,
  })
  await syncReplica.event('synced')
  const rows = await master.request<{ mode: string }[]>('printStatus')
  run.check(
    rows.some((r) => r.mode === 'sync') && rows.some((r) => r.mode === 'async'),
    'the async master serves replica 2 in sync mode and replica 1 in async mode',
  )
  const withSync = await master.request<{ meanMs: number }>('commitBlocking', { count: 200 })
  const ratio = withSync.meanMs / Math.max(alone.meanMs, 0.001)
  run.say(`durable waits for replica 2: ${withSync.meanMs.toFixed(3)} ms vs ` +
    `${alone.meanMs.toFixed(3)} ms per commit (x${ratio.toFixed(1)})`)

  syncReplica.signal('SIGSTOP')
  run.say('replica 2 paused (SIGSTOP)')
  const seq = await master.request<bigint>('commitWatched')
  await waitUntil('replica 1 applies the commit', async () => {
    return (await asyncReplica.request<bigint>('seq')) >= seq
  })
  await sleep(PAUSE_MS)
  const pending = await master.request<Outcome | null>('watchedOutcome')
  run.check(pending === null, `commit ${seq} is not durable while replica 2 is paused`,
    `replica 1 already applied it; ${PAUSE_MS} ms later still pending`)

  syncReplica.signal('SIGCONT')
  run.say('replica 2 resumed (SIGCONT)')
  const outcome = await master.request<Outcome | null>('awaitWatched')
  const applied = await syncReplica.request<bigint>('seq')
  run.check(outcome?.status === 'ok', `commit ${seq} resolves durable once replica 2 resumed`,
    `${outcome?.status} after ${outcome?.afterMs.toFixed(0)} ms`)
  run.check(applied >= seq, `replica 2 applied commit ${seq}`, `its sequencer ${applied}`)

  const final = await master.request<{ hash: string; seq: bigint }>('hash')
  for (const replica of [asyncReplica, syncReplica]) {
    await waitUntil(`${replica.name} catches up`, async () => {
      return (await replica.request<bigint>('seq')) === final.seq
    })
    const { hash } = await replica.request<{ hash: string }>('hash')
    run.check(hash === final.hash, `${replica.name} content hash equals the master's`)
  }
  await master.request('stop')
  await Promise.all([asyncReplica.event('stopped'), syncReplica.event('stopped')])
})

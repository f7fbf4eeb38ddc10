/**
 * rplsync master: an async master (eXtremeDB haasync master). It commits on the runner's
 * request and reports when each commit's `durable` promise resolved: at once while only async
 * replicas follow it, only after the acknowledgement once a forceSync replica is attached.
 */
import { HaMaster } from '../../src/node/ha-master.js'
import { Database } from '../../src/node/database.js'
import type { CommitStatus } from '../../src/txn/commit-hook.js'
import { configFromArgv, emit, say, serveRunner } from '../common/child.js'
import { ChurnWriter, inspectHandlers, populate } from '../common/nodes.js'
import { printingNotifier } from '../common/notify.js'
import { loadSchema } from '../common/schema-file.js'
import { formatStatus } from '../../src/node/ha-status-file.js'

interface MasterConfig {
  readonly listen: string
  readonly records: number
}

/** A commit whose `durable` promise the runner watches. */
interface Watched {
  readonly seq: bigint
  readonly committedAt: number
  outcome: { status: CommitStatus; afterMs: number } | null
  readonly durable: Promise<CommitStatus>
}

const who = 'master'
const config = configFromArgv<MasterConfig>()
const db = await Database.open({ dictionary: loadSchema('samples/common/hasample.mco') })
populate(db, 0, config.records)
const master = await HaMaster.start(db, {
  listen: config.listen,
  mode: 'async',
  onNotify: printingNotifier(who),
})
for (const address of master.addresses) say(who, `listening on ${address} (async mode)`)
const churn = new ChurnWriter(db, config.records, config.records)
let watched: Watched | null = null

/** Commits `count` transactions, each awaited durable as a blocking commit would be. */
async function commitBlocking(count: number): Promise<{ seq: bigint; meanMs: number }> {
  let totalMs = 0
  for (let i = 0; i < count; i++) {
    const started = performance.now()
    const status = await churn.step().durable
    totalMs += performance.now() - started
    if (status !== 'ok') say(who, `commit ${db.getSequencer()} durable: ${status}`)
  }
  const meanMs = totalMs / count
  say(who, `${count} commits, each durable after ${meanMs.toFixed(3)} ms on average`)
  return { seq: db.getSequencer(), meanMs }
}

/** Commits one transaction and watches when its `durable` promise resolves. */
function commitWatched(): bigint {
  const result = churn.step()
  const entry: Watched = {
    seq: result.seq,
    committedAt: performance.now(),
    outcome: null,
    durable: result.durable,
  }
  void entry.durable.then((status) => {
    entry.outcome = { status, afterMs: performance.now() - entry.committedAt }
    say(who, `commit ${entry.seq} durable: ${status} after ${entry.outcome.afterMs.toFixed(1)} ms`)
  })
  watched = entry
  say(who, `commit ${entry.seq} applied on the master, durable pending`)
  return entry.seq
}

serveRunner(
  {
    ...inspectHandlers(db),
    commitBlocking: ({ count }: { count: number }) => commitBlocking(count),
    commitWatched: () => commitWatched(),
    watchedOutcome: () => watched?.outcome ?? null,
    async awaitWatched() {
      await watched?.durable
      return watched?.outcome ?? null
    },
    printStatus() {
      for (const line of formatStatus(master.masterStatus())) say(who, line)
      return master.status().map((r) => ({ conn: r.conn, mode: r.mode, state: r.state }))
    },
    stop: () => master.stop(),
  },
  () => master.stop(),
)
emit('ready', { addresses: master.addresses, seq: db.getSequencer() })

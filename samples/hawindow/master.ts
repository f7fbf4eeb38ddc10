/**
 * hawindow master: a sync master whose transaction window the runner sets (eXtremeDB
 * hawindow_master switches it from 1 to 1000). A commit then behaves as eXtremeDB's blocking
 * commit: with window N the application waits for the replicas' acknowledgement once per N
 * transactions, so it keeps at most N commits not yet durable.
 */
import { HaMaster } from '../../src/node/ha-master.js'
import { Database } from '../../src/node/database.js'
import type { CommitStatus } from '../../src/txn/commit-hook.js'
import { configFromArgv, emit, say, serveRunner } from '../common/child.js'
import { ChurnWriter, inspectHandlers, populate } from '../common/nodes.js'
import { printingNotifier } from '../common/notify.js'
import { loadSchema } from '../common/schema-file.js'

interface MasterConfig {
  readonly listen: string
  readonly records: number
}

const who = 'master'
const config = configFromArgv<MasterConfig>()
const db = await Database.open({ dictionary: loadSchema('samples/common/hasample.mco') })
populate(db, 0, config.records)
const master = await HaMaster.start(db, { listen: config.listen, onNotify: printingNotifier(who) })
for (const address of master.addresses) say(who, `listening on ${address} (sync mode)`)
const churn = new ChurnWriter(db, config.records, config.records)

/** Commits `count` transactions under window `window`; the commits per second. */
async function measure(count: number, window: number): Promise<Record<string, unknown>> {
  master.setWindowSize(window)
  say(who, `transaction window ${window}: committing ${count} transactions`)
  const started = performance.now()
  let unacknowledged: Promise<CommitStatus>[] = []
  let ok = 0
  const settle = async (): Promise<void> => {
    for (const status of await Promise.all(unacknowledged)) if (status === 'ok') ok++
    unacknowledged = []
  }
  for (let i = 0; i < count; i++) {
    unacknowledged.push(churn.step().durable)
    if (unacknowledged.length >= window) await settle()
  }
  // The last, partial packet: force its acknowledgement (eXtremeDB mco_HA_commit_window).
  master.commitWindow()
  await settle()
  const elapsedMs = performance.now() - started
  const perSecond = Math.round((count * 1000) / elapsedMs)
  say(who, `window ${window}: ${count} transactions in ${elapsedMs.toFixed(0)} ms, ` +
    `${perSecond} per second (${ok} durable ok)`)
  return { perSecond, ok, seq: db.getSequencer(), hash: db.contentHash() }
}

serveRunner(
  {
    ...inspectHandlers(db),
    measure: ({ count, window }: { count: number; window: number }) => measure(count, window),
    stop: () => master.stop(),
  },
  () => master.stop(),
)
emit('ready', { addresses: master.addresses })

/**
 * hastateful master (eXtremeDB hastateful_master): keeps the last `transLogLength` change sets
 * for stateful replication; on the runner's request it commits a number of transactions,
 * detaches every replica, and commits more while they are away.
 */
import { HaMaster } from '../../src/node/ha-master.js'
import { Database } from '../../src/node/database.js'
import { configFromArgv, emit, say, serveRunner } from '../common/child.js'
import { ChurnWriter, inspectHandlers, populate } from '../common/nodes.js'
import { printingNotifier } from '../common/notify.js'
import { loadSchema } from '../common/schema-file.js'
import { formatStatus } from '../../src/node/ha-status-file.js'

interface MasterConfig {
  readonly listen: string
  readonly records: number
  readonly transLogLength: number
}

const who = 'master'
const config = configFromArgv<MasterConfig>()
const db = await Database.open({ dictionary: loadSchema('samples/common/hasample.mco') })
populate(db, 0, config.records)
const master = await HaMaster.start(db, {
  listen: config.listen,
  transLogLength: config.transLogLength,
  onNotify: printingNotifier(who),
})
for (const address of master.addresses) {
  say(who, `listening on ${address} (transaction log of ${config.transLogLength})`)
}
const churn = new ChurnWriter(db, config.records, config.records)

serveRunner(
  {
    ...inspectHandlers(db),
    async commit({ count }: { count: number }) {
      await churn.run(count, (result) => result.durable)
      say(who, `${count} transactions committed, sequencer ${db.getSequencer()}`)
      return db.getSequencer()
    },
    detachAll() {
      say(who, 'detaching all replicas')
      master.detachAll()
    },
    printStatus() {
      for (const line of formatStatus(master.masterStatus())) say(who, line)
      return master.status().map((r) => ({ sync: r.sync, bytesSent: r.bytesSent }))
    },
    stop: () => master.stop(),
  },
  () => master.stop(),
)
emit('ready', { addresses: master.addresses })

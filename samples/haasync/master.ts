/**
 * haasync master: creates and populates the database, listens for replicas in async mode, and
 * on the runner's request keeps creating and deleting objects while the replicas follow.
 */
import { HaMaster } from '../../src/node/ha-master.js'
import { Database } from '../../src/node/database.js'
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
say(who, `database created: ${config.records} records, sequencer ${db.getSequencer()}`)

const master = await HaMaster.start(db, {
  listen: config.listen,
  mode: 'async',
  onNotify: printingNotifier(who),
})
for (const address of master.addresses) say(who, `listening on ${address} (async mode)`)
const churn = new ChurnWriter(db, config.records, config.records)

serveRunner(
  {
    ...inspectHandlers(db),
    async churn({ count }: { count: number }) {
      say(who, `creating and deleting objects: ${count} transactions`)
      await churn.run(count, (_, index) => {
        if ((index + 1) % 1000 === 0) say(who, `${index + 1} transactions committed`)
      })
      say(who, `done writing, sequencer ${db.getSequencer()}`)
      return { seq: db.getSequencer(), hash: db.contentHash() }
    },
    async stop() {
      await master.stop()
      say(who, 'stopped: replicas detached')
    },
  },
  () => master.stop(),
)
emit('ready', { addresses: master.addresses, seq: db.getSequencer() })

/**
 * hamultichan master: one master listening on several channels at once (eXtremeDB: one
 * listener per channel, each with its own connection string). The runner passes the strings,
 * e.g. `:tcp:127.0.0.1:0`, `:udp:127.0.0.1:0` and `:pipe:/tmp/x.sock`.
 */
import { HaMaster } from '../../src/node/ha-master.js'
import { Database } from '../../src/node/database.js'
import { configFromArgv, emit, say, serveRunner } from '../common/child.js'
import { ChurnWriter, inspectHandlers, populate } from '../common/nodes.js'
import { printingNotifier } from '../common/notify.js'
import { loadSchema } from '../common/schema-file.js'
import { formatStatus } from '../../src/node/ha-status-file.js'

interface MasterConfig {
  readonly listen: readonly string[]
  readonly records: number
}

const who = 'master'
const config = configFromArgv<MasterConfig>()
const db = await Database.open({ dictionary: loadSchema('samples/common/hasample.mco') })
populate(db, 0, config.records)
const master = await HaMaster.start(db, { listen: config.listen, onNotify: printingNotifier(who) })
for (const address of master.addresses) say(who, `listening on ${address}`)
const churn = new ChurnWriter(db, config.records, config.records)

serveRunner(
  {
    ...inspectHandlers(db),
    async churn({ count }: { count: number }) {
      // Sync mode: each commit resolves durable once every replica, whatever its channel,
      // acknowledged it.
      const statuses = new Map<string, number>()
      await churn.run(count, async (result) => {
        const status = await result.durable
        statuses.set(status, (statuses.get(status) ?? 0) + 1)
      })
      const summary = [...statuses].map(([status, n]) => `${n} ${status}`).join(', ')
      say(who, `${count} transactions committed, durable: ${summary}`)
      for (const line of formatStatus(master.masterStatus())) say(who, line)
      return { seq: db.getSequencer(), hash: db.contentHash(), ok: statuses.get('ok') ?? 0 }
    },
    stop: () => master.stop(),
  },
  () => master.stop(),
)
emit('ready', { addresses: master.addresses })

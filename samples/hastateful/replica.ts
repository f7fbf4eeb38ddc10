/**
 * hastateful replica (eXtremeDB hastateful_replica): attaches, follows the master until it is
 * detached, and on the runner's request attaches again with the data it kept, so that the
 * master sends only the transactions it missed.
 */
import { Database } from '../../src/node/database.js'
import type { HaReplica } from '../../src/node/ha-replica.js'
import { configFromArgv, emit, say, serveRunner } from '../common/child.js'
import { attachReplica, inspectHandlers } from '../common/nodes.js'
import { loadSchema } from '../common/schema-file.js'

interface ReplicaConfig {
  readonly name: string
  readonly connect: string
}

const config = configFromArgv<ReplicaConfig>()
const who = config.name
const db = await Database.open({ dictionary: loadSchema('samples/common/hasample.mco') })
let replica: HaReplica = attachReplica(db, who, config.connect)

serveRunner(
  {
    ...inspectHandlers(db),
    reattach() {
      say(who, `attaching again with sequencer ${db.getSequencer()}`)
      replica = attachReplica(db, who, config.connect)
    },
    status: () => replica.status(),
  },
  async () => void (await replica.stop()),
)
emit('ready')

/**
 * rplsync replica: attaches to the async master, as an ordinary async replica or with
 * `forceSync` (eXtremeDB MCO_HAMODE_FORCE_SYNC, the haasync_rplsync program), and answers the
 * runner's questions about what it applied.
 */
import { Database } from '../../src/node/database.js'
import { configFromArgv, emit, serveRunner } from '../common/child.js'
import { attachReplica, inspectHandlers } from '../common/nodes.js'
import { loadSchema } from '../common/schema-file.js'

interface ReplicaConfig {
  readonly name: string
  readonly connect: string
  readonly forceSync: boolean
}

const config = configFromArgv<ReplicaConfig>()
const db = await Database.open({ dictionary: loadSchema('samples/common/hasample.mco') })
const replica = attachReplica(db, config.name, config.connect, { forceSync: config.forceSync })

serveRunner(
  { ...inspectHandlers(db), status: () => replica.status() },
  async () => void (await replica.stop()),
)
emit('ready')

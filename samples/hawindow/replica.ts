/**
 * hawindow replica: an ordinary sync replica; it acknowledges once per transaction window, as
 * the master tells it.
 */
import { Database } from '../../src/node/database.js'
import { configFromArgv, emit, serveRunner } from '../common/child.js'
import { attachReplica, inspectHandlers } from '../common/nodes.js'
import { loadSchema } from '../common/schema-file.js'

interface ReplicaConfig {
  readonly name: string
  readonly connect: string
}

const config = configFromArgv<ReplicaConfig>()
const db = await Database.open({ dictionary: loadSchema('samples/common/hasample.mco') })
const replica = attachReplica(db, config.name, config.connect)

serveRunner(inspectHandlers(db), async () => void (await replica.stop()))
emit('ready')

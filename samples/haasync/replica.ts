/**
 * haasync replica: attaches to the async master, loads its database, then applies the
 * master's transactions asynchronously, printing its sequencer as it moves.
 */
import { Database } from '../../src/node/database.js'
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
const replica = attachReplica(db, who, config.connect)

// Show the replica applying while the master writes: its sequencer, twice a second.
let shownSeq = db.getSequencer()
const progress = setInterval(() => {
  const seq = db.getSequencer()
  if (seq !== shownSeq) say(who, `applied up to sequencer ${seq}`)
  shownSeq = seq
}, 500)
void replica.stopped.then(() => clearInterval(progress))

serveRunner(inspectHandlers(db), async () => {
  clearInterval(progress)
  await replica.stop()
})
emit('ready')

/**
 * hafilter replica: database `filterrpldb` (schema/filterrpldb.mco), where class T1 is local
 * and T4 is not. It receives T1, T2 and T3 objects (T4 is local on the master and never sent)
 * and does not write the T1 objects (local here).
 */
import { Database } from '../../src/node/database.js'
import { configFromArgv, emit, say, serveRunner } from '../common/child.js'
import { attachReplica } from '../common/nodes.js'
import { loadSchema } from '../common/schema-file.js'
import { filterHandlers } from './classes.js'

interface ReplicaConfig {
  readonly name: string
  readonly connect: string
}

const config = configFromArgv<ReplicaConfig>()
const who = config.name
const dictionary = loadSchema('schema/filterrpldb.mco')
const local = dictionary.classes.filter((c) => c.local).map((c) => c.name)
say(who, `database ${dictionary.name}; local: ${local.join(', ')}`)
const db = await Database.open({ dictionary })
const replica = attachReplica(db, who, config.connect)

serveRunner(filterHandlers(db, who), async () => void (await replica.stop()))
emit('ready')

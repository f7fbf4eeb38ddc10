/**
 * hafilter master: database `filtermstdb` (schema/filtermstdb.mco), where class T4 is local.
 * It creates objects of T1 .. T4 before and after the replica attaches, and deletes some.
 */
import { HaMaster } from '../../src/node/ha-master.js'
import { Database } from '../../src/node/database.js'
import { configFromArgv, emit, say, serveRunner } from '../common/child.js'
import { printingNotifier } from '../common/notify.js'
import { loadSchema } from '../common/schema-file.js'
import { CLASSES, filterHandlers } from './classes.js'

interface MasterConfig {
  readonly listen: string
}

const who = 'master'
const config = configFromArgv<MasterConfig>()
const dictionary = loadSchema('schema/filtermstdb.mco')
const local = dictionary.classes.filter((c) => c.local).map((c) => c.name)
say(who, `database ${dictionary.name}: classes ${CLASSES.join(', ')}; local: ${local.join(', ')}`)
const db = await Database.open({ dictionary })

/** Creates `count` objects of every class, keys from `fromKey`, one transaction per key. */
function createObjects(fromKey: number, count: number): void {
  for (let key = fromKey; key < fromKey + count; key++) {
    db.write((tx) => {
      for (const cls of CLASSES) tx.insert(cls, { key })
    })
  }
  say(who, `created ${count} objects of each of ${CLASSES.join(', ')} (keys ${fromKey}..)`)
}

/** Deletes the objects with keys `fromKey` .. of every class, one transaction per key. */
function deleteObjects(fromKey: number, count: number): void {
  for (let key = fromKey; key < fromKey + count; key++) {
    db.write((tx) => {
      for (const cls of CLASSES) {
        const oid = tx.findOid(cls, 'tkey', key)
        if (oid !== undefined) tx.delete(cls, oid)
      }
    })
  }
  say(who, `deleted ${count} objects of each class (keys ${fromKey}..)`)
}

createObjects(0, 100)
const master = await HaMaster.start(db, { listen: config.listen, onNotify: printingNotifier(who) })
for (const address of master.addresses) say(who, `listening on ${address}`)

serveRunner(
  {
    ...filterHandlers(db, who),
    createObjects: ({ fromKey, count }: { fromKey: number; count: number }) =>
      createObjects(fromKey, count),
    deleteObjects: ({ fromKey, count }: { fromKey: number; count: number }) =>
      deleteObjects(fromKey, count),
    stop: () => master.stop(),
  },
  () => master.stop(),
)
emit('ready', { addresses: master.addresses })

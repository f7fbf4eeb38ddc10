/**
 * The replica program of `tandemdb demo`: forked by the demo with its settings as a JSON
 * argument, it opens the demo database, attaches to the master, prints its notifications, and
 * answers the demo's requests over IPC (sequencer and content hash, a read, a write attempt).
 */
import { readFileSync } from 'node:fs'
import { TandemError } from '../errors.js'
import { Database } from '../node/database.js'
import { HaReplica } from '../node/ha-replica.js'
import type { HaNotification } from '../node/ha-notification.js'
import { loadDictionary } from '../schema/load-dictionary.js'

/** The settings the demo passes as argv[2]. */
export interface DemoReplicaSettings {
  readonly name: string
  readonly schemaFile: string
  readonly connect: string
  readonly forceSync: boolean
  readonly confirmIntervalMs: number
}

/** A request from the demo; `exit` stops replicating and ends the process. */
export interface DemoRequest {
  readonly id: number
  readonly cmd: 'state' | 'readAccount' | 'tryWrite' | 'exit'
  readonly accountId?: number
}

/** The answer to a request: a value, or the code and message of the error it raised. */
export type DemoReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly code: string; readonly message: string }

/** What the replica reports without being asked. */
export type DemoEvent =
  | { readonly event: 'synced' }
  | { readonly event: 'stopped'; readonly reason: string }
  | { readonly event: 'failed'; readonly code: string; readonly message: string }

/** The notifications the demo prints, and how. */
const SHOWN: Partial<Record<HaNotification['name'], (n: HaNotification) => string>> = {
  CONNECTED: (n) => `connected (${n.message})`,
  CONNECT_FAILED: (n) => `connection failed: ${String(n.param1)}`,
  DB_EQUAL: () => 'databases are equal',
  DB_LOAD_OK: () => 'database loaded successfully',
  DB_LOAD_FAILED: (n) => `database load failed: ${String(n.param1)}`,
  COMMIT_FAILED: (n) => `commit failed: ${String(n.param1)}`,
  REPLICA_STOPPED: (n) => `replica stopped (${n.message})`,
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] ?? '{}') as DemoReplicaSettings
  const who = settings.name
  const say = (text: string): void => void process.stdout.write(`  ${who}: ${text}\n`)
  const send = (message: DemoReply | DemoEvent): void => void process.send?.(message)
  const dictionary = loadDictionary(readFileSync(settings.schemaFile, 'utf8'), settings.schemaFile)
  const db = await Database.open({ dictionary })
  const replica = HaReplica.start(db, settings.connect, {
    forceSync: settings.forceSync,
    confirmIntervalMs: settings.confirmIntervalMs,
    onNotify: (n: HaNotification) => {
      const text = SHOWN[n.name]
      if (text !== undefined) say(`** Notification ** ${text(n)}`)
    },
  })
  replica.synced.then(
    () => send({ event: 'synced' }),
    (error: unknown) => send({ event: 'failed', ...errorFields(error) }),
  )
  void replica.stopped.then((info) => send({ event: 'stopped', reason: info.name }))

  const handlers: Record<Exclude<DemoRequest['cmd'], 'exit'>, (r: DemoRequest) => unknown> = {
    state: () => ({ seq: db.getSequencer(), hash: db.contentHash() }),
    readAccount: (request) => db.read((tx) => tx.find('Account', 'accountId', request.accountId)),
    tryWrite: () =>
      db.write((tx) => tx.insert('Account', { id: 999, owner: 'mallory', balance: 1e6 })).seq,
  }
  process.on('message', (request: DemoRequest) => {
    if (request.cmd === 'exit') {
      void replica.stop().finally(() => process.exit(0))
      return
    }
    try {
      send({ id: request.id, ok: true, value: handlers[request.cmd](request) })
    } catch (error) {
      send({ id: request.id, ...errorFields(error), ok: false })
    }
  })
  // The demo went away: leave no process behind.
  process.on('disconnect', () => process.exit(0))
}

function errorFields(error: unknown): { code: string; message: string } {
  if (error instanceof TandemError) return { code: error.code, message: error.message }
  return { code: 'TDB_INTERNAL', message: error instanceof Error ? error.message : String(error) }
}

await main()

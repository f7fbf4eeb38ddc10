/**
 * `tandemdb demo` (`npm start`): a guided tour with built-in defaults and no configuration.
 * It compiles schema/demo.mco, opens a master database, starts an async master listening on
 * tcp and on a pipe, forks two replica processes (one over tcp asking for synchronous
 * replication, one over the pipe, asynchronous), writes a few transactions, reads through each
 * kind of index the schema declares, shows a rolled-back transaction and a write refused on a
 * replica, compares the replicas' sequencers and content hashes with the master's, prints the
 * master's status table and stops everything. Exit code 0 when every step behaved as shown.
 */
import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { TandemError } from '../errors.js'
import { Database } from '../node/database.js'
import { HaMaster } from '../node/ha-master.js'
import { formatStatus } from '../node/ha-status-file.js'
import type { Dictionary, IndexDef } from '../schema/dictionary.js'
import { loadDictionary } from '../schema/load-dictionary.js'
import type { ObjectValues, ReadTransaction } from '../txn/api.js'
import type { DemoEvent, DemoReply, DemoReplicaSettings, DemoRequest } from './demo-replica.js'

/** Where the demo writes; a test passes its own. The replica processes print to stdout. */
export interface DemoIo {
  readonly stdout: { write(text: string): unknown }
  readonly stderr: { write(text: string): unknown }
}

/** The whole demo must finish within this time, or it stops everything and fails. */
const DEMO_DEADLINE_MS = 30_000
/** How long one answer or event of a replica process may take. */
const REPLICA_WAIT_MS = 10_000
const SCHEMA_FILE = path.join('schema', 'demo.mco')
/** 2026-01-01T00:00:00Z: fixed times keep the demo's output the same on every run. */
const EPOCH_MS = Date.UTC(2026, 0, 1)

/**
 * Runs the demo; resolves to the exit code (0 demo done, 1 a step failed, 2 wrong usage).
 *
 * @example
 * process.exitCode = await demoCommand([])
 */
export async function demoCommand(
  args: string[],
  io: DemoIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  if (args.length > 0) {
    io.stderr.write(`tandemdb demo: takes no arguments (given: ${args.join(' ')})\n`)
    return 2
  }
  const demo = new Demo(io)
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new TandemError('TDB_TIMEOUT', `the demo did not finish in ${DEMO_DEADLINE_MS} ms`))
    }, DEMO_DEADLINE_MS)
  })
  try {
    await Promise.race([demo.run(), deadline])
    return demo.failures === 0 ? 0 : 1
  } catch (error) {
    io.stderr.write(`tandemdb demo: FAILED: ${error instanceof Error ? error.message : error}\n`)
    return 1
  } finally {
    clearTimeout(timer)
    await demo.cleanup()
  }
}

/** One replica process of the demo and its IPC. */
class ReplicaProcess {
  readonly name: string
  readonly #child: ChildProcess
  readonly #pending = new Map<number, (reply: DemoReply) => void>()
  readonly #events: DemoEvent[] = []
  readonly #listeners = new Set<() => void>()
  readonly exited: Promise<void>
  #nextId = 1
  #running = true

  constructor(settings: DemoReplicaSettings) {
    this.name = settings.name
    const script = fileURLToPath(new URL('./demo-replica.js', import.meta.url))
    this.#child = fork(script, [JSON.stringify(settings)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    })
    this.exited = new Promise((resolve) => {
      this.#child.once('exit', (code) => {
        this.#running = false
        const message = `${this.name} exited (${code})`
        for (const settle of this.#pending.values()) {
          settle({ id: 0, ok: false, code: 'TDB_STOPPED', message })
        }
        this.#pending.clear()
        for (const listener of this.#listeners) listener()
        resolve()
      })
    })
    this.#child.on('error', () => this.kill())
    this.#child.on('message', (message: DemoReply | DemoEvent) => {
      if ('id' in message) {
        this.#pending.get(message.id)?.(message)
        this.#pending.delete(message.id)
        return
      }
      this.#events.push(message)
      for (const listener of this.#listeners) listener()
    })
  }

  /** Sends a request; resolves with the reply (an error reply is a value too). */
  request(cmd: DemoRequest['cmd'], fields: Partial<DemoRequest> = {}): Promise<DemoReply> {
    if (!this.#running) return Promise.reject(stopped(this.name))
    const id = this.#nextId++
    return withTimeout(
      new Promise<DemoReply>((resolve) => {
        this.#pending.set(id, resolve)
        this.#child.send({ ...fields, id, cmd })
      }),
      `${this.name} answering ${cmd}`,
    )
  }

  /** The value of a request that must succeed. */
  async value<T>(cmd: DemoRequest['cmd'], fields: Partial<DemoRequest> = {}): Promise<T> {
    const reply = await this.request(cmd, fields)
    if (!reply.ok) throw new TandemError('TDB_INTERNAL', `${this.name} ${cmd}: ${reply.message}`)
    return reply.value as T
  }

  /** The first event named `name`; rejects when the process exits or reports `failed` first. */
  event<K extends DemoEvent['event']>(name: K): Promise<Extract<DemoEvent, { event: K }>> {
    type Found = Extract<DemoEvent, { event: K }>
    return withTimeout(
      new Promise<Found>((resolve, reject) => {
        const look = (): void => {
          const found = this.#events.find((e) => e.event === name)
          const failed = this.#events.find((e) => e.event === 'failed')
          if (found !== undefined) resolve(found as Found)
          else if (failed?.event === 'failed') {
            reject(new TandemError('TDB_STOPPED', `${this.name}: ${failed.code} ${failed.message}`))
          } else if (!this.#running) reject(stopped(this.name))
          else return
          this.#listeners.delete(look)
        }
        this.#listeners.add(look)
        look()
      }),
      `${this.name} ${name}`,
    )
  }

  /** Asks the process to stop replicating and exit. */
  exit(): void {
    if (this.#running && this.#child.connected) this.#child.send({ id: 0, cmd: 'exit' })
  }

  kill(): void {
    if (this.#running) this.#child.kill('SIGKILL')
  }
}

function stopped(name: string): TandemError {
  return new TandemError('TDB_STOPPED', `${name} is not running`)
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new TandemError('TDB_TIMEOUT', `${what}: no answer in ${REPLICA_WAIT_MS} ms`))
    }, REPLICA_WAIT_MS)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** The steps of the demo and what they started. */
class Demo {
  readonly #io: DemoIo
  readonly #replicas: ReplicaProcess[] = []
  #master: HaMaster | null = null
  #pipePath: string | null = null
  failures = 0

  constructor(io: DemoIo) {
    this.#io = io
  }

  #say(text: string): void {
    this.#io.stdout.write(`${text}\n`)
  }

  /** Prints an expectation and counts it when it does not hold. */
  #expect(holds: boolean, what: string): void {
    if (!holds) this.failures++
    this.#say(`  ${holds ? 'ok' : 'NOT AS EXPECTED'}: ${what}`)
  }

  async run(): Promise<void> {
    const schemaFile = findSchemaFile()
    const dictionary = this.#compile(schemaFile)
    const db = await Database.open({ dictionary })
    this.#openAccounts(db)
    await this.#startMaster(db)
    this.#say('\n4. two replica processes attach and load the database')
    this.#startReplicas(schemaFile)
    await Promise.all(this.#replicas.map((r) => r.event('synced')))
    await this.#transfer(db)
    this.#readIndexes(db, dictionary)
    this.#rollback(db)
    await this.#refusedOnReplica()
    await this.#compare(db)
    await this.#printStatus()
    await this.#stop()
  }

  #compile(schemaFile: string): Dictionary {
    this.#say(`tandemdb demo\n\n1. schema ${SCHEMA_FILE}`)
    const dictionary = loadDictionary(readFileSync(schemaFile, 'utf8'), SCHEMA_FILE)
    for (const cls of dictionary.classes) {
      const indexes = cls.indexes.map(describeIndex).join(', ')
      const fields = cls.fields.map((f) => f.name).join(', ')
      this.#say(`  ${cls.local ? 'local class' : 'class'} ${cls.name} (${fields}); ${indexes}`)
    }
    this.#say(`  database ${dictionary.name}, replicated hash ${dictionary.replicatedHash}`)
    return dictionary
  }

  async #startMaster(db: Database): Promise<void> {
    this.#pipePath = path.join(os.tmpdir(), `tandemdb-demo-${process.pid}.sock`)
    rmSync(this.#pipePath, { force: true })
    this.#master = await HaMaster.start(db, {
      listen: [':tcp:127.0.0.1:0', `:pipe:${this.#pipePath}`],
      mode: 'async',
    })
    this.#say(`\n3. master (async mode) listening on ${this.#master.addresses.join(' and ')}`)
  }

  #startReplicas(schemaFile: string): void {
    const addresses = this.#master?.addresses ?? []
    const tcp = addresses.find((a) => a.startsWith(':tcp:'))
    const pipe = addresses.find((a) => a.startsWith(':pipe:'))
    if (tcp === undefined || pipe === undefined) {
      throw new TandemError('TDB_INTERNAL', `the master listens on ${addresses.join(', ')}`)
    }
    const replica = (name: string, connect: string, forceSync: boolean): ReplicaProcess =>
      new ReplicaProcess({ name, schemaFile, connect, forceSync, confirmIntervalMs: 100 })
    this.#replicas.push(
      replica('replica A (tcp, forceSync)', tcp, true),
      replica('replica B (pipe, async)', pipe, false),
    )
  }

  #openAccounts(db: Database): void {
    this.#say('\n2. open the database and write')
    const owners = ['ada', 'grace', 'alan', 'ada', 'edsger']
    const accounts = db.write((tx) =>
      owners.forEach((owner, i) => {
        const opened = EPOCH_MS + i * 86_400_000
        tx.insert('Account', { id: i + 1, owner, balance: 100 * (i + 1), opened })
      }),
    )
    this.#say(`  5 accounts in one transaction: sequencer ${accounts.seq}`)
  }

  /** Three transfers, each durable once the sync replica A applied it. */
  async #transfer(db: Database): Promise<void> {
    this.#say('\n5. transfers: each commit is durable once replica A applied it')
    const moves: [number, number, number][] = [[1, 2, 25], [3, 1, 60], [1, 5, 10]]
    for (const [index, [fromId, toId, amount]] of moves.entries()) {
      const transfer = db.write((tx) => {
        for (const [id, delta] of [[fromId, -amount], [toId, amount]] as const) {
          const oid = tx.findOid('Account', 'accountId', id)
          const account = tx.find<{ balance: number }>('Account', 'accountId', id)
          if (oid === undefined || account === undefined) {
            throw new TandemError('TDB_NOT_FOUND', `no account ${id}`)
          }
          tx.update('Account', oid, { balance: account.balance + delta })
        }
        const at = EPOCH_MS + 10 * 86_400_000 + index * 60_000
        tx.insert('Transfer', { seq: BigInt(index + 1), fromId, toId, amount, at })
      })
      this.#say(`  transfer ${amount} from account ${fromId} to ${toId}: ` +
        `sequencer ${transfer.seq}, durable ${await transfer.durable}`)
    }
  }

  #readIndexes(db: Database, dictionary: Dictionary): void {
    this.#say('\n6. reads through each kind of index')
    db.read((tx) => {
      const three = tx.find('Account', 'accountId', 3)
      this.#say(`  tree exact   Account.accountId = 3      -> ${brief(three)}`)
      const range = [...tx.range('Account', 'accountId', { ge: 2, le: 4 })]
      const inRange = range.map((a) => `${a.id} (${a.owner})`).join(', ')
      this.#say(`  tree range   Account.accountId in 2..4  -> ids ${inRange}`)
      const ada = tx.findAll('Account', 'owner', 'ada')
      const adaIds = ada.map((a) => a.id).join(', ')
      this.#say(`  tree (dup)   Account.owner = 'ada'      -> ids ${adaIds}`)
      const fromOne = [...tx.range('Transfer', 'fromAccount', { ge: [1, 0], lt: [2, 0] })]
      this.#say(`  tree (pair)  Transfer.fromAccount from 1 -> amounts ` +
        `${fromOne.map((t) => t.amount).join(', ')}`)
      this.#readHashIndexes(tx, dictionary)
      const listed = [...tx.cursor('Account', 'list')].map((a) => a.id)
      this.#say(`  list         Account (every object)     -> ids ${listed.join(', ')}`)
      this.#expect(three?.owner === 'alan' && range.length === 3 && ada.length === 2 &&
        fromOne.length === 2 && listed.length === 5, 'every index finds what was written')
    })
  }

  /** A `hash<>` index is read with an exact-match find on the key of an existing object. */
  #readHashIndexes(tx: ReadTransaction, dictionary: Dictionary): void {
    let shown = 0
    for (const cls of dictionary.classes) {
      for (const index of cls.indexes) {
        if (index.kind !== 'hash') continue
        const sample = tx.cursor(cls.name, index.name)
        if (!sample.first()) continue
        const object = sample.value()
        const key = index.keys.map((k) => valueAt(object, k.path))
        const found = tx.find(cls.name, index.name, key.length === 1 ? key[0] : key)
        this.#say(`  hash         ${cls.name}.${index.name} = ${key.join(', ')} -> ${brief(found)}`)
        shown++
      }
    }
    if (shown === 0) this.#say(`  hash         (${SCHEMA_FILE} declares no hash index)`)
  }

  #rollback(db: Database): void {
    this.#say('\n7. a transaction that fails rolls back whole')
    const seqBefore = db.getSequencer()
    const balanceBefore = db.read((tx) => tx.find('Account', 'accountId', 1)?.balance)
    try {
      db.write((tx) => {
        const oid = tx.findOid('Account', 'accountId', 1)
        if (oid !== undefined) tx.update('Account', oid, { balance: 0 })
        tx.insert('Account', { id: 3, owner: 'mallory', balance: 1e6, opened: EPOCH_MS })
      })
      this.#expect(false, 'inserting a second account 3 is refused')
    } catch (error) {
      const code = error instanceof TandemError ? error.code : String(error)
      this.#say(`  zero account 1, then insert account 3 again -> ${code}`)
      const balanceAfter = db.read((tx) => tx.find('Account', 'accountId', 1)?.balance)
      const count = db.read((tx) => tx.count('Account'))
      this.#expect(code === 'TDB_DUPLICATE_KEY' && balanceAfter === balanceBefore &&
        count === 5 && db.getSequencer() === seqBefore,
        `nothing changed: account 1 still has ${balanceAfter}, ${count} accounts, ` +
        `sequencer still ${db.getSequencer()}`)
    }
  }

  async #refusedOnReplica(): Promise<void> {
    this.#say('\n8. replicas are read-only')
    const [first] = this.#replicas
    if (first === undefined) return
    const read = await first.value<ObjectValues | undefined>('readAccount', { accountId: 3 })
    this.#say(`  ${first.name} reads account 3 -> ${brief(read)}`)
    const reply = await first.request('tryWrite')
    const code = reply.ok ? 'written' : reply.code
    this.#say(`  ${first.name} inserts an account -> ${code}`)
    this.#expect(code === 'TDB_READ_ONLY_REPLICA', 'the write on the replica was refused')
  }

  async #compare(db: Database): Promise<void> {
    this.#say('\n9. sequencers and content hashes')
    const seq = db.getSequencer()
    const hash = db.contentHash()
    this.#say(`  ${'master'.padEnd(27)} sequencer ${seq}  hash ${hash.slice(0, 24)}`)
    for (const replica of this.#replicas) {
      let state = await replica.value<{ seq: bigint; hash: string }>('state')
      // The async replica may still be applying the last commits.
      for (let tries = 0; state.seq < seq && tries < 200; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 25))
        state = await replica.value<{ seq: bigint; hash: string }>('state')
      }
      const same = state.seq === seq && state.hash === hash
      this.#say(`  ${replica.name.padEnd(27)} sequencer ${state.seq}  hash ` +
        `${state.hash.slice(0, 24)}  ${same ? 'equal' : 'DIFFERENT'}`)
      if (!same) this.failures++
    }
  }

  /** The status table, once every replica confirmed what it applied (it does so every 100 ms). */
  async #printStatus(): Promise<void> {
    this.#say('\n10. master status')
    const master = this.#master
    if (master === null) return
    const confirmed = (): boolean =>
      master.status().every((r) => r.confirmedSeq === master.masterStatus().seq)
    for (let tries = 0; !confirmed() && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    for (const line of formatStatus(master.masterStatus())) this.#say(`  ${line}`)
  }

  async #stop(): Promise<void> {
    this.#say('\n11. stop')
    await this.#master?.stop()
    for (const replica of this.#replicas) {
      const { reason } = await replica.event('stopped')
      this.#say(`  ${replica.name} stopped: ${reason}`)
    }
    this.#say('  master stopped; demo done')
  }

  /** Stops whatever is still running and removes the pipe file. */
  async cleanup(): Promise<void> {
    await this.#master?.stop()
    for (const replica of this.#replicas) replica.exit()
    const exited = Promise.all(this.#replicas.map((r) => r.exited))
    const grace = setTimeout(() => this.#replicas.forEach((r) => r.kill()), 3_000)
    await exited
    clearTimeout(grace)
    if (this.#pipePath !== null) rmSync(this.#pipePath, { force: true })
  }
}

/** schema/demo.mco, looked for above this module (it runs from src/ or dist/src/). */
function findSchemaFile(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = path.join(dir, SCHEMA_FILE)
    if (existsSync(candidate)) return candidate
    const parent = path.dirname(dir)
    if (parent === dir) throw new TandemError('TDB_INVALID_ARGUMENT', `${SCHEMA_FILE} not found`)
    dir = parent
  }
}

function describeIndex(index: IndexDef): string {
  switch (index.kind) {
    case 'tree':
    case 'hash':
      return `${index.unique ? 'unique ' : ''}${index.kind} ${index.name}` +
        `<${index.keys.map((k) => k.path.join('.')).join(', ')}>`
    default:
      return index.kind
  }
}

function valueAt(object: ObjectValues, fieldPath: readonly string[]): unknown {
  let value: unknown = object
  for (const name of fieldPath) value = (value as ObjectValues | undefined)?.[name]
  return value
}

/** A short text of an object: its fields except dates. */
function brief(object: ObjectValues | undefined): string {
  if (object === undefined) return 'not found'
  const fields = Object.entries(object).filter(([name]) => name !== 'opened' && name !== 'at')
  return fields.map(([name, value]) => `${name}=${String(value)}`).join(' ')
}


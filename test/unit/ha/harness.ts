/**
 * A small in-memory harness: one MasterCore and several ReplicaCores joined by FIFO queues of
 * encoded frames (every message goes through the codec), a stand-in for the runtime that
 * performs Ready effects on fake databases, and a stand-in async sender that streams change
 * sets to handed-off async replicas. A seeded PRNG picks which queue moves next.
 */
import { decodeMessage, encodeMessage } from '../../../src/ha/codec.js'
import type { MasterCore } from '../../../src/ha/master.js'
import * as M from '../../../src/ha/messages.js'
import type { CommitOutcome } from '../../../src/ha/ready.js'
import type { ReplicaCore } from '../../../src/ha/replica.js'
import { ProtocolError } from '../../../src/errors.js'
import { filterChangeSet } from '../../../src/txn/change-set.js'
import type { CommitRecord } from '../../../src/txn/commit-hook.js'
import { Prng } from '../../../src/util/prng.js'
import type { Notification } from '../../../src/ha/notify.js'
import { FakeDb, makeMaster, makeReplica } from './fixtures.js'
import type { FakeTx } from './fixtures.js'
import type { MasterOptions } from '../../../src/ha/master-config.js'
import type { ReplicaOptions } from '../../../src/ha/replica-config.js'

interface Node {
  readonly conn: number
  readonly core: ReplicaCore
  readonly db: FakeDb
  readonly toMaster: Uint8Array[]
  readonly toReplica: Uint8Array[]
  readonly notifications: Notification[]
  asyncSentSeq: bigint | null
  asyncSkip: readonly number[]
  open: boolean
}

export class Cluster {
  readonly master: MasterCore
  readonly masterDb: FakeDb
  readonly nodes = new Map<number, Node>()
  readonly records: CommitRecord[] = []
  readonly outcomes: CommitOutcome[] = []
  readonly prng: Prng
  nowMs = 0

  constructor(options: Partial<MasterOptions> = {}, seed = 1, masterDb = new FakeDb()) {
    const built = makeMaster(options, masterDb)
    this.master = built.master
    this.masterDb = built.db
    this.prng = new Prng(seed)
  }

  /** Connects a replica with `db` (a fresh one by default) and starts its attach session. */
  addReplica(
    conn: number,
    options: Partial<ReplicaOptions> = {},
    db: FakeDb = new FakeDb([]),
    generation = 0,
  ): Node {
    const core = makeReplica(options, { seq: db.seq, generation })
    core.step({ kind: 'tick', nowMs: this.nowMs })
    const node: Node = {
      conn,
      core,
      db,
      toMaster: [],
      toReplica: [],
      notifications: [],
      asyncSentSeq: null,
      asyncSkip: [],
      open: true,
    }
    this.nodes.set(conn, node)
    this.master.step({ kind: 'connected', conn, channel: `:mem:${conn}` })
    core.step({ kind: 'connected' })
    return node
  }

  /** The link of `conn` breaks: both sides hear of it, frames in flight are lost. */
  breakLink(conn: number): void {
    const node = this.nodes.get(conn)
    if (node === undefined || !node.open) return
    node.open = false
    node.toMaster.length = 0
    node.toReplica.length = 0
    this.master.step({ kind: 'disconnected', conn, code: 'TDB_CONNECTION_BROKEN' })
    node.core.step({ kind: 'disconnected', code: 'TDB_CONNECTION_BROKEN' })
  }

  /** Starts a new attach session for the database of `oldConn`, as connection `newConn`. */
  reattach(oldConn: number, newConn: number, options: Partial<ReplicaOptions> = {}): Node {
    const old = this.nodes.get(oldConn)
    if (old === undefined) throw new Error(`no node ${oldConn}`)
    this.breakLink(oldConn)
    this.#drainEffects()
    this.nodes.delete(oldConn)
    return this.addReplica(newConn, options, old.db)
  }

  commit(build: (tx: FakeTx) => void): CommitRecord {
    this.master.checkWrite()
    const record = this.masterDb.commit(build)
    this.records.push(record)
    this.master.step({ kind: 'committed', record })
    return record
  }

  tick(ms: number): void {
    this.nowMs += ms
    this.master.step({ kind: 'tick', nowMs: this.nowMs })
    for (const node of this.nodes.values()) node.core.step({ kind: 'tick', nowMs: this.nowMs })
  }

  /** Moves effects and messages until nothing moves (at most `steps` deliveries). */
  run(steps = 100_000): void {
    for (let i = 0; i < steps; i++) {
      this.#drainEffects()
      const queues = this.#nonEmptyQueues()
      if (queues.length === 0) return
      const pick = queues[this.prng.nextInt(queues.length)]
      pick?.()
    }
    throw new Error('the cluster did not settle')
  }

  #nonEmptyQueues(): (() => void)[] {
    const moves: (() => void)[] = []
    for (const node of this.nodes.values()) {
      if (node.toReplica.length > 0) moves.push(() => this.#deliverToReplica(node))
      if (node.toMaster.length > 0) moves.push(() => this.#deliverToMaster(node))
    }
    return moves
  }

  #deliverToReplica(node: Node): void {
    const message = decodeMessage(node.toReplica.shift() as Uint8Array)
    if (message instanceof ProtocolError) throw message
    node.core.step({ kind: 'received', message })
  }

  #deliverToMaster(node: Node): void {
    const message = decodeMessage(node.toMaster.shift() as Uint8Array)
    if (message instanceof ProtocolError) throw message
    this.master.step({ kind: 'received', conn: node.conn, message })
  }

  #drainEffects(): void {
    for (let moved = true; moved; ) {
      moved = false
      while (this.master.hasReady()) {
        moved = true
        this.#performMaster()
      }
      for (const node of this.nodes.values()) {
        while (node.core.hasReady()) {
          moved = true
          this.#performReplica(node)
        }
      }
      moved = this.#runAsyncSender() || moved
    }
  }

  #performMaster(): void {
    const ready = this.master.ready()
    for (const { conn, message } of ready.messages) {
      const node = this.nodes.get(conn)
      if (node?.open === true) node.toReplica.push(encodeMessage(message))
    }
    for (const handoff of ready.asyncStreams) {
      const node = this.nodes.get(handoff.conn)
      if (node === undefined) continue
      node.asyncSentSeq = handoff.fromSeq
      node.asyncSkip = handoff.skipClassIds
    }
    for (const conn of ready.closes) {
      const node = this.nodes.get(conn)
      if (node?.open !== true) continue
      node.open = false
      // The replica reads what was queued before the close, then sees the channel end.
      for (const frame of node.toReplica.splice(0)) {
        const message = decodeMessage(frame)
        if (!(message instanceof ProtocolError)) node.core.step({ kind: 'received', message })
      }
      node.core.step({ kind: 'disconnected', code: 'TDB_CONNECTION_BROKEN' })
    }
    this.outcomes.push(...ready.commitOutcomes)
    this.master.advance(ready)
  }

  #performReplica(node: Node): void {
    const ready = node.core.ready()
    const answers: bigint[] = []
    for (const effect of ready.applies) {
      const seq = node.db.perform(effect)
      if (seq !== null) answers.push(seq)
    }
    if (node.open) for (const message of ready.messages) node.toMaster.push(encodeMessage(message))
    node.notifications.push(...ready.notifications)
    node.core.advance(ready)
    if (ready.close && node.open) {
      node.open = false
      node.toReplica.length = 0
      this.master.step({ kind: 'disconnected', conn: node.conn, code: null })
    }
    for (const seq of answers) node.core.step({ kind: 'applied', seq })
  }

  /** The runtime's async sender: every change set after the handoff point, in order. */
  #runAsyncSender(): boolean {
    let moved = false
    for (const node of this.nodes.values()) {
      if (node.asyncSentSeq === null || !node.open) continue
      for (const record of this.records) {
        if (record.seq <= node.asyncSentSeq) continue
        const skip = node.asyncSkip
        const changeSet = filterChangeSet(record.changeSet, (id) => skip.includes(id))
        const change = M.Change.create({ seq: record.seq, changeSet, ack: false })
        node.toReplica.push(encodeMessage(change))
        node.asyncSentSeq = record.seq
        moved = true
      }
    }
    return moved
  }
}

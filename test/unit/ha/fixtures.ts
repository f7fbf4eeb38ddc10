/**
 * Fixtures for the ha unit tests: a fake database over a Map (master view and replica
 * target), core builders, and helpers that step a core and take its Ready.
 */
import { encodeChangeSet, decodeChangeSet } from '../../../src/txn/change-set.js'
import type { ChangeOp } from '../../../src/txn/change-set.js'
import type { CommitRecord } from '../../../src/txn/commit-hook.js'
import type { DatabaseView, ScanKey } from '../../../src/ha/database-view.js'
import { compareScanKeys } from '../../../src/ha/database-view.js'
import { MasterCore } from '../../../src/ha/master.js'
import { masterConfig } from '../../../src/ha/master-config.js'
import type { MasterOptions } from '../../../src/ha/master-config.js'
import * as M from '../../../src/ha/messages.js'
import type { ClassInfo, Message } from '../../../src/ha/messages.js'
import type { MasterReady, ReplicaApply, ReplicaReady } from '../../../src/ha/ready.js'
import { ReplicaCore } from '../../../src/ha/replica.js'
import { replicaConfig } from '../../../src/ha/replica-config.js'
import type { ReplicaOptions } from '../../../src/ha/replica-config.js'

/** Classes 1 and 2 replicated, class 3 local (on the master's side). */
export const MASTER_CLASSES: readonly ClassInfo[] = [
  { id: 1, shapeHash: 'h1', local: false },
  { id: 2, shapeHash: 'h2', local: false },
  { id: 3, shapeHash: 'h3', local: true },
]

/** The same shapes; class 3 not local on the replica. */
export const REPLICA_CLASSES: readonly ClassInfo[] = [
  { id: 1, shapeHash: 'h1', local: false },
  { id: 2, shapeHash: 'h2', local: false },
  { id: 3, shapeHash: 'h3', local: false },
]

interface StoredObject {
  classId: number
  rid: number
  values: readonly unknown[]
}

/**
 * A database over a Map: the master's DatabaseView (scan in (classId, rid) order, rids
 * reused lowest-first so inserts can land behind a scan) and a replica's apply target.
 */
export class FakeDb implements DatabaseView {
  readonly objects = new Map<number, StoredObject>()
  readonly localIds: ReadonlySet<number>
  seq = 0n
  memorySizeBytes = 1 << 20
  #nextOid = 1

  constructor(localIds: Iterable<number> = [3]) {
    this.localIds = new Set(localIds)
  }

  getSequencer(): bigint {
    return this.seq
  }

  scan(from: ScanKey | null, maxObjects: number): { ops: ChangeOp[]; next: ScanKey | null } {
    const sorted = [...this.objects.entries()]
      .map(([oid, o]) => ({ oid, ...o }))
      .filter((o) => from === null || compareScanKeys(o, from) >= 0)
      .sort(compareScanKeys)
    const taken = sorted.slice(0, maxObjects)
    const ops: ChangeOp[] = taken.map((o) => [1, o.classId, o.oid, o.rid, o.values])
    const rest = sorted[maxObjects]
    return { ops, next: rest === undefined ? null : { classId: rest.classId, rid: rest.rid } }
  }

  slotHighWater(classId: number): number {
    let highWater = 0
    for (const o of this.objects.values()) {
      if (o.classId === classId) highWater = Math.max(highWater, o.rid + 1)
    }
    return highWater
  }

  objectCount(classId: number): number {
    return [...this.objects.values()].filter((o) => o.classId === classId).length
  }

  /** Runs one write "transaction" of ops built by `build`; returns its commit record. */
  commit(build: (tx: FakeTx) => void): CommitRecord {
    const tx = new FakeTx(this)
    build(tx)
    this.seq += 1n
    const changeSet = encodeChangeSet({ seq: this.seq, ops: tx.ops })
    const hasLocal = tx.ops.some((op) => this.localIds.has(op[1]))
    return { seq: this.seq, changeSet, hasLocal, origin: 'local', policy: 'no-sync' }
  }

  /** Inserts `count` objects of `classId` in one commit. */
  insertMany(classId: number, count: number): CommitRecord {
    return this.commit((tx) => {
      for (let i = 0; i < count; i++) tx.insert(classId, [`v${i}`])
    })
  }

  allocateOid(): number {
    return this.#nextOid++
  }

  freeRid(classId: number): number {
    const objects = [...this.objects.values()]
    const used = new Set(objects.filter((o) => o.classId === classId).map((o) => o.rid))
    let rid = 0
    while (used.has(rid)) rid += 1
    return rid
  }

  /** The replica side: what a ReplicaApply effect does to an engine. */
  perform(effect: ReplicaApply): bigint | null {
    switch (effect.kind) {
      case 'clear':
        this.objects.clear()
        this.seq = 0n
        return null
      case 'loadObjects':
        for (const op of effect.ops) this.#applyOp(op, effect.skipClassIds)
        return null
      case 'applyChangeSet': {
        const changeSet = decodeChangeSet(effect.changeSet)
        if (changeSet.seq <= this.seq) throw new Error(`apply ${changeSet.seq} after ${this.seq}`)
        for (const op of changeSet.ops) this.#applyOp(op, effect.skipClassIds)
        this.seq = changeSet.seq
        return changeSet.seq
      }
      case 'setSequencer':
        this.seq = effect.seq
        return effect.seq
      case 'extend':
        this.memorySizeBytes += effect.bytes
        return null
    }
  }

  #applyOp(op: ChangeOp, skip: readonly number[]): void {
    if (skip.includes(op[1])) return
    if (op[0] === 1) {
      if (this.objects.has(op[2])) throw new Error(`insert of existing oid ${op[2]}`)
      this.objects.set(op[2], { classId: op[1], rid: this.freeRid(op[1]), values: op[4] })
    } else if (op[0] === 2) {
      const existing = this.objects.get(op[2])
      if (existing === undefined) throw new Error(`update of missing oid ${op[2]}`)
      existing.values = op[4]
    } else {
      if (!this.objects.delete(op[2])) throw new Error(`delete of missing oid ${op[2]}`)
    }
  }

  /** The content of the given classes, canonical, for convergence checks. */
  content(classIds: readonly number[]): string {
    const rows = [...this.objects.entries()]
      .filter(([, o]) => classIds.includes(o.classId))
      .map(([oid, o]) => [oid, o.classId, o.values] as const)
      .sort((a, b) => a[0] - b[0])
    return JSON.stringify(rows)
  }
}

/** The ops of one fake write transaction, applied to the db as they are made. */
export class FakeTx {
  readonly ops: ChangeOp[] = []
  readonly #db: FakeDb

  constructor(db: FakeDb) {
    this.#db = db
  }

  insert(classId: number, values: readonly unknown[], rid?: number): number {
    const oid = this.#db.allocateOid()
    const slot = rid ?? this.#db.freeRid(classId)
    this.#db.objects.set(oid, { classId, rid: slot, values })
    this.ops.push([1, classId, oid, slot, values])
    return oid
  }

  update(oid: number, values: readonly unknown[]): void {
    const object = this.#db.objects.get(oid)
    if (object === undefined) throw new Error(`no oid ${oid}`)
    object.values = values
    this.ops.push([2, object.classId, oid, object.rid, values])
  }

  remove(oid: number): void {
    const object = this.#db.objects.get(oid)
    if (object === undefined) throw new Error(`no oid ${oid}`)
    this.#db.objects.delete(oid)
    this.ops.push([3, object.classId, oid, object.rid])
  }
}

export function makeMaster(
  options: Partial<MasterOptions> = {},
  db: FakeDb = new FakeDb(),
): { master: MasterCore; db: FakeDb } {
  const config = masterConfig({ classes: MASTER_CLASSES, ...options })
  return { master: new MasterCore(config, db, { nowMs: 0 }), db }
}

export function makeReplica(
  options: Partial<ReplicaOptions> = {},
  start: { seq: bigint; generation: number } = { seq: 0n, generation: 0 },
): ReplicaCore {
  const config = replicaConfig({ dbName: 'rpl', classes: REPLICA_CLASSES, ...options })
  return new ReplicaCore(config, { ...start, nowMs: 0 })
}

/** An Attach as a replica would send it. */
export function attach(fields: Partial<Omit<M.Attach, 'kind'>> = {}): M.Attach {
  return M.Attach.create({
    protocolVersion: M.PROTOCOL_VERSION,
    dbName: 'rpl',
    classes: REPLICA_CLASSES,
    filter: true,
    seq: 0n,
    generation: 0,
    forceSync: false,
    ...fields,
  })
}

/** Takes and advances a master's Ready. */
export function takeMaster(master: MasterCore): MasterReady {
  const ready = master.ready()
  master.advance(ready)
  return ready
}

/** Takes and advances a replica's Ready. */
export function takeReplica(replica: ReplicaCore): ReplicaReady {
  const ready = replica.ready()
  replica.advance(ready)
  return ready
}

/** The messages of a master Ready to one connection. */
export function sentTo(ready: MasterReady, conn: number): Message[] {
  return ready.messages.filter((m) => m.conn === conn).map((m) => m.message)
}

export function kinds(messages: readonly Message[]): string[] {
  return messages.map((m) => m.kind)
}

/** Notification names of a master Ready for one connection. */
export function masterNotes(ready: MasterReady, conn: number): string[] {
  return ready.notifications.filter((n) => n.conn === conn).map((n) => n.notification.name)
}

/**
 * Connects `conn` and attaches it with `fields`; returns the master's Ready of the attach.
 * The master must be ticked to `nowMs` by the caller if time matters.
 */
export function attachReplica(
  master: MasterCore,
  conn: number,
  fields: Partial<Omit<M.Attach, 'kind'>> = {},
): MasterReady {
  master.step({ kind: 'connected', conn, channel: `:mem:${conn}` })
  master.step({ kind: 'received', conn, message: attach(fields) })
  return takeMaster(master)
}

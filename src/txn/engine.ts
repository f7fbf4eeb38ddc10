/**
 * The in-memory engine: the object store, the single writer, the sequencer and the commit
 * hooks. Write transactions are synchronous functions run one at a time; any throw rolls the
 * whole transaction back exactly (data, heap, indexes, oid counter, memory accounting). A
 * commit takes the next sequencer value, encodes its change set once and hands one
 * CommitRecord to every hook, in order. With no hook (a database with neither log nor
 * replication) no change set is built at all: nobody would read it. The log, replication
 * and benchmarks code against this class.
 *
 * @example
 * const engine = new Engine({ dictionary })
 * const { value: oid, seq } = engine.write((tx) => tx.insert('Item', { key: 1, name: 'a' }))
 * const item = engine.read((tx) => tx.find('Item', 'byKey', 1))
 */
import { createHash } from 'node:crypto'
import { Packr } from 'msgpackr'
import { ProtocolError, TandemError, TxnError } from '../errors.js'
import type { Dictionary } from '../schema/dictionary.js'
import { DEFAULT_MEMORY_BYTES } from '../store/memory-device.js'
import { ObjectStore, type ClassStore } from '../store/object-store.js'
import { assert } from '../util/assert.js'
import type { ReadTransaction, WriteOptions, WriteResult, WriteTransaction } from './api.js'
import { decodeChangeSet, encodeChangeSet, type ChangeOp } from './change-set.js'
import type { CommitHook, CommitPolicy, CommitRecord, CommitStatus } from './commit-hook.js'
import { defaultIndexFactory } from './index-factory.js'
import { normalizeInsert, ReadTx, WriteTx, type ChangeLog } from './transaction.js'

export interface EngineOptions {
  dictionary: Dictionary
  /** The memory size in bytes (default 64 MiB). */
  memorySize?: number
  /** The commit policy of writes that name none (default 'no-sync'). */
  defaultPolicy?: CommitPolicy
}

/** A place in scan order: the next object read is the first with (classId, rid) >= it. */
export type ScanPosition = { readonly classId: number; readonly rid: number }

const COMMIT_POLICIES: readonly CommitPolicy[] = ['sync-flush', 'delayed', 'buffered', 'no-sync']

// The content hash encodes objects the way change sets do, so equal content hashes equal.
const hashPackr = new Packr({ useRecords: false, int64AsType: 'bigint', moreTypes: false })

/** What `write` returns; `durable` is made on first read. */
class CommitResult<T> implements WriteResult<T> {
  readonly value: T
  readonly seq: bigint
  readonly #engine: Engine
  #durable: Promise<CommitStatus> | null = null

  constructor(engine: Engine, value: T, seq: bigint) {
    this.#engine = engine
    this.value = value
    this.seq = seq
  }

  get durable(): Promise<CommitStatus> {
    this.#durable ??= this.#engine.whenDurable(this.seq)
    return this.#durable
  }
}

function isThenable(value: unknown): boolean {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}

export class Engine {
  readonly dictionary: Dictionary
  readonly defaultPolicy: CommitPolicy
  readonly #store: ObjectStore
  #sequencer = 0n
  #hooks: CommitHook[] = []
  #writing = false
  #reading = 0
  #closed = false
  #changes: ChangeLog = { ops: [], hasLocal: false, recording: false }

  constructor(options: EngineOptions) {
    const policy = options.defaultPolicy ?? 'no-sync'
    if (!COMMIT_POLICIES.includes(policy)) {
      throw new TandemError('TDB_INVALID_ARGUMENT', `unknown commit policy ${String(policy)}`)
    }
    this.dictionary = options.dictionary
    this.defaultPolicy = policy
    this.#store = new ObjectStore({
      dictionary: options.dictionary,
      memorySize: options.memorySize ?? DEFAULT_MEMORY_BYTES,
      indexFactory: defaultIndexFactory,
    })
  }

  /** Runs `fn` as one write transaction and commits it (see the class comment). */
  write<T>(fn: (tx: WriteTransaction) => T, options?: WriteOptions): WriteResult<T> {
    this.#checkOpen()
    if (this.#writing) {
      throw new TxnError('TDB_TXN_NESTED', 'a write transaction is already running')
    }
    if (this.#reading > 0) {
      throw new TxnError('TDB_TXN_ACCESS', 'a write cannot start inside a read transaction')
    }
    const policy = options?.policy ?? this.defaultPolicy
    for (const hook of this.#hooks) hook.checkWrite?.()
    const tx = new WriteTx(this.#store, this.#changes)
    this.#begin()
    let value: T
    try {
      value = fn(tx)
      if (isThenable(value)) {
        throw new TxnError(
          'TDB_TXN_ASYNC',
          'the write function returned a promise; it must be synchronous',
        )
      }
    } catch (error) {
      tx.end()
      this.#rollback()
      throw error
    } finally {
      this.#writing = false
    }
    tx.end()
    if (!this.#store.dirty) return new CommitResult(this, value, this.#sequencer)
    const seq = this.#commit(policy, 'local')
    return new CommitResult(this, value, seq)
  }

  #begin(): void {
    assert(!this.#store.dirty, 'a write began over uncommitted store changes')
    assert(this.#changes.ops.length === 0, 'a write began over uncommitted ops')
    this.#writing = true
    this.#changes.recording = this.#hooks.length > 0
  }

  #rollback(): void {
    this.#store.rollbackTo(0)
    this.#changes.ops = []
    this.#changes.hasLocal = false
  }

  /** Commits the current changes as the next sequencer value (or `seq` for replicated ones). */
  #commit(policy: CommitPolicy, origin: 'local'): bigint {
    const changes = this.#changes
    this.#store.commit()
    const seq = this.#sequencer + 1n
    this.#sequencer = seq
    if (!changes.recording) return seq
    assert(changes.ops.length > 0, 'a recorded commit without ops')
    const ops = changes.ops
    const hasLocal = changes.hasLocal
    changes.ops = []
    changes.hasLocal = false
    const changeSet = encodeChangeSet({ seq, ops })
    this.#notify({ seq, changeSet, hasLocal, origin, policy })
    return seq
  }

  #notify(record: CommitRecord): void {
    const hooks = this.#hooks
    for (let i = 0; i < hooks.length; i++) (hooks[i] as CommitHook).onCommit(record)
  }

  /** Runs `fn` as a read transaction. */
  read<T>(fn: (tx: ReadTransaction) => T): T {
    this.#checkOpen()
    const tx = new ReadTx(this.#store, this.#writing)
    this.#reading++
    try {
      const value = fn(tx)
      if (isThenable(value)) {
        throw new TxnError(
          'TDB_TXN_ASYNC',
          'the read function returned a promise; it must be synchronous',
        )
      }
      return value
    } finally {
      this.#reading--
      tx.end()
    }
  }

  getSequencer(): bigint {
    return this.#sequencer
  }

  setSequencer(seq: bigint): void {
    this.#checkOpen()
    if (typeof seq !== 'bigint' || seq < 0n) {
      const shown = String(seq)
      throw new TandemError('TDB_INVALID_ARGUMENT', `sequencer must be a bigint >= 0, got ${shown}`)
    }
    this.#checkIdle('setSequencer')
    this.#sequencer = seq
    for (const hook of this.#hooks) hook.onSetSequencer?.(seq)
  }

  /** Adds a commit hook (not inside a transaction); returns the function that removes it. */
  addHook(hook: CommitHook): () => void {
    this.#checkIdle('addHook')
    this.#hooks = [...this.#hooks, hook]
    return () => {
      this.#hooks = this.#hooks.filter((item) => item !== hook)
    }
  }

  /**
   * Applies a change set produced elsewhere (a master; the log on recovery) as ONE
   * transaction, atomically: on any failure nothing changes and it throws. Ops of classes for
   * which isLocal(classId) holds are skipped. Sets the sequencer to the change set's seq, which
   * must be > the current one (ProtocolError TDB_PROTOCOL otherwise). Calls hooks' onCommit
   * with origin 'replicated' unless notifyHooks === false (recovery). Does NOT call checkWrite.
   */
  applyChangeSet(
    bytes: Uint8Array,
    options?: { isLocal?: (classId: number) => boolean; notifyHooks?: boolean },
  ): bigint {
    this.#checkOpen()
    this.#checkIdle('applyChangeSet')
    const changeSet = decodeChangeSet(bytes)
    if (changeSet.seq <= this.#sequencer) {
      throw new ProtocolError(
        'TDB_PROTOCOL',
        `change set seq ${changeSet.seq} is not after the sequencer ${this.#sequencer}`,
        { seq: changeSet.seq, sequencer: this.#sequencer },
      )
    }
    const hasLocal = this.#applyOps(changeSet.ops, options?.isLocal, false)
    this.#sequencer = changeSet.seq
    if (options?.notifyHooks !== false) {
      const policy = this.defaultPolicy
      this.#notify({ seq: changeSet.seq, changeSet: bytes, hasLocal, origin: 'replicated', policy })
    }
    return changeSet.seq
  }

  /**
   * Applies ops from elsewhere (a master, the log, a snapshot) as one atomic unit, skipping
   * the classes `isLocal` names; any failure rolls all of them back. Returns whether an op
   * was on a class that is local here.
   */
  #applyOps(
    ops: readonly ChangeOp[],
    isLocal: ((classId: number) => boolean) | undefined,
    insertsOnly: boolean,
  ): boolean {
    let hasLocal = false
    this.#begin()
    try {
      for (const op of ops) {
        if (insertsOnly && op[0] !== 1) {
          throw new ProtocolError('TDB_PROTOCOL', `loadObjects takes insert ops, got kind ${op[0]}`)
        }
        const owner = this.#opClass(op)
        if (owner.def.local) hasLocal = true
        if (isLocal !== undefined && isLocal(op[1])) continue
        this.#applyOp(owner, op)
      }
    } catch (error) {
      this.#rollback()
      throw error
    } finally {
      this.#writing = false
    }
    this.#store.commit()
    return hasLocal
  }

  #opClass(op: ChangeOp): ClassStore {
    const owner = this.#store.classes[op[1]]
    if (owner === undefined) {
      throw new ProtocolError('TDB_PROTOCOL', `change set names unknown class ${op[1]}`)
    }
    return owner
  }

  #applyOp(owner: ClassStore, op: ChangeOp): void {
    const store = this.#store
    const oid = op[2]
    if (oid <= 0) throw new ProtocolError('TDB_PROTOCOL', `change set names oid ${oid}`)
    if (op[0] === 1) {
      if (store.oidMap.has(oid)) {
        throw new ProtocolError('TDB_PROTOCOL', `change set inserts oid ${oid}, which exists`)
      }
      store.insert(owner, oid, this.#opValues(owner, op[4]))
      return
    }
    const rid = store.oidMap.ridIn(oid, owner.id)
    if (rid < 0) {
      const name = owner.def.name
      const message = `change set changes ${name} oid ${oid}, which does not exist`
      throw new ProtocolError('TDB_PROTOCOL', message)
    }
    if (op[0] === 3) return store.remove(owner, rid)
    store.update(owner, rid, owner.allFields, this.#opValues(owner, op[4]))
  }

  /** Checks the values of an op (field order) and returns their canonical form. */
  #opValues(owner: ClassStore, values: readonly unknown[]): unknown[] {
    const fields = owner.layout.fields
    if (values.length !== fields.length) {
      const counts = `${values.length} values for ${fields.length} fields`
      throw new ProtocolError('TDB_PROTOCOL', `${owner.def.name}: an op has ${counts}`)
    }
    return fields.map((field, i) => {
      const value = values[i] ?? null
      return owner.layout.normalizeField(field, value === null ? null : field.type.revive(value))
    })
  }

  /**
   * Up to maxObjects objects in scan order (class id, then rid) from `from` (null = start), as
   * insert ops [1, classId, oid, rid, values]; next = position after the last one, or null at
   * the end. Pure read.
   */
  scan(
    from: ScanPosition | null,
    maxObjects: number,
  ): { ops: ChangeOp[]; next: ScanPosition | null } {
    this.#checkOpen()
    if (!Number.isSafeInteger(maxObjects) || maxObjects <= 0) {
      const message = `scan: maxObjects must be a positive integer, got ${maxObjects}`
      throw new TandemError('TDB_INVALID_ARGUMENT', message)
    }
    const ops: ChangeOp[] = []
    for (const owner of this.#store.classList) {
      if (from !== null && owner.id < from.classId) continue
      const slots = owner.slots
      const start = from !== null && owner.id === from.classId ? from.rid : 0
      for (let rid = start; rid < slots.highWater; rid++) {
        const oid = slots.oidAt(rid)
        if (oid === 0) continue
        if (ops.length === maxObjects) return { ops, next: { classId: owner.id, rid } }
        ops.push([1, owner.id, oid, rid, this.#store.readValues(owner, rid)])
      }
    }
    return { ops, next: null }
  }

  /** A rid bound of a class: every object of it stored now is at a rid below it. */
  slotHighWater(classId: number): number {
    return this.#classById(classId, 'slotHighWater').slots.highWater
  }

  #classById(classId: number, caller: string) {
    this.#checkOpen()
    const owner = this.#store.classList.find((candidate) => candidate.id === classId)
    if (owner === undefined) {
      throw new TandemError('TDB_INVALID_ARGUMENT', `${caller}: no class with id ${classId}`)
    }
    return owner
  }

  /** The number of objects of a class stored now. */
  objectCount(classId: number): number {
    return this.#classById(classId, 'objectCount').slots.liveCount
  }

  /**
   * Inserts objects from a scan or snapshot (keeping their oids); not a commit: no sequencer
   * change, no hooks. Atomic per call.
   */
  loadObjects(ops: readonly ChangeOp[], isLocal?: (classId: number) => boolean): void {
    this.#checkOpen()
    this.#checkIdle('loadObjects')
    this.#applyOps(ops, isLocal, true)
  }

  /** Removes every object (start of a full load); keeps the sequencer. Tells the hooks. */
  clear(): void {
    this.#checkOpen()
    this.#checkIdle('clear')
    this.#store.clear()
    for (const hook of this.#hooks) hook.onClear?.()
  }

  /** Raises the memory size by `bytes` and tells the hooks. */
  extend(bytes: number): void {
    this.#checkOpen()
    this.#store.device.budget.extend(bytes)
    for (const hook of this.#hooks) hook.onExtend?.(bytes)
  }

  get memory(): { readonly sizeBytes: number; readonly usedBytes: number } {
    const budget = this.#store.device.budget
    return { sizeBytes: budget.sizeBytes, usedBytes: budget.usedBytes }
  }

  /**
   * A hash (hex) of the logical content: every object (class, oid, values) in (class, oid)
   * order. Classes for which `isLocal(classId)` holds are left out (to compare a master with
   * a replica that keeps local classes of its own).
   */
  contentHash(isLocal?: (classId: number) => boolean): string {
    this.#checkOpen()
    const hash = createHash('sha256')
    for (const owner of this.#store.classList) {
      if (isLocal !== undefined && isLocal(owner.id)) continue
      const slots = owner.slots
      const live: number[] = []
      for (let rid = 0; rid < slots.highWater; rid++) if (slots.oidAt(rid) !== 0) live.push(rid)
      live.sort((a, b) => slots.oidAt(a) - slots.oidAt(b))
      for (const rid of live) {
        const values = this.#store.readValues(owner, rid)
        hash.update(hashPackr.pack([owner.id, slots.oidAt(rid), values]))
      }
    }
    return hash.digest('hex')
  }

  /** Resolves when every hook's whenDurable(seq) holds ('replica-detached' wins over 'ok'). */
  whenDurable(seq: bigint): Promise<CommitStatus> {
    const waits: Promise<CommitStatus>[] = []
    for (const hook of this.#hooks) {
      if (hook.whenDurable !== undefined) waits.push(hook.whenDurable(seq))
    }
    if (waits.length === 0) return Promise.resolve('ok')
    return Promise.all(waits).then((statuses) =>
      statuses.includes('replica-detached') ? 'replica-detached' : 'ok',
    )
  }

  /** @internal Checks the store's invariants (slots, oid map, index sizes); for tests. */
  checkInvariants(): void {
    this.#checkIdle('checkInvariants')
    this.#store.checkInvariants()
  }

  /** Ends the engine; further use throws TDB_CLOSED. */
  close(): void {
    this.#closed = true
  }

  #checkOpen(): void {
    if (this.#closed) throw new TandemError('TDB_CLOSED', 'the database is closed')
  }

  #checkIdle(what: string): void {
    if (this.#writing || this.#reading > 0) {
      throw new TxnError('TDB_TXN_NESTED', `${what} cannot run inside a transaction`)
    }
  }
}

/**
 * The transaction objects handed to `read` and `write` functions. A read transaction has no
 * write methods at all; both die when their function returns (TDB_TXN_NOT_ACTIVE after). Class
 * and index refs resolve by number straight into arrays, by name through a Map.
 */
import { StoreError, TandemError } from '../errors.js'
import type { IndexPosition, OrderedIndex, SearchKey } from '../store/index-contract.js'
import type { RecordKeyReader } from '../store/key-reader.js'
import type { ClassStore, ObjectStore } from '../store/object-store.js'
import { unknownField } from '../store/record-layout.js'
import type { StoreIndex } from '../store/store-index.js'
import { describeValue } from '../store/value-type.js'
import type {
  ClassRef,
  CompareOp,
  Cursor,
  IndexRef,
  KeyValue,
  ObjectValues,
  Oid,
  RangeOptions,
  ReadTransaction,
  WriteTransaction,
} from './api.js'
import type { ChangeOp } from './change-set.js'
import { checkActive, ListCursor, RidListCursor, TreeCursor, type TxnLife } from './cursor.js'

/** Resolves a class ref; an unknown class is TDB_INVALID_ARGUMENT. */
export function resolveClass(store: ObjectStore, ref: ClassRef): ClassStore {
  const found = typeof ref === 'number' ? store.classes[ref] : store.classNamed(ref)
  if (found === undefined) {
    const shown = JSON.stringify(ref)
    throw new TandemError('TDB_INVALID_ARGUMENT', `no class ${shown} in the dictionary`)
  }
  return found
}

function resolveIndex(owner: ClassStore, ref: IndexRef): StoreIndex {
  const found = typeof ref === 'number' ? owner.indexes[ref] : owner.indexNamed(ref)
  if (found === undefined) {
    const shown = JSON.stringify(ref)
    throw new TandemError('TDB_INVALID_ARGUMENT', `${owner.def.name}: no index ${shown}`)
  }
  return found
}

/** Cursor classes implement Cursor<ObjectValues>; callers name their object type. */
function asCursor<T>(cursor: Cursor<ObjectValues>): Cursor<T> {
  return cursor as unknown as Cursor<T>
}

function wrongIndex(owner: ClassStore, index: StoreIndex, what: string): TandemError {
  return new TandemError(
    'TDB_INVALID_ARGUMENT',
    `${owner.def.name}.${index.def.name}: a ${index.kind} index does not support ${what}`,
  )
}

/** The rid of a live object of `owner` with this oid, or -1. */
function ridOfOid(store: ObjectStore, owner: ClassStore, oid: Oid): number {
  if (!Number.isSafeInteger(oid) || oid <= 0) return -1
  // A slot holding this oid is where the object lives (oids are unique; a free or reused slot
  // holds 0 or another oid), so the slot of the last object found answers find-then-update
  // without a trip through the oid map.
  const hint = owner.ridHint
  if (owner.slots.oidAt(hint) === oid) return hint
  const rid = store.oidMap.ridIn(oid, owner.id)
  if (rid >= 0) owner.ridHint = rid
  return rid
}

export class ReadTx implements ReadTransaction, TxnLife {
  /** @internal False once the transaction function returned (shared with its cursors). */
  active = true
  protected readonly store: ObjectStore
  /** True while a write runs: indexes may change while a range is open. */
  protected readonly mutable: boolean

  constructor(store: ObjectStore, mutable: boolean) {
    this.store = store
    this.mutable = mutable
  }

  /** The life its cursors watch: the transaction itself. */
  protected get life(): TxnLife {
    return this
  }

  /** Ends the transaction: every further use throws TDB_TXN_NOT_ACTIVE. */
  end(): void {
    this.active = false
  }

  get<T = ObjectValues>(cls: ClassRef, oid: Oid): T | undefined {
    checkActive(this.life)
    const owner = resolveClass(this.store, cls)
    const rid = ridOfOid(this.store, owner, oid)
    return rid < 0 ? undefined : (this.store.readObject(owner, rid) as T)
  }

  find<T = ObjectValues>(cls: ClassRef, index: IndexRef, key: KeyValue): T | undefined {
    checkActive(this.life)
    const owner = resolveClass(this.store, cls)
    const rid = this.#findRid(owner, resolveIndex(owner, index), key)
    return rid < 0 ? undefined : (this.store.readObject(owner, rid) as T)
  }

  findOid(cls: ClassRef, index: IndexRef, key: KeyValue): Oid | undefined {
    checkActive(this.life)
    const owner = resolveClass(this.store, cls)
    const rid = this.#findRid(owner, resolveIndex(owner, index), key)
    if (rid < 0) return undefined
    owner.ridHint = rid
    return owner.slots.oidAt(rid)
  }

  #findRid(owner: ClassStore, index: StoreIndex, key: KeyValue): number {
    switch (index.kind) {
      case 'tree':
      case 'hash':
        return index.index.findFirst(index.keys.prepareLookupKey(key, index.def.name))
      case 'autoid':
        return ridOfOid(this.store, owner, key as Oid)
      default:
        throw wrongIndex(owner, index, 'find')
    }
  }

  findAll<T = ObjectValues>(cls: ClassRef, index: IndexRef, key: KeyValue): T[] {
    checkActive(this.life)
    const owner = resolveClass(this.store, cls)
    const found = resolveIndex(owner, index)
    const where = `${owner.def.name}.${found.def.name}`
    const result: T[] = []
    if (found.kind === 'hash') {
      for (const rid of found.index.findAll(found.keys.prepareKey(key, false, where))) {
        result.push(this.store.readObject(owner, rid) as T)
      }
      return result
    }
    if (found.kind === 'autoid') {
      const rid = ridOfOid(this.store, owner, key as Oid)
      return rid < 0 ? result : [this.store.readObject(owner, rid) as T]
    }
    if (found.kind !== 'tree') throw wrongIndex(owner, found, 'findAll')
    const prepared = found.keys.prepareKey(key, true, where)
    for (const position = found.index.seekFirst(prepared, true); position.valid; position.next()) {
      if (found.keys.compareKeyToRecord(prepared, position.rid) !== 0) break
      result.push(this.store.readObject(owner, position.rid) as T)
    }
    return result
  }

  search<T = ObjectValues>(
    cls: ClassRef,
    index: IndexRef,
    op: CompareOp,
    key: KeyValue,
  ): Cursor<T> {
    checkActive(this.life)
    const owner = resolveClass(this.store, cls)
    const found = resolveIndex(owner, index)
    if (found.kind !== 'tree') throw wrongIndex(owner, found, 'search')
    if (op !== 'lt' && op !== 'le' && op !== 'eq' && op !== 'ge' && op !== 'gt') {
      throw new TandemError('TDB_INVALID_ARGUMENT', `search: unknown operator ${describeValue(op)}`)
    }
    const prepared = found.keys.prepareKey(key, true, `${owner.def.name}.${found.def.name}`)
    const cursor = new TreeCursor(this.life, this.store, owner, found.index, found.keys)
    cursor.seek(op, prepared)
    return asCursor<T>(cursor)
  }

  cursor<T = ObjectValues>(cls: ClassRef, index: IndexRef): Cursor<T> {
    checkActive(this.life)
    const owner = resolveClass(this.store, cls)
    const found = resolveIndex(owner, index)
    switch (found.kind) {
      case 'tree':
        return asCursor<T>(new TreeCursor(this.life, this.store, owner, found.index, found.keys))
      case 'hash': {
        const hash = found.index
        return asCursor<T>(new RidListCursor(this.life, this.store, owner, () => hash.all()))
      }
      case 'list':
      case 'autoid':
        return asCursor<T>(new ListCursor(this.life, this.store, owner))
      default:
        throw wrongIndex(owner, found, 'cursors')
    }
  }

  range<T = ObjectValues>(
    cls: ClassRef,
    index: IndexRef,
    options: RangeOptions,
  ): IterableIterator<T> {
    checkActive(this.life)
    const owner = resolveClass(this.store, cls)
    const found = resolveIndex(owner, index)
    if (found.kind !== 'tree') throw wrongIndex(owner, found, 'range')
    const where = `${owner.def.name}.${found.def.name}`
    const bound = (value: KeyValue | undefined): SearchKey | null =>
      value === undefined ? null : found.keys.prepareKey(value, true, where)
    const limit = options.limit ?? Number.POSITIVE_INFINITY
    if (typeof limit !== 'number' || !(limit >= 0)) {
      const shown = describeValue(limit)
      const message = `range: limit must be a number >= 0, got ${shown}`
      throw new TandemError('TDB_INVALID_ARGUMENT', message)
    }
    const bounds: RangeBounds = {
      low: bound(options.ge ?? options.gt),
      lowInclusive: options.ge !== undefined,
      high: bound(options.le ?? options.lt),
      highInclusive: options.le !== undefined,
      reverse: options.reverse === true,
      limit,
    }
    // Nothing changes the index under a read transaction: walk its positions directly. A write
    // transaction may change it between steps, so it walks with a cursor that re-seeks.
    if (!this.mutable) {
      const position = rangeStart(found.index, bounds)
      const walk = new PositionWalk(this.life, this.store, owner, found.keys, position, bounds)
      return walk as unknown as IterableIterator<T>
    }
    const cursor = new TreeCursor(this.life, this.store, owner, found.index, found.keys)
    return walkRange(cursor, found.keys, bounds) as IterableIterator<T>
  }


  count(cls: ClassRef): number {
    checkActive(this.life)
    return resolveClass(this.store, cls).slots.liveCount
  }
}

interface RangeBounds {
  readonly low: SearchKey | null
  readonly lowInclusive: boolean
  readonly high: SearchKey | null
  readonly highInclusive: boolean
  readonly reverse: boolean
  readonly limit: number
}

function* walkRange(
  cursor: TreeCursor,
  keys: { compareKeyToRecord(key: SearchKey, rid: number): number },
  bounds: RangeBounds,
): IterableIterator<ObjectValues> {
  const { low, high, reverse } = bounds
  let on: boolean
  if (!reverse) {
    on = low === null ? cursor.first() : cursor.seek(bounds.lowInclusive ? 'ge' : 'gt', low)
  } else {
    on = high === null ? cursor.last() : cursor.seek(bounds.highInclusive ? 'le' : 'lt', high)
  }
  const stop = reverse ? low : high
  const stopInclusive = reverse ? bounds.lowInclusive : bounds.highInclusive
  let count = 0
  while (on && count < bounds.limit) {
    if (stop !== null) {
      // Compare the stop key against the record: past it (or on it when exclusive) ends the walk.
      const order = keys.compareKeyToRecord(stop, cursor.currentRid) * (reverse ? -1 : 1)
      if (order < 0 || (order === 0 && !stopInclusive)) return
    }
    yield cursor.value()
    count++
    on = reverse ? cursor.prev() : cursor.next()
  }
}

/** The start of a range walk and the bound it stops at. */
function rangeStart(index: OrderedIndex, bounds: RangeBounds): IndexPosition {
  const { low, high } = bounds
  if (bounds.reverse) {
    return high === null ? index.last() : index.seekLast(high, bounds.highInclusive)
  }
  return low === null ? index.first() : index.seekFirst(low, bounds.lowInclusive)
}

const WALK_DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined })

/**
 * A range walk over index positions (read transactions: the index cannot change under it). A
 * plain iterator rather than a generator: no generator object and no resumption per row. When
 * the key has a numeric form the stop bound is one number compared with the record's number.
 */
class PositionWalk implements IterableIterator<ObjectValues> {
  readonly #life: TxnLife
  readonly #store: ObjectStore
  readonly #owner: ClassStore
  readonly #keys: RecordKeyReader
  readonly #position: IndexPosition
  readonly #reverse: boolean
  readonly #stop: SearchKey | null
  /** The stop bound as a number (numeric keys only), else NaN. */
  readonly #stopNumber: number
  readonly #stopInclusive: boolean
  readonly #limit: number
  #count = 0
  #started = false

  constructor(
    life: TxnLife,
    store: ObjectStore,
    owner: ClassStore,
    keys: RecordKeyReader,
    position: IndexPosition,
    bounds: RangeBounds,
  ) {
    this.#life = life
    this.#store = store
    this.#owner = owner
    this.#keys = keys
    this.#position = position
    this.#reverse = bounds.reverse
    const stop = bounds.reverse ? bounds.low : bounds.high
    this.#stop = stop
    const numeric = keys.numericSearchKey !== undefined && stop !== null && stop.length === 1
    this.#stopNumber = numeric ? keys.numericSearchKey(stop) : Number.NaN
    this.#stopInclusive = bounds.reverse ? bounds.lowInclusive : bounds.highInclusive
    this.#limit = bounds.limit
  }

  [Symbol.iterator](): IterableIterator<ObjectValues> {
    return this
  }

  next(): IteratorResult<ObjectValues> {
    if (this.#count >= this.#limit) return WALK_DONE
    checkActive(this.#life)
    const position = this.#position
    if (this.#started) {
      if (this.#reverse) position.prev()
      else position.next()
    }
    this.#started = true
    if (!position.valid) return this.#finish()
    const rid = position.rid
    if (this.#stop !== null && this.#pastStop(rid)) return this.#finish()
    this.#count++
    return { done: false, value: this.#store.readObject(this.#owner, rid) }
  }

  return(): IteratorResult<ObjectValues> {
    return this.#finish()
  }

  /** Ends the walk for good (a later `next` stays done). */
  #finish(): IteratorResult<ObjectValues> {
    this.#count = this.#limit
    return WALK_DONE
  }

  /** True when the record is past the stop bound (or on it when the bound is exclusive). */
  #pastStop(rid: number): boolean {
    let order: number
    const stopNumber = this.#stopNumber
    if (stopNumber === stopNumber) {
      const number = (this.#keys.numericKey as (rid: number) => number)(rid)
      order = stopNumber < number ? -1 : stopNumber > number ? 1 : 0
    } else {
      order = this.#keys.compareKeyToRecord(this.#stop as SearchKey, rid)
    }
    if (this.#reverse) order = -order
    return order < 0 || (order === 0 && !this.#stopInclusive)
  }
}

/** The change log of a write transaction: its ops, in order. */
export interface ChangeLog {
  ops: ChangeOp[]
  hasLocal: boolean
  /** False when no hook listens: then no ops are built (nobody would read the change set). */
  recording: boolean
}

export class WriteTx extends ReadTx implements WriteTransaction {
  readonly #changes: ChangeLog

  constructor(store: ObjectStore, changes: ChangeLog) {
    super(store, true)
    this.#changes = changes
  }


  insert(cls: ClassRef, values: ObjectValues): Oid {
    checkActive(this.life)
    const owner = resolveClass(this.store, cls)
    const canonical = normalizeInsert(owner, values)
    const oid = this.store.nextOid
    const rid = this.store.insert(owner, oid, canonical)
    if (this.#changes.recording) this.#record(owner, [1, owner.id, oid, rid, canonical])
    return oid
  }

  update(cls: ClassRef, oid: Oid, patch: ObjectValues): void {
    checkActive(this.life)
    const owner = resolveClass(this.store, cls)
    const rid = this.#liveRid(owner, oid)
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
      const shown = describeValue(patch)
      const message = `${owner.def.name}: update needs an object of fields, got ${shown}`
      throw new TandemError('TDB_INVALID_ARGUMENT', message)
    }
    const fieldIndexes: number[] = []
    const canonical: unknown[] = []
    for (const name in patch) {
      const field = owner.layout.byName.get(name)
      if (field === undefined) throw unknownField(owner.def.name, name)
      const value = patch[name]
      if (value === undefined) continue
      fieldIndexes.push(field.index)
      canonical.push(owner.layout.normalizeFieldAt(field.index, value))
    }
    if (fieldIndexes.length === 0) return
    this.store.update(owner, rid, fieldIndexes, canonical)
    if (this.#changes.recording) {
      this.#record(owner, [2, owner.id, oid, rid, this.store.readValues(owner, rid)])
    }
  }

  delete(cls: ClassRef, oid: Oid): void {
    checkActive(this.life)
    const owner = resolveClass(this.store, cls)
    const rid = this.#liveRid(owner, oid)
    this.store.remove(owner, rid)
    if (this.#changes.recording) this.#record(owner, [3, owner.id, oid, rid])
  }

  deleteAll(cls: ClassRef): void {
    checkActive(this.life)
    const owner = resolveClass(this.store, cls)
    const slots = owner.slots
    for (let rid = 0; rid < slots.highWater; rid++) {
      const oid = slots.oidAt(rid)
      if (oid === 0) continue
      this.store.remove(owner, rid)
      if (this.#changes.recording) this.#record(owner, [3, owner.id, oid, rid])
    }
  }

  #liveRid(owner: ClassStore, oid: Oid): number {
    const rid = ridOfOid(this.store, owner, oid)
    if (rid < 0) {
      const message = `${owner.def.name}: no object with oid ${describeValue(oid)}`
      throw new StoreError('TDB_NOT_FOUND', message, { className: owner.def.name, oid })
    }
    return rid
  }

  #record(owner: ClassStore, op: ChangeOp): void {
    this.#changes.ops.push(op)
    if (owner.def.local) this.#changes.hasLocal = true
  }
}

/** Checks an insert's values: unknown fields, wrong values; missing fields take zero. */
export function normalizeInsert(owner: ClassStore, values: ObjectValues): unknown[] {
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    const message = `${owner.def.name}: insert needs an object, got ${describeValue(values)}`
    throw new TandemError('TDB_INVALID_ARGUMENT', message)
  }
  const layout = owner.layout
  const canonical = new Array<unknown>(layout.fields.length)
  const known = layout.normalizeFields(values, canonical)
  let keys = 0
  for (const name in values) if (Object.hasOwn(values, name)) keys++
  // Only when some key is not a field value do we pay for looking each key up.
  if (known !== keys) {
    for (const name in values) {
      if (!layout.byName.has(name)) throw unknownField(owner.def.name, name)
    }
  }
  return canonical
}

/**
 * Cursors over the indexes of a class: ordered (tree) cursors on an `IndexPosition`, hash
 * cursors over the rids of a hash index, and list cursors over the live slots of a class. A
 * cursor dies with its transaction. A tree cursor that finds its index changed under it (the
 * index `version` moved) finds its place again from the current key and the rid of the object
 * it stood on: after a key update it stays on that object at its new place; if the object was
 * deleted, the cursor stands between its old neighbours, so `next` and `prev` step to them.
 */
import { StoreError, TxnError } from '../errors.js'
import type { IndexPosition, OrderedIndex, SearchKey } from '../store/index-contract.js'
import type { RecordKeyReader } from '../store/key-reader.js'
import type { ClassStore, ObjectStore } from '../store/object-store.js'
import { assert } from '../util/assert.js'
import type { CompareOp, Cursor, ObjectValues, Oid } from './api.js'

/** The life of a transaction, shared with its cursors. */
export interface TxnLife {
  active: boolean
}

/** Throws TDB_TXN_NOT_ACTIVE when the transaction has ended. */
export function checkActive(life: TxnLife): void {
  if (!life.active) {
    throw new TxnError(
      'TDB_TXN_NOT_ACTIVE',
      'the transaction has ended; its objects and cursors are dead',
    )
  }
}

abstract class BaseCursor implements Cursor<ObjectValues> {
  protected readonly life: TxnLife
  protected readonly store: ObjectStore
  protected readonly owner: ClassStore
  /** The rid under the cursor, or -1. */
  protected rid = -1
  protected positioned = false

  constructor(life: TxnLife, store: ObjectStore, owner: ClassStore) {
    this.life = life
    this.store = store
    this.owner = owner
  }

  abstract first(): boolean
  abstract last(): boolean
  abstract next(): boolean
  abstract prev(): boolean

  get valid(): boolean {
    checkActive(this.life)
    return this.rid >= 0 && this.owner.slots.oidAt(this.rid) !== 0
  }

  get oid(): Oid {
    return this.owner.slots.oidAt(this.#current())
  }

  value(): ObjectValues {
    return this.store.readObject(this.owner, this.#current())
  }

  #current(): number {
    if (!this.valid) {
      const name = this.owner.def.name
      throw new StoreError('TDB_NOT_FOUND', `${name}: the cursor is not on an object`)
    }
    return this.rid
  }

  *[Symbol.iterator](): Iterator<ObjectValues> {
    checkActive(this.life)
    if (!this.positioned) this.first()
    while (this.valid) {
      yield this.value()
      this.next()
    }
  }
}

/** A cursor on a tree index. */
export class TreeCursor extends BaseCursor {
  readonly #index: OrderedIndex
  readonly #keys: RecordKeyReader
  #position: IndexPosition | null = null
  #version = -1
  /** After a re-seek for a vanished object: the position is on the object after it. */
  #between = false

  constructor(
    life: TxnLife,
    store: ObjectStore,
    owner: ClassStore,
    index: OrderedIndex,
    keys: RecordKeyReader,
  ) {
    super(life, store, owner)
    this.#index = index
    this.#keys = keys
  }

  first(): boolean {
    checkActive(this.life)
    return this.#land(this.#index.first())
  }

  last(): boolean {
    checkActive(this.life)
    return this.#land(this.#index.last())
  }

  /** Positions at the nearest object that satisfies `op key` (see ReadTransaction.search). */
  seek(op: CompareOp, key: SearchKey): boolean {
    checkActive(this.life)
    const index = this.#index
    switch (op) {
      case 'lt':
      case 'le':
        return this.#land(index.seekLast(key, op === 'le'))
      case 'gt':
        return this.#land(index.seekFirst(key, false))
      case 'ge':
        return this.#land(index.seekFirst(key, true))
      case 'eq': {
        const position = index.seekFirst(key, true)
        if (position.valid && this.#keys.compareKeyToRecord(key, position.rid) === 0) {
          return this.#land(position)
        }
        this.positioned = true
        this.#position = null
        this.rid = -1
        return false
      }
    }
  }

  next(): boolean {
    checkActive(this.life)
    if (this.rid < 0 || this.#position === null) return false
    this.#refresh()
    if (this.#between) {
      this.#between = false
      return this.#land(this.#position)
    }
    this.#position.next()
    return this.#land(this.#position)
  }

  prev(): boolean {
    checkActive(this.life)
    if (this.rid < 0 || this.#position === null) return false
    this.#refresh()
    if (this.#between) {
      this.#between = false
      if (!this.#position.valid) return this.#land(this.#index.last())
    }
    this.#position.prev()
    return this.#land(this.#position)
  }

  /** The rid under the cursor, or -1 (for range walks inside the transaction layer). */
  get currentRid(): number {
    return this.rid
  }

  override get valid(): boolean {
    checkActive(this.life)
    if (this.rid < 0) return false
    this.#refresh()
    return !this.#between
  }

  #land(position: IndexPosition): boolean {
    this.positioned = true
    this.#position = position
    this.#version = this.#index.version
    this.#between = false
    this.rid = position.valid ? position.rid : -1
    return this.rid >= 0
  }

  /** Finds the cursor's place again after the index changed. */
  #refresh(): void {
    if (this.#version === this.#index.version) return
    assert(this.rid >= 0, 'refresh of an unpositioned cursor')
    const rid = this.rid
    const key = this.#keys.recordKey(rid)
    const position = this.#index.seekFirst(key, true)
    const keys = this.#keys
    const sameKey = (): boolean => keys.compareKeyToRecord(key, position.rid) === 0
    while (position.valid && position.rid < rid && sameKey()) {
      position.next()
    }
    this.#position = position
    this.#version = this.#index.version
    this.#between = !(position.valid && position.rid === rid)
  }
}

/** A cursor over the rids of a hash index (no order), taken when it is positioned. */
export class RidListCursor extends BaseCursor {
  readonly #source: () => Iterable<number>
  #rids: number[] = []
  #at = -1

  constructor(
    life: TxnLife,
    store: ObjectStore,
    owner: ClassStore,
    source: () => Iterable<number>,
  ) {
    super(life, store, owner)
    this.#source = source
  }

  first(): boolean {
    checkActive(this.life)
    this.#rids = [...this.#source()]
    return this.#step(-1, 1)
  }

  last(): boolean {
    checkActive(this.life)
    this.#rids = [...this.#source()]
    return this.#step(this.#rids.length, -1)
  }

  next(): boolean {
    checkActive(this.life)
    return this.rid >= 0 && this.#step(this.#at, 1)
  }

  prev(): boolean {
    checkActive(this.life)
    return this.rid >= 0 && this.#step(this.#at, -1)
  }

  #step(from: number, direction: 1 | -1): boolean {
    this.positioned = true
    const slots = this.owner.slots
    let at = from + direction
    const rids = this.#rids
    while (at >= 0 && at < rids.length && slots.oidAt(rids[at] as number) === 0) at += direction
    this.#at = at
    this.rid = at >= 0 && at < this.#rids.length ? (this.#rids[at] as number) : -1
    return this.rid >= 0
  }
}

/** A cursor over every object of a class, in rid order (the DDL `list`). */
export class ListCursor extends BaseCursor {
  first(): boolean {
    checkActive(this.life)
    return this.#step(-1, 1)
  }

  last(): boolean {
    checkActive(this.life)
    return this.#step(this.owner.slots.highWater, -1)
  }

  next(): boolean {
    checkActive(this.life)
    return this.rid >= 0 && this.#step(this.rid, 1)
  }

  prev(): boolean {
    checkActive(this.life)
    return this.rid >= 0 && this.#step(this.rid, -1)
  }

  #step(from: number, direction: 1 | -1): boolean {
    this.positioned = true
    const slots = this.owner.slots
    let rid = from + direction
    while (rid >= 0 && rid < slots.highWater && slots.oidAt(rid) === 0) rid += direction
    this.rid = rid >= 0 && rid < slots.highWater ? rid : -1
    return this.rid >= 0
  }
}

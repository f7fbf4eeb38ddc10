/**
 * The object store: every class's record slots, the heap, the indexes and the oid map, over one
 * memory device. Each mutation is atomic (on any throw it undoes itself and rethrows) and
 * leaves undo records, so that the transaction layer can roll back to any mark exactly: data,
 * heap, indexes, the oid map, the oid counter and the memory accounting. Frees are deferred to
 * `commit`, so a rolled-back delete or update finds its old slot and heap blocks untouched.
 */
import { AssertionError, StoreError, TandemError } from '../errors.js'
import type { ClassDef, Dictionary, IndexDef } from '../schema/dictionary.js'
import { assert } from '../util/assert.js'
import { FROM_FREE_LIST, Heap } from './heap.js'
import { compileKeyPart, RecordKeyReader } from './key-reader.js'
import { MemoryDevice, type Page } from './memory-device.js'
import { MAX_CLASS_ID, OidMap } from './oid-map.js'
import { TypeCompiler, type FieldSlot, type Layout } from './record-layout.js'
import { RecordSlots } from './record-slots.js'
import type { IndexFactory, MaintainedIndex, StoreIndex } from './store-index.js'
import { describeValue, type HeapAccess } from './value-type.js'

/** One class as the store holds it. */
export class ClassStore {
  readonly def: ClassDef
  readonly id: number
  readonly layout: Layout
  readonly slots: RecordSlots
  readonly indexes: StoreIndex[]
  readonly byIndexName: ReadonlyMap<string, StoreIndex>
  readonly maintained: MaintainedIndex[]
  /** Per field (dictionary order): the maintained indexes whose key reads it. */
  readonly indexesOfField: readonly (readonly MaintainedIndex[])[]
  /** The index of every field, in order (an update of every field). */
  readonly allFields: readonly number[]
  /**
   * The rid of the object the transaction layer found last: a hint only, checked against the
   * slot's oid before use (see ridOfOid in the transaction layer).
   */
  ridHint = 0
  #lastIndexName: string | null = null
  #lastIndex: StoreIndex | undefined = undefined

  constructor(
    def: ClassDef,
    layout: Layout,
    compileIndex: (owner: ClassStore, def: IndexDef, position: number) => StoreIndex,
  ) {
    this.def = def
    this.id = def.id
    this.layout = layout
    this.slots = new RecordSlots(def.id, layout.size)
    this.indexes = def.indexes.map((index, position) => compileIndex(this, index, position))
    this.byIndexName = new Map(this.indexes.map((index) => [index.def.name, index]))
    this.maintained = this.indexes.filter(
      (index): index is MaintainedIndex => index.kind === 'tree' || index.kind === 'hash',
    )
    this.allFields = layout.fields.map((field) => field.index)
    this.indexesOfField = layout.fields.map((field) =>
      this.maintained.filter((index) =>
        index.keys.parts.some((part) => part.fieldIndex === field.index),
      ),
    )
  }

  /** The index with this name, or undefined (the last name found is remembered). */
  indexNamed(name: string): StoreIndex | undefined {
    if (name === this.#lastIndexName) return this.#lastIndex
    const found = this.byIndexName.get(name)
    if (found !== undefined) {
      this.#lastIndexName = name
      this.#lastIndex = found
    }
    return found
  }
}

const enum Undo {
  SlotNew = 1,
  Chunk,
  HeapAlloc,
  OidInsert,
  OidRemove,
  IndexInsert,
  IndexRemove,
  SlotImage,
  SlotDelete,
  HeapFree,
  NextOid,
}

/** Undo records are four numbers: the kind, then up to three arguments. */
const UNDO_STRIDE = 4

export interface ObjectStoreOptions {
  readonly dictionary: Dictionary
  readonly memorySize: number
  readonly indexFactory: IndexFactory
}

export class ObjectStore implements HeapAccess {
  readonly dictionary: Dictionary
  readonly device: MemoryDevice
  readonly heap: Heap
  readonly oidMap: OidMap
  /** Classes by id (index 0 unused). */
  readonly classes: (ClassStore | undefined)[] = []
  readonly classList: readonly ClassStore[]
  readonly #byName = new Map<string, ClassStore>()
  #lastName: string | null = null
  #lastClass: ClassStore | undefined = undefined
  readonly #indexFactory: IndexFactory
  /** The next oid to assign; always above every oid in the store. */
  nextOid = 1
  /** Undo records, UNDO_STRIDE numbers each; a typed array so that logging allocates nothing. */
  #undo = new Float64Array(4096)
  #undoLength = 0
  /** Slot images saved before updates, as 32-bit words (undo records hold word offsets). */
  #images = new Uint32Array(256)
  #imagesLength = 0

  constructor(options: ObjectStoreOptions) {
    this.dictionary = options.dictionary
    this.device = new MemoryDevice(options.memorySize)
    this.heap = new Heap(this.device)
    this.oidMap = new OidMap(this.device.budget)
    this.#indexFactory = options.indexFactory
    const types = new TypeCompiler(options.dictionary)
    for (const def of options.dictionary.classes) {
      if (def.id <= 0 || def.id > MAX_CLASS_ID || this.classes[def.id] !== undefined) {
        throw new TandemError(
          'TDB_INVALID_ARGUMENT',
          `dictionary: bad or duplicate class id ${def.id} (${def.name})`,
        )
      }
      const store = new ClassStore(def, types.classLayout(def), (owner, index, position) =>
        this.#compileIndex(owner, index, position),
      )
      this.classes[def.id] = store
      this.#byName.set(def.name, store)
    }
    this.classList = this.classes.filter((item): item is ClassStore => item !== undefined)
  }

  #compileIndex(owner: ClassStore, def: IndexDef, position: number): StoreIndex {
    if (def.kind === 'list' || def.kind === 'autoid' || def.kind === 'oid') {
      return { kind: def.kind, def, position }
    }
    const parts = def.keys.map((key) => compileKeyPart(owner.def, owner.layout, key))
    const keys = new RecordKeyReader(owner.slots, this, parts)
    const budget = this.device.budget
    if (def.kind === 'tree') {
      const index = this.#indexFactory.tree(keys, def.unique, budget)
      return { kind: 'tree', def, position, keys, index }
    }
    const index = this.#indexFactory.hash(keys, def.unique, budget, def.initialSize)
    return { kind: 'hash', def, position, keys, index }
  }

  /** The class with this name, or undefined. */
  classNamed(name: string): ClassStore | undefined {
    // Transactions name the same class call after call: one remembered name skips the Map.
    if (name === this.#lastName) return this.#lastClass
    const found = this.#byName.get(name)
    if (found !== undefined) {
      this.#lastName = name
      this.#lastClass = found
    }
    return found
  }

  page(address: number): Page {
    return this.device.page(address)
  }

  allocHeap(length: number): number {
    const bumpBefore = this.heap.willReuse(length) ? FROM_FREE_LIST : this.device.bumpPosition
    const address = this.heap.alloc(length)
    this.#log(Undo.HeapAlloc, address, length, bumpBefore)
    return address
  }

  freeHeapLater(address: number, length: number): void {
    this.#log(Undo.HeapFree, address, length, 0)
  }

  #log(kind: Undo, a: number, b: number, c: number): void {
    let undo = this.#undo
    const at = this.#undoLength
    if (at + UNDO_STRIDE > undo.length) {
      const grown = new Float64Array(undo.length * 2)
      grown.set(undo)
      this.#undo = undo = grown
    }
    undo[at] = kind
    undo[at + 1] = a
    undo[at + 2] = b
    undo[at + 3] = c
    this.#undoLength = at + UNDO_STRIDE
  }

  /** True when something changed since the last commit. */
  get dirty(): boolean {
    return this.#undoLength > 0
  }

  /**
   * Inserts an object with canonical `values` (field order) and the given oid (absent).
   * Returns its rid. Atomic: on a throw nothing changed.
   */
  insert(store: ClassStore, oid: number, values: readonly unknown[]): number {
    assert(oid > 0 && Number.isSafeInteger(oid), 'insert: oids are positive safe integers')
    assert(values.length === store.layout.fields.length, 'insert: one value per field')
    const mark = this.#undoLength
    try {
      const rid = this.#newSlot(store)
      const slots = store.slots
      const page = slots.page(rid)
      const base = slots.offset(rid)
      page.f64[base >>> 3] = oid
      store.layout.writeValues(page, base, values, this)
      this.oidMap.insert(oid, store.id, rid)
      this.#log(Undo.OidInsert, oid, 0, 0)
      if (oid >= this.nextOid) {
        this.#log(Undo.NextOid, this.nextOid, 0, 0)
        this.nextOid = oid + 1
      }
      const maintained = store.maintained
      for (let i = 0; i < maintained.length; i++) {
        this.#indexInsert(store, maintained[i] as MaintainedIndex, rid)
      }
      return rid
    } catch (error) {
      this.rollbackTo(mark)
      throw error
    }
  }

  /** Sets fields (`fieldIndexes[i]` to canonical `values[i]`) of a live object. Atomic. */
  update(
    store: ClassStore,
    rid: number,
    fieldIndexes: readonly number[],
    values: readonly unknown[],
  ): void {
    assert(fieldIndexes.length === values.length, 'update: one value per changed field')
    assert(store.slots.oidAt(rid) > 0, 'update of a free slot')
    const mark = this.#undoLength
    try {
      const affected = this.#affectedIndexes(store, fieldIndexes)
      for (const index of affected) {
        index.index.remove(rid)
        this.#log(Undo.IndexRemove, store.id, index.position, rid)
      }
      const slots = store.slots
      const page = slots.page(rid)
      const base = slots.offset(rid)
      this.#saveImage(store, page, base, rid)
      const layout = store.layout
      for (let i = 0; i < fieldIndexes.length; i++) {
        const index = fieldIndexes[i] as number
        if (layout.hasRefs) layout.freeField(page, base, layout.fields[index] as FieldSlot, this)
        layout.writeFieldAt(page, base, index, values[i], this)
      }
      for (const index of affected) this.#indexInsert(store, index, rid)
    } catch (error) {
      this.rollbackTo(mark)
      throw error
    }
  }

  /** Adds `rid` to an index; a duplicate key names the class, index and key. */
  #indexInsert(store: ClassStore, index: MaintainedIndex, rid: number): void {
    try {
      index.index.insert(rid)
    } catch (error) {
      if (!(error instanceof StoreError) || error.code !== 'TDB_DUPLICATE_KEY') throw error
      const key = index.keys.parts.map((part) => {
        const slots = store.slots
        return part.type.read(slots.page(rid), slots.offset(rid) + part.offset, this)
      })
      const shown = key.map((value) => describeValue(value)).join(', ')
      throw new StoreError(
        'TDB_DUPLICATE_KEY',
        `${store.def.name}.${index.def.name}: duplicate key (${shown}) in a unique index`,
        { className: store.def.name, index: index.def.name, key },
        { cause: error },
      )
    }
    this.#log(Undo.IndexInsert, store.id, index.position, rid)
  }

  #affectedIndexes(store: ClassStore, fieldIndexes: readonly number[]): readonly MaintainedIndex[] {
    if (fieldIndexes.length === 1) return store.indexesOfField[fieldIndexes[0] as number] ?? []
    const affected = new Set<MaintainedIndex>()
    for (const field of fieldIndexes) {
      for (const index of store.indexesOfField[field] ?? []) affected.add(index)
    }
    return [...affected]
  }

  /** Deletes a live object. Atomic. */
  remove(store: ClassStore, rid: number): void {
    const mark = this.#undoLength
    try {
      const slots = store.slots
      const page = slots.page(rid)
      const base = slots.offset(rid)
      const oid = page.f64[base >>> 3] as number
      if (!(oid > 0)) throw new AssertionError(`remove of free slot ${rid} of ${store.def.name}`)
      for (const index of store.maintained) {
        index.index.remove(rid)
        this.#log(Undo.IndexRemove, store.id, index.position, rid)
      }
      this.oidMap.remove(oid)
      this.#log(Undo.OidRemove, oid, store.id, rid)
      if (store.layout.hasRefs) {
        for (const field of store.layout.fields) store.layout.freeField(page, base, field, this)
      }
      page.f64[base >>> 3] = 0
      slots.liveCount--
      this.#log(Undo.SlotDelete, store.id, rid, oid)
    } catch (error) {
      this.rollbackTo(mark)
      throw error
    }
  }

  #newSlot(store: ClassStore): number {
    const slots = store.slots
    let rid = slots.freeRids.pop()
    if (rid !== undefined) {
      this.#log(Undo.SlotNew, store.id, rid, 1)
    } else {
      if (slots.needsChunk()) {
        slots.addChunk(this.device)
        this.#log(Undo.Chunk, store.id, 0, 0)
      }
      rid = slots.highWater++
      this.#log(Undo.SlotNew, store.id, rid, 0)
    }
    slots.liveCount++
    return rid
  }

  #saveImage(store: ClassStore, page: Page, base: number, rid: number): void {
    // Slots are multiples of 8 bytes at 8-aligned offsets: copied as 32-bit words, in a loop
    // (a slot is a few words; a subarray and a set would allocate and call out per update).
    const words = store.slots.slotBytes >>> 2
    const at = this.#imagesLength
    if (at + words > this.#images.length) {
      const grown = new Uint32Array(Math.max(this.#images.length * 2, at + words))
      grown.set(this.#images.subarray(0, at))
      this.#images = grown
    }
    const images = this.#images
    const source = page.u32
    const from = base >>> 2
    for (let i = 0; i < words; i++) images[at + i] = source[from + i] as number
    this.#log(Undo.SlotImage, store.id, rid, at)
    this.#imagesLength = at + words
  }


  /** Undoes every change after `mark`, newest first. */
  rollbackTo(mark: number): void {
    const undo = this.#undo
    if (!(mark >= 0 && mark <= this.#undoLength && mark % UNDO_STRIDE === 0)) {
      throw new AssertionError(`bad undo mark ${mark}`)
    }
    while (this.#undoLength > mark) {
      const at = this.#undoLength - UNDO_STRIDE
      this.#undoLength = at
      const kind = undo[at] as Undo
      this.#undoOne(kind, undo[at + 1] as number, undo[at + 2] as number, undo[at + 3] as number)
    }
  }

  #undoOne(kind: Undo, a: number, b: number, c: number): void {
    switch (kind) {
      case Undo.SlotNew: {
        const slots = this.#class(a).slots
        slots.page(b).f64[slots.offset(b) >>> 3] = 0
        slots.liveCount--
        if (c === 1) slots.freeRids.push(b)
        else {
          assert(slots.highWater === b + 1, 'undo of a slot that is not the last one')
          slots.highWater--
        }
        return
      }
      case Undo.Chunk:
        return this.#class(a).slots.removeLastChunk(this.device)
      case Undo.HeapAlloc:
        return this.heap.unalloc(a, b, c)
      case Undo.OidInsert:
        return this.oidMap.remove(a)
      case Undo.OidRemove:
        return this.oidMap.insert(a, b, c)
      case Undo.IndexInsert:
        return this.#maintained(a, b).index.remove(c)
      case Undo.IndexRemove:
        return this.#maintained(a, b).index.insert(c)
      case Undo.SlotImage: {
        const slots = this.#class(a).slots
        const base = slots.offset(b)
        slots.page(b).u32.set(this.#images.subarray(c, c + (slots.slotBytes >>> 2)), base >>> 2)
        this.#imagesLength = c
        return
      }
      case Undo.SlotDelete: {
        const slots = this.#class(a).slots
        slots.page(b).f64[slots.offset(b) >>> 3] = c
        slots.liveCount++
        return
      }
      case Undo.HeapFree:
        return
      case Undo.NextOid:
        this.nextOid = a
        return
    }
  }

  #class(id: number): ClassStore {
    const store = this.classes[id]
    if (!(store !== undefined)) throw new AssertionError(`no class ${id}`)
    return store
  }

  #maintained(classId: number, position: number): MaintainedIndex {
    const index = this.#class(classId).indexes[position]
    assert(
      index !== undefined && (index.kind === 'tree' || index.kind === 'hash'),
      'undo of an unmaintained index',
    )
    return index
  }

  /** Makes every change since the last commit permanent: deferred frees happen now. */
  commit(): void {
    const undo = this.#undo
    for (let i = 0; i < this.#undoLength; i += UNDO_STRIDE) {
      const kind = undo[i] as Undo
      if (kind === Undo.SlotDelete) {
        this.#class(undo[i + 1] as number).slots.freeRids.push(undo[i + 2] as number)
      }
      else if (kind === Undo.HeapFree) this.heap.free(undo[i + 1] as number, undo[i + 2] as number)
    }
    this.#undoLength = 0
    this.#imagesLength = 0
  }

  /** The object in slot `rid` as a plain object. */
  readObject(store: ClassStore, rid: number): Record<string, unknown> {
    const slots = store.slots
    return store.layout.readObject(slots.page(rid), slots.offset(rid), this)
  }

  /** The values of the object in slot `rid`, in field order (change-set form). */
  readValues(store: ClassStore, rid: number): unknown[] {
    const slots = store.slots
    return store.layout.readValues(slots.page(rid), slots.offset(rid), this)
  }

  /**
   * Checks the invariants that tie slots, the oid map and the indexes together (for tests; it
   * reads every slot). Call it between transactions.
   */
  checkInvariants(): void {
    assert(this.#undoLength === 0, 'invariants checked inside a transaction')
    let mapped = 0
    for (const store of this.classList) {
      const slots = store.slots
      let live = 0
      for (let rid = 0; rid < slots.highWater; rid++) {
        const oid = slots.oidAt(rid)
        if (oid === 0) continue
        live++
        assert(oid < this.nextOid, 'an oid is not below the oid counter')
        assert(this.oidMap.classIdOf(oid) === store.id, 'an oid maps to another class')
        assert(this.oidMap.ridOf(oid) === rid, 'an oid maps to another slot')
      }
      assert(live === slots.liveCount, `${store.def.name}: the live count is wrong`)
      for (const rid of slots.freeRids) {
        assert(rid < slots.highWater && slots.oidAt(rid) === 0, 'a free rid holds an object')
      }
      assert(new Set(slots.freeRids).size === slots.freeRids.length, 'a rid is free twice')
      assert(live + slots.freeRids.length === slots.highWater, `${store.def.name}: lost slots`)
      for (const index of store.maintained) {
        assert(index.index.size === live, `${store.def.name}.${index.def.name}: size != objects`)
      }
      mapped += live
    }
    assert(mapped === this.oidMap.size, `oid map holds ${this.oidMap.size} oids for ${mapped}`)
  }

  /** Removes every object and frees all memory; the oid counter stays. Not undoable. */
  clear(): void {
    assert(this.#undoLength === 0, 'clear inside a transaction')
    for (const store of this.classList) {
      store.slots.reset()
      for (const index of store.maintained) {
        this.device.budget.release(index.index.bytesCharged)
        const budget = this.device.budget
        const def = index.def
        if (index.kind === 'tree' && def.kind === 'tree') {
          index.index = this.#indexFactory.tree(index.keys, def.unique, budget)
        } else if (index.kind === 'hash' && def.kind === 'hash') {
          index.index = this.#indexFactory.hash(index.keys, def.unique, budget, def.initialSize)
        }
      }
    }
    this.heap.reset()
    this.device.reset()
    this.oidMap.clear()
  }
}

/**
 * Key readers: compiled per index from the record layout, they compare and hash the keys of
 * records straight from the page views, so that an index holds rids only.
 *
 * Order: numbers by value, 64-bit integers as bigints, booleans false < true, strings and
 * bytes by their UTF-8 bytes (unsigned, byte by byte, so strings order by code points rather
 * than by UTF-16 code units or locale), a shorter prefix first; null before every value. A
 * `desc` part reverses all of that. Search keys are prepared once per call (`prepareKey`):
 * strings become their UTF-8 bytes, so comparisons never encode.
 */
import { AssertionError, TandemError } from '../errors.js'
import type { ClassDef, IndexKey } from '../schema/dictionary.js'
import { assert } from '../util/assert.js'
import type { KeyReader, SearchKey } from './index-contract.js'
import type { Page } from './memory-device.js'
import { structLayoutOf, type Layout } from './record-layout.js'
import type { RecordSlots } from './record-slots.js'
import { compareBytes, hashBytes } from './utf8.js'
import {
  invalidValue,
  numberReader,
  OFFSET_MASK,
  type HeapAccess,
  type KeyAccess,
  type ValueType,
} from './value-type.js'

/** One part of a key: where its value lives in the slot and how it compares. */
export interface KeyPart {
  readonly label: string
  /** Offset of the value inside the slot. */
  readonly offset: number
  /** Null bits along the path (slot byte offset, mask); any set bit means the key is null. */
  readonly nullBytes: readonly number[]
  readonly nullMasks: readonly number[]
  readonly type: ValueType
  readonly access: KeyAccess
  /** 1 ascending, -1 descending. */
  readonly sign: 1 | -1
  /** The top-level field the part reads (its index in the class's fields). */
  readonly fieldIndex: number
  /** For number parts: the reader of its view. */
  readonly readNumber: (page: Page, offset: number) => number
}

/** Resolves an index key path against a class layout. */
export function compileKeyPart(def: ClassDef, layout: Layout, key: IndexKey): KeyPart {
  assert(key.path.length > 0, 'empty key path')
  let current: Layout | undefined = layout
  let offset = 0
  let type: ValueType | undefined
  let fieldIndex = -1
  const nullBytes: number[] = []
  const nullMasks: number[] = []
  for (const name of key.path) {
    if (current === undefined) {
      throw badKey(def, key, `${name}: the field before it is not a struct`)
    }
    const field = current.byName.get(name)
    if (field === undefined) throw badKey(def, key, `no field ${name}`)
    if (fieldIndex < 0) fieldIndex = field.index
    if (field.nullable) {
      nullBytes.push(offset + field.nullByte)
      nullMasks.push(field.nullMask)
    }
    offset += field.offset
    type = field.type
    current = structLayoutOf(field.type)
  }
  assert(type !== undefined, 'key path resolved no field')
  if (type.key === null) throw badKey(def, key, `a ${type.label} cannot be a key`)
  return {
    label: `${def.name}.${key.path.join('.')}`,
    offset,
    nullBytes,
    nullMasks,
    type,
    access: type.key,
    sign: key.descending ? -1 : 1,
    fieldIndex,
    readNumber: type.key.kind === 'number' ? numberReader(type.key.view) : notANumber,
  }
}

function notANumber(): number {
  throw new AssertionError('number read of a key part that is not a number')
}

function badKey(def: ClassDef, key: IndexKey, why: string): TandemError {
  return new TandemError(
    'TDB_INVALID_ARGUMENT',
    `dictionary: index key ${def.name}.${key.path.join('.')}: ${why}`,
  )
}

const scratch = new DataView(new ArrayBuffer(8))

function hashNumber(value: number): number {
  if ((value | 0) === value) return Math.imul(value, 0x9e3779b1)
  scratch.setFloat64(0, value)
  return Math.imul(scratch.getInt32(0) ^ Math.imul(scratch.getInt32(4), 0x85ebca6b), 0x9e3779b1)
}

function hashBigint(value: bigint): number {
  scratch.setBigUint64(0, BigInt.asUintN(64, value))
  return Math.imul(scratch.getInt32(0) ^ Math.imul(scratch.getInt32(4), 0x85ebca6b), 0x9e3779b1)
}

function mix(hash: number, part: number): number {
  return Math.imul(hash ^ part, 0x01000193) ^ (part >>> 15)
}

const NULL_HASH = 0x5bd1e995

/** Compares two values of one kind (numbers or bigints). */
function compareScalars(a: number | bigint, b: number | bigint): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * The key reader of one index. Generic over its parts; a one-part numeric key that cannot be
 * null also offers `numericKey`, which lets the tree cache the key beside the rid.
 */
export class RecordKeyReader implements KeyReader {
  readonly arity: number
  readonly parts: readonly KeyPart[]
  readonly #slots: RecordSlots
  readonly #heap: HeapAccess
  readonly #scratch: unknown[] = [null]
  readonly numericKey?: (rid: number) => number
  readonly numericSearchKey?: (key: SearchKey) => number

  constructor(slots: RecordSlots, heap: HeapAccess, parts: readonly KeyPart[]) {
    assert(parts.length > 0, 'a key has at least one part')
    this.arity = parts.length
    this.parts = parts
    this.#slots = slots
    this.#heap = heap
    const only = parts[0] as KeyPart
    if (parts.length === 1 && only.nullBytes.length === 0 && only.access.kind === 'number') {
      const read = only.readNumber
      const sign = only.sign
      const fieldOffset = only.offset
      this.numericKey = sign === 1
        ? (rid) => read(slots.page(rid), slots.offset(rid) + fieldOffset)
        : (rid) => -read(slots.page(rid), slots.offset(rid) + fieldOffset)
      this.numericSearchKey = sign === 1 ? (key) => key[0] as number : (key) => -(key[0] as number)
    }
  }

  compareRecords(ridA: number, ridB: number): number {
    const slots = this.#slots
    const pageA = slots.page(ridA)
    const pageB = slots.page(ridB)
    const baseA = slots.offset(ridA)
    const baseB = slots.offset(ridB)
    for (let i = 0; i < this.parts.length; i++) {
      const part = this.parts[i] as KeyPart
      const nullA = isNull(part, pageA, baseA)
      const nullB = isNull(part, pageB, baseB)
      let order: number
      if (nullA || nullB) order = nullA === nullB ? 0 : nullA ? -1 : 1
      else {
        order = this.#comparePartRecords(
          part,
          pageA,
          baseA + part.offset,
          pageB,
          baseB + part.offset,
        )
      }
      if (order !== 0) return order * part.sign
    }
    return 0
  }

  #comparePartRecords(part: KeyPart, pageA: Page, atA: number, pageB: Page, atB: number): number {
    const access = part.access
    switch (access.kind) {
      case 'number':
        return compareScalars(part.readNumber(pageA, atA), part.readNumber(pageB, atB))
      case 'bigint':
        return compareScalars(
          pageA[access.view][atA >>> 3] as bigint,
          pageB[access.view][atB >>> 3] as bigint,
        )
      case 'inline-bytes':
        return compareBytes(
          pageA.u8,
          atA + 4,
          pageA.u32[atA >>> 2] as number,
          pageB.u8,
          atB + 4,
          pageB.u32[atB >>> 2] as number,
        )
      case 'heap-bytes': {
        const addressA = pageA.u32[atA >>> 2] as number
        const addressB = pageB.u32[atB >>> 2] as number
        const lengthA = pageA.u32[(atA >>> 2) + 1] as number
        const lengthB = pageB.u32[(atB >>> 2) + 1] as number
        const bytesA = lengthA === 0 ? pageA.u8 : this.#heap.page(addressA).u8
        const bytesB = lengthB === 0 ? pageB.u8 : this.#heap.page(addressB).u8
        return compareBytes(
          bytesA,
          addressA & OFFSET_MASK,
          lengthA,
          bytesB,
          addressB & OFFSET_MASK,
          lengthB,
        )
      }
    }
  }

  compareKeyToRecord(key: SearchKey, rid: number): number {
    const slots = this.#slots
    const page = slots.page(rid)
    const base = slots.offset(rid)
    const count = key.length < this.parts.length ? key.length : this.parts.length
    for (let i = 0; i < count; i++) {
      const part = this.parts[i] as KeyPart
      const value = key[i]
      const recordNull = isNull(part, page, base)
      let order: number
      if (value === null || recordNull) order = value === null ? (recordNull ? 0 : -1) : 1
      else order = this.#compareValueToPart(part, value, page, base + part.offset)
      if (order !== 0) return order * part.sign
    }
    return 0
  }

  #compareValueToPart(part: KeyPart, value: unknown, page: Page, at: number): number {
    const access = part.access
    switch (access.kind) {
      case 'number':
        return compareScalars(value as number, part.readNumber(page, at))
      case 'bigint':
        return compareScalars(value as bigint, page[access.view][at >>> 3] as bigint)
      case 'inline-bytes': {
        const bytes = value as Uint8Array
        return compareBytes(bytes, 0, bytes.length, page.u8, at + 4, page.u32[at >>> 2] as number)
      }
      case 'heap-bytes': {
        const bytes = value as Uint8Array
        const address = page.u32[at >>> 2] as number
        const length = page.u32[(at >>> 2) + 1] as number
        if (length === 0) return bytes.length
        const source = this.#heap.page(address).u8
        return compareBytes(bytes, 0, bytes.length, source, address & OFFSET_MASK, length)
      }
    }
  }

  hashRecord(rid: number): number {
    const slots = this.#slots
    const page = slots.page(rid)
    const base = slots.offset(rid)
    let hash = 0x811c9dc5
    for (let i = 0; i < this.parts.length; i++) {
      const part = this.parts[i] as KeyPart
      const partHash = isNull(part, page, base)
        ? NULL_HASH
        : this.#hashPart(part, page, base + part.offset)
      hash = mix(hash, partHash)
    }
    return hash >>> 0
  }

  #hashPart(part: KeyPart, page: Page, at: number): number {
    const access = part.access
    switch (access.kind) {
      case 'number':
        return hashNumber(part.readNumber(page, at))
      case 'bigint':
        return hashBigint(page[access.view][at >>> 3] as bigint)
      case 'inline-bytes':
        return hashBytes(0, page.u8, at + 4, page.u32[at >>> 2] as number)
      case 'heap-bytes': {
        const address = page.u32[at >>> 2] as number
        const length = page.u32[(at >>> 2) + 1] as number
        if (length === 0) return hashBytes(0, page.u8, 0, 0)
        return hashBytes(0, this.#heap.page(address).u8, address & OFFSET_MASK, length)
      }
    }
  }

  hashKey(key: SearchKey): number {
    assert(key.length === this.parts.length, 'hashKey needs a full key')
    let hash = 0x811c9dc5
    for (let i = 0; i < this.parts.length; i++) {
      const part = this.parts[i] as KeyPart
      const value = key[i]
      let partHash: number
      if (value === null) partHash = NULL_HASH
      else if (part.access.kind === 'number') partHash = hashNumber(value as number)
      else if (part.access.kind === 'bigint') partHash = hashBigint(value as bigint)
      else partHash = hashBytes(0, value as Uint8Array, 0, (value as Uint8Array).length)
      hash = mix(hash, partHash)
    }
    return hash >>> 0
  }

  /**
   * Turns a user's key (one value, or an array for a compound key; a prefix of the parts is
   * allowed when `prefix`) into a search key. Throws TDB_INVALID_ARGUMENT naming the part.
   */
  prepareKey(key: unknown, prefix: boolean, where: string): SearchKey {
    // A single value is the whole key of a one-part index, or the first part of a prefix.
    if (!Array.isArray(key) && (this.parts.length === 1 || prefix)) {
      return [prepareValue(this.parts[0] as KeyPart, key)]
    }
    const values = key
    const arity = this.parts.length
    const fits = (length: number): boolean =>
      length > 0 && length <= arity && (prefix || length === arity)
    if (!Array.isArray(values) || !fits(values.length)) {
      const expected = prefix
        ? `a key of 1 to ${this.parts.length} values`
        : `a key of ${this.parts.length} values`
      throw invalidValue(where, expected, key)
    }
    const prepared = new Array<unknown>(values.length)
    for (let i = 0; i < values.length; i++) {
      prepared[i] = prepareValue(this.parts[i] as KeyPart, values[i])
    }
    return prepared
  }

  /**
   * Like `prepareKey` for a full key, but into a scratch array that the next call reuses: for
   * lookups that do not keep the key.
   */
  prepareLookupKey(key: unknown, where: string): SearchKey {
    if (this.parts.length !== 1 || Array.isArray(key)) return this.prepareKey(key, false, where)
    this.#scratch[0] = prepareValue(this.parts[0] as KeyPart, key)
    return this.#scratch
  }

  /** The search key of a record (for cursors that must find their place again). */
  recordKey(rid: number): SearchKey {
    const page = this.#slots.page(rid)
    const base = this.#slots.offset(rid)
    return this.parts.map((part) => {
      if (isNull(part, page, base)) return null
      return prepareValue(part, part.type.read(page, base + part.offset, this.#heap))
    })
  }
}

function isNull(part: KeyPart, page: Page, base: number): boolean {
  for (let i = 0; i < part.nullBytes.length; i++) {
    const byte = page.u8[base + (part.nullBytes[i] as number)] as number
    if ((byte & (part.nullMasks[i] as number)) !== 0) return true
  }
  return false
}

function prepareValue(part: KeyPart, value: unknown): unknown {
  if (value === null) {
    if (part.nullBytes.length > 0) return null
    throw invalidValue(part.label, `${part.type.label} (the key is not nullable)`, value)
  }
  const canonical = part.type.normalize(value, part.label)
  if (typeof canonical === 'boolean') return canonical ? 1 : 0
  if (typeof canonical === 'string') return Buffer.from(canonical, 'utf8')
  return canonical
}

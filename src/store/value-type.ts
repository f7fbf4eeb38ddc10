/**
 * How each DDL field type is checked, stored inline in a record slot, and read back.
 *
 * Value mapping (DDL type -> JS value):
 * - `signed<1|2|4>`, `unsigned<1|2|4>` -> number, range-checked integer
 * - `signed<8>`, `unsigned<8>` -> bigint (a safe-integer number is accepted and becomes bigint)
 * - `float`, `double` -> number (never NaN; `float` is rounded to 32 bits)
 * - `boolean` -> boolean
 * - `char<N>` -> string of at most N UTF-8 bytes; `string` -> string
 * - `binary<N>` -> Uint8Array of at most N bytes; `varbinary` -> Uint8Array
 * - `date`, `time` -> number (uint4); `datetime` -> number (milliseconds, a safe integer)
 * - `vector<T>` -> T[]; a fixed array `T name[N]` -> T[] of length exactly N
 * - `struct` -> plain object (every field present); `enum` -> number, a member value
 * - `autoid_t`, `ref` -> number (a non-negative safe integer oid)
 * - a nullable field also takes `null`; a missing field takes its zero value
 *   ('' / 0 / 0n / false / empty / null for nullable).
 *
 * Inline storage: numbers at their natural width and alignment, `datetime`/`autoid`/`ref` as
 * float64, `char<N>`/`binary<N>` as a uint32 length then N bytes, variable parts (`string`,
 * `varbinary`, `vector`) as a heap reference (uint32 address, uint32 length). Vectors of
 * numbers are stored as packed elements; other vectors as msgpack.
 */
import { Packr } from 'msgpackr'
import { TandemError } from '../errors.js'
import { assert } from '../util/assert.js'
import type { Page } from './memory-device.js'
import { readUtf8, utf8Length, writeUtf8 } from './utf8.js'

/** What writing a variable part needs from the store: heap blocks and their pages. */
export interface HeapAccess {
  /** Allocates a heap block (undone on rollback) and returns its address. */
  allocHeap(length: number): number
  /** Frees a heap block when the transaction commits. */
  freeHeapLater(address: number, length: number): void
  /** The page holding `address`. */
  page(address: number): Page
}

/** The mask of the in-page offset of an address. */
export const OFFSET_MASK = (1 << 20) - 1

/** How an index key reads a scalar of this type (null for types that cannot be keys). */
export type KeyAccess =
  | { readonly kind: 'number'; readonly view: NumberView; readonly shift: number }
  | { readonly kind: 'bigint'; readonly view: 'i64' | 'u64' }
  | { readonly kind: 'inline-bytes' }
  | { readonly kind: 'heap-bytes' }

export type NumberView = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'f64'

export interface ValueType {
  /** The DDL spelling, for messages. */
  readonly label: string
  readonly size: number
  readonly align: 1 | 2 | 4 | 8
  /** True when the inline bytes reference heap blocks. */
  readonly hasRefs: boolean
  readonly key: KeyAccess | null
  /** Checks a non-null value and returns its canonical form (what reading gives back). */
  normalize(value: unknown, where: string): unknown
  zero(): unknown
  /** Writes a canonical value; the inline bytes must be zero or hold no live references. */
  write(page: Page, offset: number, value: unknown, heap: HeapAccess): void
  read(page: Page, offset: number, heap: HeapAccess): unknown
  /** Frees, at commit, every heap block the inline bytes at `offset` reference. */
  freeRefs(page: Page, offset: number, heap: HeapAccess): void
  /** Turns a value decoded from msgpack into its canonical form (Buffer -> Uint8Array). */
  revive(value: unknown): unknown
}

/** The error for a value that does not fit its field. */
export function invalidValue(where: string, expected: string, value: unknown): TandemError {
  const message = `${where}: expected ${expected}, got ${describeValue(value)}`
  return new TandemError('TDB_INVALID_ARGUMENT', message, { where })
}

/** A short description of a bad value for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'string') {
    const shown = value.length > 20 ? `${value.slice(0, 20)}...` : value
    return `string ${JSON.stringify(shown)}`
  }
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`
  if (typeof value === 'bigint') return `bigint ${value}n`
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`
  if (Array.isArray(value)) return `array(${value.length})`
  return typeof value
}

const packr = new Packr({ useRecords: false, int64AsType: 'bigint', moreTypes: false })

const NO_REFS = (): void => {}
const IDENTITY = (value: unknown): unknown => value

interface NumberSpec {
  readonly label: string
  readonly view: NumberView
  readonly size: 1 | 2 | 4 | 8
  readonly min: number
  readonly max: number
  readonly integer: boolean
  readonly float32?: boolean
}

type NumberRead = (page: Page, offset: number) => number
type NumberWrite = (page: Page, offset: number, value: unknown) => void

// One small function per view, so that every read site stays monomorphic on its view.
const NUMBER_READS: Record<NumberView, NumberRead> = {
  u8: (page, offset) => page.u8[offset] as number,
  i8: (page, offset) => page.i8[offset] as number,
  u16: (page, offset) => page.u16[offset >>> 1] as number,
  i16: (page, offset) => page.i16[offset >>> 1] as number,
  u32: (page, offset) => page.u32[offset >>> 2] as number,
  i32: (page, offset) => page.i32[offset >>> 2] as number,
  f32: (page, offset) => page.f32[offset >>> 2] as number,
  f64: (page, offset) => page.f64[offset >>> 3] as number,
}

const NUMBER_WRITES: Record<NumberView, NumberWrite> = {
  u8: (page, offset, value) => void (page.u8[offset] = value as number),
  i8: (page, offset, value) => void (page.i8[offset] = value as number),
  u16: (page, offset, value) => void (page.u16[offset >>> 1] = value as number),
  i16: (page, offset, value) => void (page.i16[offset >>> 1] = value as number),
  u32: (page, offset, value) => void (page.u32[offset >>> 2] = value as number),
  i32: (page, offset, value) => void (page.i32[offset >>> 2] = value as number),
  f32: (page, offset, value) => void (page.f32[offset >>> 2] = value as number),
  f64: (page, offset, value) => void (page.f64[offset >>> 3] = value as number),
}

/** The reader of one number view (for key readers). */
export function numberReader(view: NumberView): NumberRead {
  return NUMBER_READS[view]
}

/** The writer of one number view (for compiled record writers). */
export function numberWriter(view: NumberView): NumberWrite {
  return NUMBER_WRITES[view]
}

/** A type stored as one number in one typed-array cell. */
export function numberType(spec: NumberSpec): ValueType {
  const shift = Math.log2(spec.size)
  const view = spec.view
  const expected = spec.integer
    ? `an integer from ${spec.min} to ${spec.max}`
    : 'a number (not NaN)'
  return {
    label: spec.label,
    size: spec.size,
    align: spec.size,
    hasRefs: false,
    key: { kind: 'number', view, shift },
    normalize(value, where) {
      if (typeof value !== 'number') throw invalidValue(where, expected, value)
      if (spec.integer) {
        if (!Number.isInteger(value) || value < spec.min || value > spec.max) {
          throw invalidValue(where, expected, value)
        }
        return value === 0 ? 0 : value
      }
      if (value !== value) throw invalidValue(where, expected, value)
      return spec.float32 === true ? Math.fround(value) : value
    },
    zero: () => 0,
    write: NUMBER_WRITES[view],
    read: NUMBER_READS[view],
    freeRefs: NO_REFS,
    revive: IDENTITY,
  }
}

/** 64-bit integers: bigint values. */
export function bigintType(signed: boolean): ValueType {
  const min = signed ? -(2n ** 63n) : 0n
  const max = signed ? 2n ** 63n - 1n : 2n ** 64n - 1n
  const view = signed ? 'i64' : 'u64'
  const expected = `a bigint from ${min} to ${max}`
  return {
    label: signed ? 'signed<8>' : 'unsigned<8>',
    size: 8,
    align: 8,
    hasRefs: false,
    key: { kind: 'bigint', view },
    normalize(value, where) {
      let big: bigint
      if (typeof value === 'bigint') big = value
      else if (typeof value === 'number' && Number.isSafeInteger(value)) big = BigInt(value)
      else throw invalidValue(where, expected, value)
      if (big < min || big > max) throw invalidValue(where, expected, value)
      return big
    },
    zero: () => 0n,
    write(page, offset, value) {
      page[view][offset >>> 3] = value as bigint
    },
    read(page, offset) {
      return page[view][offset >>> 3]
    },
    freeRefs: NO_REFS,
    revive: IDENTITY,
  }
}

export const booleanType: ValueType = {
  label: 'boolean',
  size: 1,
  align: 1,
  hasRefs: false,
  key: { kind: 'number', view: 'u8', shift: 0 },
  normalize(value, where) {
    if (typeof value !== 'boolean') throw invalidValue(where, 'a boolean', value)
    return value
  },
  zero: () => false,
  write(page, offset, value) {
    page.u8[offset] = value === true ? 1 : 0
  },
  read(page, offset) {
    return page.u8[offset] === 1
  },
  freeRefs: NO_REFS,
  revive: IDENTITY,
}

/** `char<N>` (text) and `binary<N>` (bytes): a uint32 length, then N bytes inline. */
export function fixedBytesType(length: number, text: boolean): ValueType {
  assert(Number.isSafeInteger(length) && length > 0, 'fixed lengths are positive integers')
  const label = text ? `char<${length}>` : `binary<${length}>`
  const expected = text
    ? `a string of at most ${length} UTF-8 bytes`
    : `a Uint8Array of at most ${length} bytes`
  return {
    label,
    size: 4 + length,
    align: 4,
    hasRefs: false,
    key: { kind: 'inline-bytes' },
    normalize(value, where) {
      if (text) {
        if (typeof value !== 'string' || utf8Length(value) > length) {
          throw invalidValue(where, expected, value)
        }
        return value
      }
      if (!(value instanceof Uint8Array) || value.length > length) {
        throw invalidValue(where, expected, value)
      }
      return new Uint8Array(value)
    },
    zero: () => (text ? '' : new Uint8Array(0)),
    write(page, offset, value) {
      if (text) {
        const bytes = utf8Length(value as string)
        page.u32[offset >>> 2] = bytes
        writeUtf8(page.bytes, offset + 4, value as string, bytes)
      } else {
        const bytes = value as Uint8Array
        page.u32[offset >>> 2] = bytes.length
        page.u8.set(bytes, offset + 4)
      }
    },
    read(page, offset) {
      const bytes = page.u32[offset >>> 2] as number
      if (text) return readUtf8(page.bytes, offset + 4, bytes)
      return page.u8.slice(offset + 4, offset + 4 + bytes)
    },
    freeRefs: NO_REFS,
    revive: text ? IDENTITY : reviveBytes,
  }
}

function reviveBytes(value: unknown): unknown {
  return value instanceof Uint8Array ? new Uint8Array(value) : value
}

/** Writes `length` bytes to a fresh heap block and its reference at `offset`. */
function writeHeapRef(page: Page, offset: number, address: number, length: number): void {
  page.u32[offset >>> 2] = address
  page.u32[(offset >>> 2) + 1] = length
}

function freeHeapRef(page: Page, offset: number, heap: HeapAccess): void {
  const length = page.u32[(offset >>> 2) + 1] as number
  if (length > 0) heap.freeHeapLater(page.u32[offset >>> 2] as number, length)
}

export const stringType: ValueType = {
  label: 'string',
  size: 8,
  align: 4,
  hasRefs: true,
  key: { kind: 'heap-bytes' },
  normalize(value, where) {
    if (typeof value !== 'string') throw invalidValue(where, 'a string', value)
    return value
  },
  zero: () => '',
  write(page, offset, value, heap) {
    const text = value as string
    const length = utf8Length(text)
    if (length === 0) return writeHeapRef(page, offset, 0, 0)
    const address = heap.allocHeap(length)
    writeUtf8(heap.page(address).bytes, address & OFFSET_MASK, text, length)
    writeHeapRef(page, offset, address, length)
  },
  read(page, offset, heap) {
    const length = page.u32[(offset >>> 2) + 1] as number
    if (length === 0) return ''
    const address = page.u32[offset >>> 2] as number
    return readUtf8(heap.page(address).bytes, address & OFFSET_MASK, length)
  },
  freeRefs: freeHeapRef,
  revive: IDENTITY,
}

/** Variable bytes in the heap: `varbinary`, and msgpack-encoded vectors. */
function writeHeapBytes(page: Page, offset: number, bytes: Uint8Array, heap: HeapAccess): void {
  if (bytes.length === 0) return writeHeapRef(page, offset, 0, 0)
  const address = heap.allocHeap(bytes.length)
  heap.page(address).u8.set(bytes, address & OFFSET_MASK)
  writeHeapRef(page, offset, address, bytes.length)
}

function readHeapBytes(page: Page, offset: number, heap: HeapAccess): Uint8Array {
  const length = page.u32[(offset >>> 2) + 1] as number
  if (length === 0) return new Uint8Array(0)
  const address = page.u32[offset >>> 2] as number
  const start = address & OFFSET_MASK
  return heap.page(address).u8.slice(start, start + length)
}

export const varbinaryType: ValueType = {
  label: 'varbinary',
  size: 8,
  align: 4,
  hasRefs: true,
  key: { kind: 'heap-bytes' },
  normalize(value, where) {
    if (!(value instanceof Uint8Array)) throw invalidValue(where, 'a Uint8Array', value)
    return new Uint8Array(value)
  },
  zero: () => new Uint8Array(0),
  write(page, offset, value, heap) {
    writeHeapBytes(page, offset, value as Uint8Array, heap)
  },
  read: readHeapBytes,
  freeRefs: freeHeapRef,
  revive: reviveBytes,
}

function normalizeElements(element: ValueType, value: unknown[], where: string): unknown[] {
  const result = new Array<unknown>(value.length)
  for (let i = 0; i < value.length; i++) {
    const item = value[i]
    if (item === null || item === undefined) {
      throw invalidValue(`${where}[${i}]`, element.label, item)
    }
    result[i] = element.normalize(item, `${where}[${i}]`)
  }
  return result
}

/**
 * `vector<T>`. Elements of number types are packed at their width in one heap block; other
 * elements (strings, structs, vectors, bytes) are msgpack-encoded in one heap block.
 */
export function vectorType(element: ValueType): ValueType {
  const packed = element.key?.kind === 'number' || element.key?.kind === 'bigint'
  const label = `vector<${element.label}>`
  const expected = `an array of ${element.label}`
  // Readers are called detached (compiled record readers), so nothing here reads `this`.
  const revive = (value: unknown): unknown =>
    Array.isArray(value) ? value.map((item) => element.revive(item)) : value
  return {
    label,
    size: 8,
    align: 4,
    hasRefs: true,
    key: null,
    normalize(value, where) {
      if (!Array.isArray(value)) throw invalidValue(where, expected, value)
      return normalizeElements(element, value, where)
    },
    zero: () => [],
    write(page, offset, value, heap) {
      const items = value as unknown[]
      if (!packed) return writeHeapBytes(page, offset, packr.pack(items), heap)
      const length = items.length * element.size
      if (length === 0) return writeHeapRef(page, offset, 0, 0)
      const address = heap.allocHeap(length)
      const target = heap.page(address)
      const start = address & OFFSET_MASK
      for (let i = 0; i < items.length; i++) {
        element.write(target, start + i * element.size, items[i], heap)
      }
      writeHeapRef(page, offset, address, length)
    },
    read(page, offset, heap) {
      const length = page.u32[(offset >>> 2) + 1] as number
      if (length === 0) return []
      if (!packed) return revive(packr.unpack(readHeapBytes(page, offset, heap)))
      const address = page.u32[offset >>> 2] as number
      const source = heap.page(address)
      const start = address & OFFSET_MASK
      const count = length / element.size
      const items = new Array<unknown>(count)
      for (let i = 0; i < count; i++) {
        items[i] = element.read(source, start + i * element.size, heap)
      }
      return items
    },
    freeRefs: freeHeapRef,
    revive,
  }
}

/** A fixed array `T name[N]`: N elements inline. */
export function arrayType(element: ValueType, length: number): ValueType {
  const stride = Math.ceil(element.size / element.align) * element.align
  const expected = `an array of ${length} ${element.label}`
  return {
    label: `${element.label}[${length}]`,
    size: stride * length,
    align: element.align,
    hasRefs: element.hasRefs,
    key: null,
    normalize(value, where) {
      if (!Array.isArray(value) || value.length !== length) {
        throw invalidValue(where, expected, value)
      }
      return normalizeElements(element, value, where)
    },
    zero: () => Array.from({ length }, () => element.zero()),
    write(page, offset, value, heap) {
      const items = value as unknown[]
      for (let i = 0; i < length; i++) element.write(page, offset + i * stride, items[i], heap)
    },
    read(page, offset, heap) {
      const items = new Array<unknown>(length)
      for (let i = 0; i < length; i++) items[i] = element.read(page, offset + i * stride, heap)
      return items
    },
    freeRefs(page, offset, heap) {
      if (!element.hasRefs) return
      for (let i = 0; i < length; i++) element.freeRefs(page, offset + i * stride, heap)
    },
    revive(value) {
      return Array.isArray(value) ? value.map((item) => element.revive(item)) : value
    },
  }
}

/** An enum: an int4 that must be one of the member values. */
export function enumType(name: string, values: readonly number[]): ValueType {
  const members = new Set(values)
  const base = numberType({
    label: name,
    view: 'i32',
    size: 4,
    min: -(2 ** 31),
    max: 2 ** 31 - 1,
    integer: true,
  })
  const expected = `a value of enum ${name} (${[...members].join(', ')})`
  return {
    ...base,
    normalize(value, where) {
      if (typeof value !== 'number' || !members.has(value)) {
        throw invalidValue(where, expected, value)
      }
      return value
    },
  }
}

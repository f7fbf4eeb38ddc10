/**
 * Record readers compiled once per layout (class or struct): one function that reads every
 * field of a record and returns ONE object literal with the fields in dictionary order (or an
 * array of the values, the change-set form). Numbers are read straight from the typed-array
 * view of the page at a constant offset; other types call their own reader.
 *
 * Why generated code: an object literal written out in source gets a boilerplate map with all
 * its fields, so every object a reader returns has the same shape from its first store on, and
 * the reads are constant-offset loads. The loop it replaces (`result[field.name] = ...`) makes a
 * keyed store per field with a name that changes from field to field, a megamorphic site that
 * grows each object one property at a time. The generated text is built only from numbers
 * (offsets, masks) and JSON-quoted field names; the values themselves are never part of it.
 * Measured on the bench schema: see the commit that introduced this file.
 */
import { assert } from '../util/assert.js'
import type { Page } from './memory-device.js'
import { numberReader, type HeapAccess, type ValueType } from './value-type.js'

/** The part of a field slot a reader needs (FieldSlot satisfies it). */
export interface ReadableField {
  readonly name: string
  readonly type: ValueType
  readonly nullable: boolean
  readonly offset: number
  readonly nullByte: number
  readonly nullMask: number
}

export type ObjectReader = (page: Page, base: number, heap: HeapAccess) => Record<string, unknown>
export type ValuesReader = (page: Page, base: number, heap: HeapAccess) => unknown[]

const SHIFTS: Readonly<Record<string, number>> = {
  u8: 0, i8: 0, u16: 1, i16: 1, u32: 2, i32: 2, f32: 2, f64: 3,
}

/** The expression that reads one field; `readers[i]` is its type's reader when not inlined. */
function fieldExpression(field: ReadableField, i: number): string {
  const at = `base + ${field.offset}`
  const access = field.type.key
  let value: string
  // A plain number type reads its typed-array cell directly (booleans and others share the
  // view but convert, so only types whose reader IS the view reader are inlined).
  const view = access !== null && access.kind === 'number' ? access.view : null
  if (view !== null && field.type.read === numberReader(view)) {
    const shift = SHIFTS[view] as number
    value = shift === 0 ? `page.${view}[${at}]` : `page.${view}[(${at}) >>> ${shift}]`
  } else {
    value = `readers[${i}](page, ${at}, heap)`
  }
  if (!field.nullable) return value
  return `(page.u8[base + ${field.nullByte}] & ${field.nullMask}) !== 0 ? null : ${value}`
}

/** An object-literal key for a field name; `__proto__` must be computed to stay own data. */
function literalKey(name: string): string {
  const quoted = JSON.stringify(name)
  return name === '__proto__' ? `[${quoted}]` : quoted
}

function compile<T>(fields: readonly ReadableField[], body: string): T {
  const readers = fields.map((field) => field.type.read)
  const source = `return function readRecord(page, base, heap) { return ${body} }`
  const make = new Function('readers', source) as (readers: unknown[]) => T
  return make(readers)
}

/** Compiles the object reader of a layout whose fields are in dictionary order. */
export function compileObjectReader(fields: readonly ReadableField[]): ObjectReader {
  assert(new Set(fields.map((field) => field.name)).size === fields.length, 'duplicate fields')
  const entries = fields.map(
    (field, i) => `${literalKey(field.name)}: ${fieldExpression(field, i)}`,
  )
  return compile<ObjectReader>(fields, `{ ${entries.join(', ')} }`)
}

/** Compiles the reader of the values of a layout, in dictionary order (change-set form). */
export function compileValuesReader(fields: readonly ReadableField[]): ValuesReader {
  const items = fields.map((field, i) => fieldExpression(field, i))
  return compile<ValuesReader>(fields, `[${items.join(', ')}]`)
}

/**
 * Record writers compiled once per class layout, the counterpart of record-reader.ts: one
 * function that checks the values of a plain object field by field (`normalizeObject`), and
 * one that writes canonical values into a slot (`writeValues`). Numbers are stored straight
 * into the typed-array view of the page at a constant offset; other types call their writer.
 *
 * Why generated code: the loops they replace read `values[field.name]` (a keyed load whose name
 * changes per field) and call `field.type.normalize` / `field.type.write` through one call site
 * for every type (megamorphic). Written out, each field has its own named load and its own
 * call site. The generated text holds only numbers (offsets, masks, sizes) and JSON-quoted field
 * names; values never enter it.
 */
import { AssertionError } from '../errors.js'
import { assert } from '../util/assert.js'
import type { Page } from './memory-device.js'
import { numberWriter, type HeapAccess, type ValueType } from './value-type.js'

/** The part of a field slot a writer needs (FieldSlot satisfies it). */
export interface WritableField {
  readonly name: string
  readonly type: ValueType
  readonly nullable: boolean
  readonly offset: number
  readonly nullByte: number
  readonly nullMask: number
}

/**
 * Checks a plain object's fields into `out` (canonical values, field order) and returns how
 * many fields it names (not undefined), so the caller can tell whether it has other keys.
 */
export type ObjectNormalizer = (values: Record<string, unknown>, out: unknown[]) => number
/** Writes canonical values (field order) into the slot at `base`. */
export type ValuesWriter = (
  page: Page,
  base: number,
  values: readonly unknown[],
  heap: HeapAccess,
) => void

const SHIFTS: Readonly<Record<string, number>> = {
  u8: 0, i8: 0, u16: 1, i16: 1, u32: 2, i32: 2, f32: 2, f64: 3,
}

/**
 * Compiles the normalizer of a layout: undefined takes the zero value (null where nullable),
 * null is refused by `rejectNull(i)` unless the field is nullable, and any other value goes
 * through its type's `normalize` with the name `${owner}.${field}` for messages.
 */
export function compileObjectNormalizer(
  owner: string,
  fields: readonly WritableField[],
  rejectNull: (index: number) => never,
): ObjectNormalizer {
  assert(new Set(fields.map((field) => field.name)).size === fields.length, 'duplicate fields')
  const lines = ['let known = 0', 'let v']
  fields.forEach((field, i) => {
    const absent = field.nullable ? 'null' : `types[${i}].zero()`
    const nullValue = field.nullable ? 'null' : `rejectNull(${i})`
    lines.push(
      `v = values[${JSON.stringify(field.name)}]`,
      `if (v === undefined) out[${i}] = ${absent}`,
      `else { known++; out[${i}] = v === null ? ${nullValue} : ` +
        `types[${i}].normalize(v, wheres[${i}]) }`,
    )
  })
  lines.push('return known')
  const source = `return function normalizeObject(values, out) { ${lines.join('; ')} }`
  const make = new Function('types', 'wheres', 'rejectNull', source) as (
    types: readonly ValueType[],
    wheres: readonly string[],
    reject: typeof rejectNull,
  ) => ObjectNormalizer
  const types = fields.map((field) => field.type)
  return make(types, fields.map((field) => `${owner}.${field.name}`), rejectNull)
}

/** The statement that writes field i (its value is `value`, known not to be null). */
function writeStatement(field: WritableField, i: number, value: string): string {
  const at = `base + ${field.offset}`
  const access = field.type.key
  const view = access !== null && access.kind === 'number' ? access.view : null
  if (view !== null && field.type.write === numberWriter(view)) {
    const shift = SHIFTS[view] as number
    const cell = shift === 0 ? at : `(${at}) >>> ${shift}`
    return `page.${view}[${cell}] = ${value}`
  }
  return `writers[${i}](page, ${at}, ${value}, heap)`
}

/** The statements that write field i, null bit included. */
function fieldWrite(field: WritableField, i: number, value: string): string {
  const write = writeStatement(field, i, value)
  if (!field.nullable) return write
  const flag = `base + ${field.nullByte}`
  const end = `base + ${field.offset + field.type.size}`
  return (
    `if (${value} === null) { page.u8[${flag}] |= ${field.nullMask}; ` +
    `page.u8.fill(0, base + ${field.offset}, ${end}) } ` +
    `else { page.u8[${flag}] &= ${~field.nullMask & 0xff}; ${write} }`
  )
}

function compileWriter<T>(fields: readonly WritableField[], source: string): T {
  const writers = fields.map((field) => field.type.write)
  const make = new Function('writers', 'badIndex', source) as (
    writers: unknown[],
    bad: (index: number) => never,
  ) => T
  return make(writers, badFieldIndex)
}

/** Compiles the slot writer of a layout whose fields are in dictionary order. */
export function compileValuesWriter(fields: readonly WritableField[]): ValuesWriter {
  const lines = fields.map((field, i) => fieldWrite(field, i, `values[${i}]`))
  const body = lines.join('; ')
  return compileWriter(fields, `return function writeValues(page, base, values, heap) { ${body} }`)
}

/** Writes one canonical field value (field `index`, dictionary order) into the slot at `base`. */
export type FieldWriter = (
  page: Page,
  base: number,
  index: number,
  value: unknown,
  heap: HeapAccess,
) => void

/**
 * Compiles the one-field writer of a layout (updates): a switch with one case, and so one call
 * site, per field.
 */
export function compileFieldWriter(fields: readonly WritableField[]): FieldWriter {
  const cases = fields.map((field, i) => `case ${i}: ${fieldWrite(field, i, 'value')}; return`)
  const body = `switch (index) { ${cases.join('; ')} } badIndex(index)`
  const source = `return function writeField(page, base, index, value, heap) { ${body} }`
  return compileWriter(fields, source)
}

/** Checks one field value (field `index`) and returns its canonical form. */
export type FieldNormalizer = (index: number, value: unknown) => unknown

/** Compiles the one-field check of a layout (updates), as `compileObjectNormalizer` checks. */
export function compileFieldNormalizer(
  owner: string,
  fields: readonly WritableField[],
  rejectNull: (index: number) => never,
): FieldNormalizer {
  const cases = fields.map((field, i) => {
    const absent = field.nullable ? 'null' : `types[${i}].zero()`
    const nullValue = field.nullable ? 'null' : `rejectNull(${i})`
    return (
      `case ${i}: return v === undefined ? ${absent} : v === null ? ${nullValue} : ` +
      `types[${i}].normalize(v, wheres[${i}])`
    )
  })
  const source =
    `return function normalizeField(index, v) { switch (index) { ${cases.join('; ')} } ` +
    'return badIndex(index) }'
  const make = new Function('types', 'wheres', 'rejectNull', 'badIndex', source) as (
    types: readonly ValueType[],
    wheres: readonly string[],
    reject: typeof rejectNull,
    bad: (index: number) => never,
  ) => FieldNormalizer
  const types = fields.map((field) => field.type)
  const wheres = fields.map((field) => `${owner}.${field.name}`)
  return make(types, wheres, rejectNull, badFieldIndex)
}

function badFieldIndex(index: number): never {
  throw new AssertionError(`no field at index ${index}`)
}

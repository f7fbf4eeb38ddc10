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

/** The statement that writes field i (its value is `values[i]`, known not to be null). */
function writeStatement(field: WritableField, i: number): string {
  const at = `base + ${field.offset}`
  const access = field.type.key
  const view = access !== null && access.kind === 'number' ? access.view : null
  if (view !== null && field.type.write === numberWriter(view)) {
    const shift = SHIFTS[view] as number
    const cell = shift === 0 ? at : `(${at}) >>> ${shift}`
    return `page.${view}[${cell}] = values[${i}]`
  }
  return `writers[${i}](page, ${at}, values[${i}], heap)`
}

/** Compiles the slot writer of a layout whose fields are in dictionary order. */
export function compileValuesWriter(fields: readonly WritableField[]): ValuesWriter {
  const lines = fields.map((field, i) => {
    const write = writeStatement(field, i)
    if (!field.nullable) return write
    const flag = `base + ${field.nullByte}`
    const end = `base + ${field.offset + field.type.size}`
    return (
      `if (values[${i}] === null) { page.u8[${flag}] |= ${field.nullMask}; ` +
      `page.u8.fill(0, base + ${field.offset}, ${end}) } ` +
      `else { page.u8[${flag}] &= ${~field.nullMask & 0xff}; ${write} }`
    )
  })
  const writers = fields.map((field) => field.type.write)
  const source = `return function writeValues(page, base, values, heap) { ${lines.join('; ')} }`
  const make = new Function('writers', source) as (writers: unknown[]) => ValuesWriter
  return make(writers)
}

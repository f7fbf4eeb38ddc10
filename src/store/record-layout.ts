/**
 * Record layouts compiled from the dictionary: where every field of a class (and of every
 * struct) lives inside a fixed-size record slot. A class slot starts with its oid (float64,
 * 0 = free slot), then the null bitmap of its nullable fields, then the fields ordered by
 * alignment (widest first) so that every number sits at its natural alignment and typed-array
 * views read it directly. Structs are laid out the same way (bitmap, then fields) and stored
 * inline in the slot of their owner.
 */
import { AssertionError, TandemError } from '../errors.js'
import type { ClassDef, Dictionary, FieldDef, FieldType } from '../schema/dictionary.js'
import { assert, unreachable } from '../util/assert.js'
import type { Page } from './memory-device.js'
import {
  compileObjectReader,
  compileValuesReader,
  type ObjectReader,
  type ValuesReader,
} from './record-reader.js'
import {
  compileFieldNormalizer,
  compileFieldWriter,
  compileObjectNormalizer,
  compileValuesWriter,
  type FieldNormalizer,
  type FieldWriter,
  type ObjectNormalizer,
  type ValuesWriter,
} from './record-writer.js'
import {
  arrayType,
  bigintType,
  booleanType,
  enumType,
  fixedBytesType,
  invalidValue,
  numberType,
  stringType,
  varbinaryType,
  vectorType,
  type HeapAccess,
  type ValueType,
} from './value-type.js'

/** Where one field lives inside its layout. */
export interface FieldSlot {
  readonly name: string
  /** Position in the dictionary's field list (the order of change-set values). */
  readonly index: number
  readonly type: ValueType
  readonly nullable: boolean
  /** Offset of the field inside its layout. */
  readonly offset: number
  /** Byte of the null bitmap inside the layout, and the bit mask (nullable fields only). */
  readonly nullByte: number
  readonly nullMask: number
}

/** The layout of a class record or of a struct. */
export class Layout {
  /** Fields in dictionary order. */
  readonly fields: readonly FieldSlot[]
  readonly byName: ReadonlyMap<string, FieldSlot>
  readonly size: number
  readonly align: 1 | 2 | 4 | 8
  readonly hasRefs: boolean
  /** The name used in error messages ('Class' or 'Struct'). */
  readonly owner: string
  /** Reads a whole record at `base` as one object (fields in dictionary order). */
  readonly readObject: ObjectReader
  /** Reads the values of a record at `base` in dictionary order (change-set form). */
  readonly readValues: ValuesReader
  /**
   * Checks a plain object's fields into `out` (canonical values in dictionary order); returns
   * the number of fields it names, to compare with its own key count (unknown keys).
   */
  readonly normalizeFields: ObjectNormalizer
  /** Writes canonical values (dictionary order) into a zeroed or freed record at `base`. */
  readonly writeValues: ValuesWriter
  /** `normalizeField` of the field at a dictionary index, through its own call site. */
  readonly normalizeFieldAt: FieldNormalizer
  /** `writeField` of the field at a dictionary index, through its own call site. */
  readonly writeFieldAt: FieldWriter

  constructor(owner: string, defs: readonly FieldDef[], headerBytes: number, types: ValueType[]) {
    assert(defs.length === types.length, 'one type per field')
    this.owner = owner
    const nullableCount = defs.filter((def) => def.nullable).length
    const bitmapOffset = headerBytes
    let offset = bitmapOffset + Math.ceil(nullableCount / 8)
    const alignOf = (i: number): number => (types[i] as ValueType).align
    const order = defs.map((_, i) => i).sort((a, b) => alignOf(b) - alignOf(a) || a - b)
    const slots = new Array<FieldSlot>(defs.length)
    let nullBit = 0
    for (const i of order) {
      const def = defs[i] as FieldDef
      const type = types[i] as ValueType
      offset = Math.ceil(offset / type.align) * type.align
      const nullable = def.nullable
      const bit = nullable ? nullBit++ : 0
      slots[i] = {
        name: def.name,
        index: i,
        type,
        nullable,
        offset,
        nullByte: nullable ? bitmapOffset + (bit >>> 3) : 0,
        nullMask: nullable ? 1 << (bit & 7) : 0,
      }
      offset += type.size
    }
    const widest = Math.max(headerBytes > 0 ? 8 : 1, ...types.map((type) => type.align))
    this.align = widest as 1 | 2 | 4 | 8
    this.size = Math.max(this.align, Math.ceil(offset / this.align) * this.align)
    this.fields = slots
    this.byName = new Map(slots.map((slot) => [slot.name, slot]))
    this.hasRefs = types.some((type) => type.hasRefs)
    this.readObject = compileObjectReader(slots)
    this.readValues = compileValuesReader(slots)
    const rejectNull = (index: number): never => {
      this.normalizeField(slots[index] as FieldSlot, null)
      throw new AssertionError('a null value passed a field that is not nullable')
    }
    this.normalizeFields = compileObjectNormalizer(owner, slots, rejectNull)
    this.writeValues = compileValuesWriter(slots)
    this.normalizeFieldAt = compileFieldNormalizer(owner, slots, rejectNull)
    this.writeFieldAt = compileFieldWriter(slots)
  }

  /**
   * Checks a value for one field: null only where nullable, undefined = the zero value.
   * Returns the canonical value.
   */
  normalizeField(field: FieldSlot, value: unknown): unknown {
    if (value === undefined) return field.nullable ? null : field.type.zero()
    if (value === null) {
      if (field.nullable) return null
      throw invalidValue(`${this.owner}.${field.name}`, `${field.type.label} (not nullable)`, null)
    }
    return field.type.normalize(value, `${this.owner}.${field.name}`)
  }

  /** Checks a plain object against the layout and returns canonical values in field order. */
  normalizeObject(value: unknown, where: string): unknown[] {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw invalidValue(where, `an object of ${this.owner}`, value)
    }
    const record = value as Record<string, unknown>
    for (const name in record) {
      if (!this.byName.has(name)) throw unknownField(this.owner, name)
    }
    const values = new Array<unknown>(this.fields.length)
    for (let i = 0; i < this.fields.length; i++) {
      const field = this.fields[i] as FieldSlot
      values[i] = this.normalizeField(field, record[field.name])
    }
    return values
  }

  /** Writes a canonical field value at `base` (the start of this layout). */
  writeField(page: Page, base: number, field: FieldSlot, value: unknown, heap: HeapAccess): void {
    if (field.nullable) {
      const at = base + field.nullByte
      if (value === null) {
        page.u8[at] = (page.u8[at] as number) | field.nullMask
        page.u8.fill(0, base + field.offset, base + field.offset + field.type.size)
        return
      }
      page.u8[at] = (page.u8[at] as number) & ~field.nullMask
    }
    field.type.write(page, base + field.offset, value, heap)
  }

  readField(page: Page, base: number, field: FieldSlot, heap: HeapAccess): unknown {
    if (field.nullable && ((page.u8[base + field.nullByte] as number) & field.nullMask) !== 0) {
      return null
    }
    return field.type.read(page, base + field.offset, heap)
  }

  /** Frees, at commit, the heap blocks of one field. */
  freeField(page: Page, base: number, field: FieldSlot, heap: HeapAccess): void {
    if (field.type.hasRefs) field.type.freeRefs(page, base + field.offset, heap)
  }
}

/** The error for a field name the class or struct does not have. */
export function unknownField(owner: string, name: string): TandemError {
  return new TandemError('TDB_INVALID_ARGUMENT', `${owner}.${name}: no such field`, {
    owner,
    field: name,
  })
}

const structLayouts = new WeakMap<ValueType, Layout>()

/** The layout of a struct type, or undefined for other types. */
export function structLayoutOf(type: ValueType): Layout | undefined {
  return structLayouts.get(type)
}

/** A struct stored inline: a layout with no header. */
function structType(layout: Layout): ValueType {
  const type: ValueType = {
    label: layout.owner,
    size: layout.size,
    align: layout.align,
    hasRefs: layout.hasRefs,
    key: null,
    normalize(value, where) {
      const values = layout.normalizeObject(value, where)
      const result: Record<string, unknown> = {}
      for (let i = 0; i < values.length; i++) {
        result[(layout.fields[i] as FieldSlot).name] = values[i]
      }
      return result
    },
    zero() {
      const result: Record<string, unknown> = {}
      for (const field of layout.fields) {
        result[field.name] = field.nullable ? null : field.type.zero()
      }
      return result
    },
    write(page, offset, value, heap) {
      const record = value as Record<string, unknown>
      for (const field of layout.fields) {
        layout.writeField(page, offset, field, record[field.name], heap)
      }
    },
    read(page, offset, heap) {
      return layout.readObject(page, offset, heap)
    },
    freeRefs(page, offset, heap) {
      for (const field of layout.fields) layout.freeField(page, offset, field, heap)
    },
    revive(value) {
      if (typeof value !== 'object' || value === null) return value
      const record = value as Record<string, unknown>
      const result: Record<string, unknown> = {}
      for (const field of layout.fields) {
        const item = record[field.name]
        result[field.name] = item === null || item === undefined ? item : field.type.revive(item)
      }
      return result
    },
  }
  structLayouts.set(type, layout)
  return type
}

/** Compiles the value types of a dictionary, structs first (each once). */
export class TypeCompiler {
  readonly #dictionary: Dictionary
  readonly #structs = new Map<string, Layout>()
  readonly #building = new Set<string>()

  constructor(dictionary: Dictionary) {
    this.#dictionary = dictionary
  }

  /** The layout of a struct, compiled on first use. */
  structLayout(name: string): Layout {
    const known = this.#structs.get(name)
    if (known !== undefined) return known
    const def = this.#dictionary.structs.find((struct) => struct.name === name)
    if (def === undefined) throw badSchema(`unknown struct ${name}`)
    if (this.#building.has(name)) throw badSchema(`struct ${name} contains itself`)
    this.#building.add(name)
    const layout = new Layout(name, def.fields, 0, def.fields.map((field) => this.fieldType(field)))
    this.#building.delete(name)
    this.#structs.set(name, layout)
    return layout
  }

  /** The layout of a class record (with its oid header). */
  classLayout(def: ClassDef): Layout {
    return new Layout(def.name, def.fields, 8, def.fields.map((field) => this.fieldType(field)))
  }

  fieldType(field: FieldDef): ValueType {
    const type = this.#scalarType(field.type)
    return field.arrayLength === null ? type : arrayType(type, field.arrayLength)
  }

  #scalarType(type: FieldType): ValueType {
    switch (type.kind) {
      case 'int':
        return intType(type.bytes, type.signed)
      case 'float':
        return numberType({
          label: 'float',
          view: 'f32',
          size: 4,
          min: 0,
          max: 0,
          integer: false,
          float32: true,
        })
      case 'double':
        return numberType({ label: 'double', view: 'f64', size: 8, min: 0, max: 0, integer: false })
      case 'boolean':
        return booleanType
      case 'char':
        return fixedBytesType(type.length, true)
      case 'binary':
        return fixedBytesType(type.length, false)
      case 'string':
        return stringType
      case 'varbinary':
        return varbinaryType
      case 'date':
      case 'time':
        return numberType({
          label: type.kind,
          view: 'u32',
          size: 4,
          min: 0,
          max: 2 ** 32 - 1,
          integer: true,
        })
      case 'datetime':
        return numberType({
          label: 'datetime',
          view: 'f64',
          size: 8,
          min: -Number.MAX_SAFE_INTEGER,
          max: Number.MAX_SAFE_INTEGER,
          integer: true,
        })
      case 'vector':
        return vectorType(this.#scalarType(type.element))
      case 'struct':
        return structType(this.structLayout(type.name))
      case 'enum': {
        const def = this.#dictionary.enums.find((item) => item.name === type.name)
        if (def === undefined) throw badSchema(`unknown enum ${type.name}`)
        return enumType(type.name, def.members.map((member) => member.value))
      }
      case 'autoid':
      case 'ref':
        return numberType({
          label: type.kind === 'ref' ? 'ref' : 'autoid_t',
          view: 'f64',
          size: 8,
          min: 0,
          max: Number.MAX_SAFE_INTEGER,
          integer: true,
        })
      default:
        return unreachable(type, 'field type')
    }
  }
}

function intType(bytes: 1 | 2 | 4 | 8, signed: boolean): ValueType {
  const label = `${signed ? 'signed' : 'unsigned'}<${bytes}>`
  if (bytes === 8) return bigintType(signed)
  const bits = bytes * 8
  const min = signed ? -(2 ** (bits - 1)) : 0
  const max = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1
  const view = `${signed ? 'i' : 'u'}${bits}` as 'i8' | 'u8' | 'i16' | 'u16' | 'i32' | 'u32'
  return numberType({ label, view, size: bytes, min, max, integer: true })
}

function badSchema(message: string): TandemError {
  return new TandemError('TDB_INVALID_ARGUMENT', `dictionary: ${message}`)
}

/**
 * The hashes that let two nodes check that they store the same data: a shape hash per class and
 * the replicated hash of a dictionary. Both are sha256 (hex) of a canonical JSON encoding built
 * from arrays only, so that neither key order, white space, comments nor `#define` spelling of
 * the DDL can change them. Structs and enums are expanded into the fields that use them; the
 * `local` flag and other class qualifiers do not enter a shape.
 */
import { createHash } from 'node:crypto'
import { assert, unreachable } from '../util/assert.js'
import type { ClassDef, EnumDef, FieldDef, FieldType, IndexDef, StructDef } from './dictionary.js'

/** The structs and enums that class shapes expand, and the declared oid struct if any. */
export interface ShapeContext {
  readonly structs: ReadonlyMap<string, StructDef>
  readonly enums: ReadonlyMap<string, EnumDef>
  readonly oidStruct: string | null
}

type Encoded = string | number | boolean | null | readonly Encoded[]

const SHAPE_VERSION = 'tandemdb-shape-1'
const REPLICATED_VERSION = 'tandemdb-replicated-1'

function sha256Hex(value: Encoded): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex')
}

/** The shape hash of a class: its id, name, fields (structs and enums expanded) and indexes. */
export function classShapeHash(cls: Omit<ClassDef, 'shapeHash'>, context: ShapeContext): string {
  const fields = cls.fields.map((field) => encodeField(field, context))
  const indexes = cls.indexes.map((index) => encodeIndex(index, context))
  return sha256Hex([SHAPE_VERSION, cls.id, cls.name, fields, indexes])
}

/** The hash of the replicated part: the shape hashes of the non-local classes, by id. */
export function replicatedHash(classes: readonly ClassDef[]): string {
  const replicated = classes
    .filter((cls) => !cls.local)
    .sort((a, b) => a.id - b.id)
    .map((cls): Encoded => [cls.id, cls.shapeHash])
  return sha256Hex([REPLICATED_VERSION, replicated])
}

function encodeField(field: FieldDef, context: ShapeContext): Encoded {
  return [field.name, encodeType(field.type, context), field.nullable, field.arrayLength]
}

function encodeStruct(name: string, context: ShapeContext): Encoded {
  const struct = context.structs.get(name)
  assert(struct !== undefined, `struct ${name} is resolved before hashing`)
  return ['struct', name, struct.fields.map((field) => encodeField(field, context))]
}

function encodeType(type: FieldType, context: ShapeContext): Encoded {
  switch (type.kind) {
    case 'int':
      return ['int', type.bytes, type.signed]
    case 'char':
    case 'binary':
      return [type.kind, type.length]
    case 'vector':
      return ['vector', encodeType(type.element, context)]
    case 'struct':
      return encodeStruct(type.name, context)
    case 'enum': {
      const members = context.enums.get(type.name)?.members ?? []
      return ['enum', type.name, members.map((member): Encoded => [member.name, member.value])]
    }
    case 'autoid':
      return ['autoid', type.className]
    case 'float':
    case 'double':
    case 'boolean':
    case 'string':
    case 'varbinary':
    case 'date':
    case 'time':
    case 'datetime':
    case 'ref':
      return [type.kind]
    default:
      return unreachable(type, 'field type')
  }
}

function encodeIndex(index: IndexDef, context: ShapeContext): Encoded {
  switch (index.kind) {
    case 'tree':
    case 'hash': {
      const keys = index.keys.map((key): Encoded => [[...key.path], key.descending])
      const size = index.kind === 'hash' ? index.initialSize : null
      return [index.kind, index.name, index.unique, keys, size]
    }
    case 'list':
      return ['list', index.name]
    case 'autoid':
      return ['autoid', index.name, index.initialSize]
    case 'oid': {
      const struct = context.oidStruct === null ? null : encodeStruct(context.oidStruct, context)
      return ['oid', index.name, struct]
    }
    default:
      return unreachable(index, 'index kind')
  }
}

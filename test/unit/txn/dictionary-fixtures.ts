/**
 * Hand-built dictionaries for store and transaction tests (the shape `loadDictionary` gives),
 * so these tests do not depend on the schema parser.
 */
import type {
  ClassDef,
  Dictionary,
  EnumDef,
  FieldDef,
  FieldType,
  IndexDef,
  StructDef,
} from '../../../src/schema/dictionary.js'

export const types = {
  i1: { kind: 'int', bytes: 1, signed: true },
  u1: { kind: 'int', bytes: 1, signed: false },
  i2: { kind: 'int', bytes: 2, signed: true },
  u2: { kind: 'int', bytes: 2, signed: false },
  i4: { kind: 'int', bytes: 4, signed: true },
  u4: { kind: 'int', bytes: 4, signed: false },
  i8: { kind: 'int', bytes: 8, signed: true },
  u8: { kind: 'int', bytes: 8, signed: false },
  float: { kind: 'float' },
  double: { kind: 'double' },
  boolean: { kind: 'boolean' },
  string: { kind: 'string' },
  varbinary: { kind: 'varbinary' },
  date: { kind: 'date' },
  time: { kind: 'time' },
  datetime: { kind: 'datetime' },
  ref: { kind: 'ref' },
  autoid: { kind: 'autoid', className: null },
  char: (length: number): FieldType => ({ kind: 'char', length }),
  binary: (length: number): FieldType => ({ kind: 'binary', length }),
  vector: (element: FieldType): FieldType => ({ kind: 'vector', element }),
  struct: (name: string): FieldType => ({ kind: 'struct', name }),
  enum: (name: string): FieldType => ({ kind: 'enum', name }),
} as const satisfies Record<string, FieldType | ((...args: never[]) => FieldType)>

export function field(
  name: string,
  type: FieldType,
  options: { nullable?: boolean; arrayLength?: number } = {},
): FieldDef {
  return {
    name,
    type,
    nullable: options.nullable ?? false,
    arrayLength: options.arrayLength ?? null,
  }
}

export function tree(
  name: string,
  keys: (string | string[])[],
  unique = false,
  descending: boolean[] = [],
): IndexDef {
  return {
    kind: 'tree',
    name,
    unique,
    keys: keys.map(
      (key, i) => (
        { path: typeof key === 'string' ? [key] : key, descending: descending[i] ?? false }
      )
    ),
  }
}

export function hash(name: string, keys: string[], unique = false): IndexDef {
  return {
    kind: 'hash',
    name,
    unique,
    keys: keys.map((key) => ({ path: [key], descending: false })),
    initialSize: 64,
  }
}

export function list(name: string): IndexDef {
  return { kind: 'list', name }
}

export function classDef(
  id: number,
  name: string,
  fields: FieldDef[],
  indexes: IndexDef[] = [],
  local = false,
): ClassDef {
  return { id, name, local, qualifiers: [], fields, indexes, shapeHash: `shape-${id}` }
}

export function dictionary(
  classes: ClassDef[],
  structs: StructDef[] = [],
  enums: EnumDef[] = [],
): Dictionary {
  return { name: 'test', autoOid: null, oid: null, structs, enums, classes, replicatedHash: 'test' }
}

/** The benchmark shape: { key uint4, name string, value double } with a unique tree on key. */
export function benchDictionary(): Dictionary {
  return dictionary([
    classDef(
      1,
      'Item',
      [field('key', types.u4), field('name', types.string), field('value', types.double)],
      [tree('byKey', ['key'], true)],
    ),
  ])
}

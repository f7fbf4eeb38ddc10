/**
 * The semantic checks of a parsed schema and the construction of its `Dictionary`: one
 * `declare database`, unique names, known types, no struct that contains itself, keys that name
 * indexable fields, a declared oid for `oid` indexes, `autoid_t<Class>` naming a class with an
 * autoid index. Every error points at the token it is about.
 */
import type {
  ClassDef,
  Dictionary,
  EnumDef,
  FieldDef,
  FieldType,
  IndexDef,
  IndexKey,
  StructDef,
} from './dictionary.js'
import type {
  ClassNode,
  DeclareNode,
  EnumNode,
  FieldNode,
  IndexNode,
  KeyNode,
  SchemaNode,
  TypeNode,
} from './ast.js'
import { RESERVED_TYPE_NAMES } from './reserved-names.js'
import { schemaErrorAt } from './schema-error-at.js'
import { classShapeHash, replicatedHash } from './shape-hash.js'
import type { ShapeContext } from './shape-hash.js'
import { lineColumn } from './token.js'
import type { SourcePosition } from './token.js'
import { typeText } from './type-text.js'

type NamedKind = 'struct' | 'enum' | 'class'

interface Named {
  readonly kind: NamedKind
  readonly pos: SourcePosition
}

function invalid(pos: SourcePosition, expected: string, found: string): Error {
  return schemaErrorAt('TDB_SCHEMA_INVALID', pos, expected, found)
}

function before(a: SourcePosition, b: SourcePosition): number {
  return a.line - b.line || a.column - b.column
}

/** Checks a parsed schema and builds its dictionary (not yet frozen). */
export function checkSchema(schema: SchemaNode): Dictionary {
  return new Checker(schema).dictionary()
}

class Checker {
  readonly #schema: SchemaNode
  readonly #names = new Map<string, Named>()
  readonly #structs = new Map<string, StructDef>()
  readonly #enums = new Map<string, EnumDef>()

  constructor(schema: SchemaNode) {
    this.#schema = schema
  }

  dictionary(): Dictionary {
    const { name, autoOid, oid } = this.#declarations()
    this.#collectNames()
    for (const node of this.#schema.enums) this.#enums.set(node.name, this.#enum(node))
    for (const node of this.#schema.structs) {
      if (node.fields.length === 0) {
        throw invalid(node.pos, 'at least one field', `struct '${node.name}' with none`)
      }
      this.#structs.set(node.name, { name: node.name, fields: this.#fields(node.fields, 'struct') })
    }
    this.#checkStructCycles()
    if (oid !== null) this.#checkOidStruct(oid.struct, oid.structPos)
    const context: ShapeContext = {
      structs: this.#structs,
      enums: this.#enums,
      oidStruct: oid?.struct ?? null,
    }
    const classes = this.#schema.classes.map((node, position) =>
      this.#class(node, position + 1, context, oid !== null),
    )
    this.#checkAutoidTargets(classes)
    return {
      name,
      autoOid,
      oid: oid === null ? null : { struct: oid.struct, size: oid.size },
      structs: [...this.#structs.values()],
      enums: [...this.#enums.values()],
      classes,
      replicatedHash: replicatedHash(classes),
    }
  }

  #declarations() {
    let database: Extract<DeclareNode, { kind: 'database' }> | null = null
    let autoOid: Extract<DeclareNode, { kind: 'auto_oid' }> | null = null
    let oid: Extract<DeclareNode, { kind: 'oid' }> | null = null
    for (const node of this.#schema.declares) {
      const first = node.kind === 'database' ? database : node.kind === 'auto_oid' ? autoOid : oid
      if (first !== null) {
        const found = `a second one (the first is at ${lineColumn(first.pos)})`
        throw invalid(node.pos, `one 'declare ${node.kind}'`, found)
      }
      if (node.kind === 'database') database = node
      else if (node.kind === 'auto_oid') autoOid = node
      else oid = node
    }
    if (database === null) {
      throw invalid(this.#schema.start, "a 'declare database NAME;' statement", 'none')
    }
    return { name: database.name, autoOid: autoOid?.size ?? null, oid }
  }

  /** Structs, enums and classes share one name space; the later of two is the duplicate. */
  #collectNames(): void {
    const all = [
      ...this.#schema.structs.map((node) => ({ kind: 'struct' as const, node })),
      ...this.#schema.enums.map((node) => ({ kind: 'enum' as const, node })),
      ...this.#schema.classes.map((node) => ({ kind: 'class' as const, node })),
    ].sort((a, b) => before(a.node.pos, b.node.pos))
    for (const { kind, node } of all) {
      if (RESERVED_TYPE_NAMES.has(node.name)) {
        throw invalid(node.pos, `a ${kind} name that is not reserved`, `'${node.name}'`)
      }
      const first = this.#names.get(node.name)
      if (first !== undefined) {
        const found = `'${node.name}' (a ${first.kind} declared at ${lineColumn(first.pos)})`
        throw invalid(node.pos, `a new ${kind} name`, found)
      }
      this.#names.set(node.name, { kind, pos: node.pos })
    }
  }

  #enum(node: EnumNode): EnumDef {
    const seen = new Map<string, SourcePosition>()
    for (const member of node.members) {
      const first = seen.get(member.name)
      if (first !== undefined) {
        const found = `'${member.name}' (already declared at ${lineColumn(first)})`
        throw invalid(member.pos, 'a new enum member name', found)
      }
      seen.set(member.name, member.pos)
    }
    return { name: node.name, members: node.members.map(({ name, value }) => ({ name, value })) }
  }

  #fields(nodes: readonly FieldNode[], owner: 'struct' | 'class'): FieldDef[] {
    const seen = new Map<string, SourcePosition>()
    return nodes.map((node) => {
      const first = seen.get(node.name)
      if (first !== undefined) {
        const found = `'${node.name}' (already declared at ${lineColumn(first)})`
        throw invalid(node.pos, `a new field name in the ${owner}`, found)
      }
      seen.set(node.name, node.pos)
      return this.#field(node)
    })
  }

  #field(node: FieldNode): FieldDef {
    const type = this.#type(node.type)
    if (node.arrayLength !== null && type.kind === 'vector') {
      const found = `an array of vectors '${node.name}'`
      throw invalid(node.pos, 'a fixed array of non-vector elements', found)
    }
    const compound = type.kind === 'vector' || type.kind === 'struct' || node.arrayLength !== null
    if (node.nullable && compound) {
      const what = node.arrayLength !== null ? 'array' : type.kind
      throw invalid(node.pos, 'a scalar field after nullable', `${what} field '${node.name}'`)
    }
    return { name: node.name, type, nullable: node.nullable, arrayLength: node.arrayLength }
  }

  #type(node: TypeNode): FieldType {
    switch (node.kind) {
      case 'builtin':
        return node.type
      case 'autoid':
        return { kind: 'autoid', className: node.className }
      case 'vector': {
        const element = this.#type(node.element)
        if (element.kind === 'vector') {
          throw invalid(node.element.pos, 'a vector element type other than vector', "'vector'")
        }
        return { kind: 'vector', element }
      }
      case 'named': {
        const named = this.#names.get(node.name)
        if (named === undefined) throw invalid(node.pos, 'a type', `'${node.name}'`)
        if (named.kind === 'class') {
          throw invalid(node.pos, 'a struct or enum type', `class '${node.name}'`)
        }
        return { kind: named.kind, name: node.name }
      }
    }
  }

  /** A struct may not contain itself, directly or through other structs, vectors or arrays. */
  #checkStructCycles(): void {
    const done = new Set<string>()
    const visit = (name: string, path: string[]): void => {
      if (done.has(name)) return
      const node = this.#schema.structs.find((struct) => struct.name === name)
      const struct = this.#structs.get(name)
      if (node === undefined || struct === undefined) return
      struct.fields.forEach((field, at) => {
        const target = innermostStruct(field.type)
        if (target === null) return
        if (path.includes(target)) {
          const found = `'${[...path, target].join("' containing '")}'`
          const pos = node.fields[at]?.pos ?? node.pos
          throw invalid(pos, 'a struct that does not contain itself', found)
        }
        visit(target, [...path, target])
      })
      done.add(name)
    }
    for (const node of this.#schema.structs) visit(node.name, [node.name])
  }

  /** `declare oid S[N]`: S is a struct whose fields all have a fixed size. */
  #checkOidStruct(name: string, pos: SourcePosition): void {
    const struct = this.#structs.get(name)
    if (struct === undefined) throw invalid(pos, 'a struct name', `'${name}'`)
    const variable = variableField(struct, this.#structs)
    if (variable !== null) {
      throw invalid(pos, 'a struct of fixed-size fields', `'${name}' with ${variable}`)
    }
  }

  #class(node: ClassNode, id: number, context: ShapeContext, oidDeclared: boolean): ClassDef {
    const fields = this.#fields(node.fields, 'class')
    if (fields.length === 0) {
      throw invalid(node.pos, 'at least one field', `class '${node.name}' with none`)
    }
    const indexes = this.#indexes(node, fields, oidDeclared)
    const { name, local, qualifiers } = node
    const shape = { id, name, local, qualifiers, fields, indexes }
    return { ...shape, shapeHash: classShapeHash(shape, context) }
  }

  #indexes(node: ClassNode, fields: readonly FieldDef[], oidDeclared: boolean): IndexDef[] {
    const names = new Map<string, IndexNode>()
    const accessors = new Map<string, IndexNode>()
    return node.indexes.map((index) => {
      const first = names.get(index.name)
      if (first !== undefined) {
        const found = `'${index.name}' (already declared at ${lineColumn(first.namePos)})`
        throw invalid(index.namePos, 'a new index name in the class', found)
      }
      const twin = accessors.get(capitalize(index.name))
      if (twin !== undefined) {
        const found = `'${index.name}' (its accessors would clash with '${twin.name}')`
        throw invalid(index.namePos, 'an index name that differs beyond its first letter', found)
      }
      names.set(index.name, index)
      accessors.set(capitalize(index.name), index)
      if (index.kind === 'oid' && !oidDeclared) {
        throw invalid(index.pos, "a 'declare oid' statement for an oid index", "'oid'")
      }
      return this.#index(node, index, fields)
    })
  }

  #index(node: ClassNode, index: IndexNode, fields: readonly FieldDef[]): IndexDef {
    const { kind, name } = index
    switch (kind) {
      case 'tree':
      case 'hash': {
        const keys = this.#keys(node, index.keys, fields)
        const base = { name, unique: index.unique, keys }
        if (kind === 'tree') return { kind, ...base }
        return { kind, ...base, initialSize: index.initialSize }
      }
      case 'autoid':
        return { kind, name, initialSize: index.initialSize }
      case 'list':
      case 'oid':
        return { kind, name }
    }
  }

  #keys(node: ClassNode, keys: readonly KeyNode[], fields: readonly FieldDef[]): IndexKey[] {
    const seen = new Set<string>()
    return keys.map((key) => {
      const dotted = key.path.join('.')
      if (seen.has(dotted)) {
        throw invalid(key.positions[0] ?? node.pos, 'each key field once', `'${dotted}' again`)
      }
      seen.add(dotted)
      this.#keyField(node, key, fields)
      return { path: [...key.path], descending: key.descending }
    })
  }

  /** Walks a key path through struct fields to a field that an index can hold. */
  #keyField(node: ClassNode, key: KeyNode, classFields: readonly FieldDef[]): void {
    let fields = classFields
    let owner = `class '${node.name}'`
    key.path.forEach((part, at) => {
      const pos = key.positions[at] ?? node.pos
      const field = fields.find((candidate) => candidate.name === part)
      if (field === undefined) throw invalid(pos, `a field of ${owner}`, `'${part}'`)
      const last = at === key.path.length - 1
      const struct = field.type.kind === 'struct' && field.arrayLength === null
        ? this.#structs.get(field.type.name)
        : undefined
      if (!last && struct === undefined) {
        const found = `'${part}' of type ${typeText(field.type, field.arrayLength)}`
        throw invalid(pos, "a struct field before '.'", found)
      }
      if (last && struct !== undefined) {
        const found = `struct field '${key.path.join('.')}'`
        const expected = `a field of struct '${struct.name}' (${key.path.join('.')}.<field>)`
        throw invalid(pos, expected, found)
      }
      if (last) {
        const kind = field.arrayLength !== null ? 'array' : field.type.kind
        if (kind === 'array' || kind === 'vector' || kind === 'varbinary' || kind === 'struct') {
          const found = `${kind} field '${key.path.join('.')}'`
          throw invalid(pos, 'a key field of a scalar, string or fixed binary type', found)
        }
      }
      if (struct !== undefined) {
        fields = struct.fields
        owner = `struct '${struct.name}'`
      }
    })
  }

  /** `autoid_t<Class>` names a class that has an autoid index. */
  #checkAutoidTargets(classes: readonly ClassDef[]): void {
    const owners: { fields: readonly FieldNode[] }[] = [
      ...this.#schema.structs,
      ...this.#schema.classes,
    ]
    for (const owner of owners) {
      for (const field of owner.fields) {
        let type = field.type
        while (type.kind === 'vector') type = type.element
        if (type.kind !== 'autoid' || type.className === null) continue
        const target = classes.find((cls) => cls.name === type.className)
        if (target === undefined) {
          throw invalid(type.classPos, 'a class name', `'${type.className}'`)
        }
        if (!target.indexes.some((index) => index.kind === 'autoid')) {
          throw invalid(type.classPos, 'a class with an autoid index', `'${type.className}'`)
        }
      }
    }
  }
}

/** The struct a field holds, through vectors; null when it holds no struct. */
function innermostStruct(type: FieldType): string | null {
  if (type.kind === 'vector') return innermostStruct(type.element)
  return type.kind === 'struct' ? type.name : null
}

/** A description of the first variable-size field of a struct (nested structs too), or null. */
function variableField(struct: StructDef, structs: ReadonlyMap<string, StructDef>): string | null {
  for (const field of struct.fields) {
    const kind = field.type.kind
    if (kind === 'string' || kind === 'varbinary' || kind === 'vector') {
      return `${kind} field '${field.name}'`
    }
    const inner = field.type.kind === 'struct' ? structs.get(field.type.name) : undefined
    const nested = inner === undefined ? null : variableField(inner, structs)
    if (nested !== null) return nested
  }
  return null
}

/** The first letter upper-cased: how generated accessor names embed an index name. */
export function capitalize(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1)
}

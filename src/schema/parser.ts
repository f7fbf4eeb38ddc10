/**
 * The recursive-descent parser of the eXtremeDB DDL (after preprocessing). It builds a
 * `SchemaNode`; names are resolved later by the checker. Sizes that the grammar itself bounds
 * (`signed<3>`, `char<0>`, `[0]`) are rejected here, at their token. Constructs of the DDL that
 * tandemdb does not implement are recognised at their first keyword and rejected with
 * TDB_SCHEMA_UNSUPPORTED, so that a schema never compiles with a part silently dropped.
 */
import { assert } from '../util/assert.js'
import type { FieldType } from './dictionary.js'
import type {
  ClassNode,
  DeclareNode,
  EnumNode,
  FieldNode,
  IndexNode,
  KeyNode,
  SchemaNode,
  StructNode,
  TypeNode,
} from './ast.js'
import { schemaErrorAt, unsupportedAt } from './schema-error-at.js'
import { describeToken } from './token.js'
import type { SourcePosition, Token } from './token.js'

/** Class qualifiers that are accepted; only `local` changes what tandemdb does. */
export const CLASS_QUALIFIERS: ReadonlySet<string> = new Set([
  'local',
  'compact',
  'persistent',
  'transient',
  'nonatomic',
])

/** The largest `char<N>`/`binary<N>` length and fixed array length (eXtremeDB: below 64K). */
export const FIXED_LENGTH_MAX = 65535

/** Words that start a class member other than a field, and the construct each names. */
const UNSUPPORTED_MEMBERS: ReadonlyMap<string, string> = new Map([
  ['event', 'event'],
  ['TTL_count', 'TTL declaration'],
  ['TTL_clock_time', 'TTL declaration'],
  ['rtree', 'rtree index'],
  ['kdtree', 'kdtree index'],
  ['patricia', 'patricia index'],
  ['trie', 'patricia index'],
  ['trigram', 'trigram index'],
  ['userdef', 'index qualifier'],
  ['voluntary', 'index qualifier'],
  ['thick', 'index qualifier'],
  ['inclusive', 'index qualifier'],
  ['optional', 'optional struct field'],
])

const UNSUPPORTED_TYPES: ReadonlyMap<string, string> = new Map([
  ['numeric', 'decimal type'],
  ['decimal', 'decimal type'],
  ['sequence', 'sequence type'],
  ['nchar', 'wide-character type'],
  ['wchar', 'wide-character type'],
  ['nstring', 'wide-character type'],
])

const SIMPLE_TYPES: ReadonlyMap<string, FieldType> = new Map<string, FieldType>([
  ['float', { kind: 'float' }],
  ['double', { kind: 'double' }],
  ['boolean', { kind: 'boolean' }],
  ['string', { kind: 'string' }],
  ['varbinary', { kind: 'varbinary' }],
  ['blob', { kind: 'varbinary' }],
  ['date', { kind: 'date' }],
  ['time', { kind: 'time' }],
  ['datetime', { kind: 'datetime' }],
  ['ref', { kind: 'ref' }],
])

/** Words that start an index declaration in a class. */
const INDEX_WORDS: ReadonlySet<string> = new Set([
  'unique',
  'nonunique',
  'tree',
  'hash',
  'list',
  'autoid',
  'oid',
])

/** Parses preprocessed tokens (ending with `eof`) into a schema tree. */
export function parseSchema(tokens: readonly Token[]): SchemaNode {
  return new Parser(tokens).schema()
}

class Parser {
  readonly #tokens: readonly Token[]
  #at = 0

  constructor(tokens: readonly Token[]) {
    this.#tokens = tokens
  }

  schema(): SchemaNode {
    const start = this.#peek().pos
    const declares: DeclareNode[] = []
    const structs: StructNode[] = []
    const enums: EnumNode[] = []
    const classes: ClassNode[] = []
    for (;;) {
      const token = this.#peek()
      if (token.kind === 'eof') break
      if (this.#isWord('declare')) declares.push(this.#declare())
      else if (this.#isWord('struct')) structs.push(this.#struct())
      else if (this.#isWord('enum')) enums.push(this.#enum())
      else if (token.kind === 'ident' && isClassStart(token.text)) classes.push(this.#class())
      else throw this.#syntax("'declare', 'struct', 'enum' or 'class'")
    }
    return { declares, structs, enums, classes, start: { ...start, line: 1, column: 1 } }
  }

  // Token access.

  #peek(): Token {
    const token = this.#tokens[Math.min(this.#at, this.#tokens.length - 1)]
    assert(token !== undefined, 'the token list is not empty')
    return token
  }

  #next(): Token {
    const token = this.#peek()
    if (token.kind !== 'eof') this.#at += 1
    return token
  }

  #isWord(text: string): boolean {
    const token = this.#peek()
    return token.kind === 'ident' && token.text === text
  }

  #isPunct(text: string): boolean {
    const token = this.#peek()
    return token.kind === 'punct' && token.text === text
  }

  #syntax(expected: string): Error {
    const token = this.#peek()
    return schemaErrorAt('TDB_SCHEMA_SYNTAX', token.pos, expected, describeToken(token))
  }

  #punct(text: string): Token {
    if (!this.#isPunct(text)) throw this.#syntax(`'${text}'`)
    return this.#next()
  }

  #word(text: string): Token {
    if (!this.#isWord(text)) throw this.#syntax(`'${text}'`)
    return this.#next()
  }

  #ident(what: string): Token {
    if (this.#peek().kind !== 'ident') throw this.#syntax(what)
    return this.#next()
  }

  #number(what: string): Token {
    if (this.#peek().kind !== 'number') throw this.#syntax(what)
    return this.#next()
  }

  /** `[N]` with N from 1 to `max`. */
  #bracketSize(max = Number.MAX_SAFE_INTEGER): number {
    this.#punct('[')
    const size = this.#sizeBetween(1, max, 'size')
    this.#punct(']')
    return size
  }

  /** A number from `min` to `max`; `what` names it in the error (`size`, `length`). */
  #sizeBetween(min: number, max: number, what: string): number {
    const token = this.#number(`a ${what}`)
    if (token.value < min || token.value > max) {
      const expected = max === Number.MAX_SAFE_INTEGER
        ? `a ${what} of at least ${min}`
        : `a ${what} from ${min} to ${max}`
      throw schemaErrorAt('TDB_SCHEMA_INVALID', token.pos, expected, describeToken(token))
    }
    return token.value
  }

  // Declarations.

  #declare(): DeclareNode {
    const pos = this.#next().pos
    let node: DeclareNode
    if (this.#isWord('database')) {
      this.#next()
      node = { kind: 'database', name: this.#ident('a database name').text, pos }
    } else if (this.#isWord('auto_oid')) {
      this.#next()
      node = { kind: 'auto_oid', size: this.#bracketSize(), pos }
    } else if (this.#isWord('oid')) {
      this.#next()
      const struct = this.#ident('a struct name')
      const size = this.#bracketSize()
      node = { kind: 'oid', struct: struct.text, structPos: struct.pos, size, pos }
    } else {
      throw this.#syntax("'database', 'auto_oid' or 'oid'")
    }
    this.#punct(';')
    return node
  }

  #struct(): StructNode {
    this.#next()
    const name = this.#ident('a struct name')
    this.#punct('{')
    const fields: FieldNode[] = []
    while (!this.#isPunct('}')) {
      const token = this.#peek()
      if (token.kind === 'ident' && INDEX_WORDS.has(token.text)) {
        throw this.#syntax('a field declaration (a struct has no indexes)')
      }
      this.#fields(fields)
    }
    this.#next()
    this.#punct(';')
    return { name: name.text, pos: name.pos, fields }
  }

  #enum(): EnumNode {
    this.#next()
    const name = this.#ident('an enum name')
    this.#punct('{')
    const members: { name: string; value: number; pos: SourcePosition }[] = []
    let value = 0
    for (;;) {
      const member = this.#ident('an enum member name')
      if (this.#isPunct('=')) {
        this.#next()
        value = this.#enumValue()
      }
      members.push({ name: member.text, value, pos: member.pos })
      value += 1
      if (!this.#isPunct(',')) break
      this.#next()
      // A trailing comma before '}' is accepted, as in C.
      if (this.#isPunct('}')) break
    }
    this.#punct('}')
    this.#punct(';')
    return { name: name.text, pos: name.pos, members }
  }

  #enumValue(): number {
    const negative = this.#isPunct('-')
    if (negative) this.#next()
    const token = this.#number('an integer')
    const value = negative ? -token.value : token.value
    if (value < -0x80000000 || value > 0x7fffffff) {
      const found = `'${negative ? '-' : ''}${token.text}'`
      throw schemaErrorAt('TDB_SCHEMA_INVALID', token.pos, 'a 32-bit enum value', found)
    }
    return value
  }

  #class(): ClassNode {
    const qualifiers = this.#qualifiers()
    this.#word('class')
    const name = this.#ident('a class name')
    this.#punct('{')
    const fields: FieldNode[] = []
    const indexes: IndexNode[] = []
    while (!this.#isPunct('}')) this.#member(fields, indexes)
    this.#next()
    this.#punct(';')
    const local = qualifiers.includes('local')
    const others = qualifiers.filter((q) => q !== 'local')
    return { name: name.text, pos: name.pos, local, qualifiers: others, fields, indexes }
  }

  #qualifiers(): string[] {
    const qualifiers: string[] = []
    while (!this.#isWord('class')) {
      const token = this.#peek()
      if (token.kind === 'ident' && token.text === 'distributed') {
        throw unsupportedAt(token.pos, 'class qualifier', token.text)
      }
      if (token.kind !== 'ident' || !CLASS_QUALIFIERS.has(token.text)) {
        throw this.#syntax("a class qualifier or 'class'")
      }
      if (qualifiers.includes(token.text)) {
        const found = `a second '${token.text}'`
        throw schemaErrorAt('TDB_SCHEMA_INVALID', token.pos, 'each qualifier once', found)
      }
      const opposite = token.text === 'persistent' ? 'transient' : 'persistent'
      if (['persistent', 'transient'].includes(token.text) && qualifiers.includes(opposite)) {
        const found = `'${token.text}' after '${opposite}'`
        throw schemaErrorAt('TDB_SCHEMA_INVALID', token.pos, "'persistent' or 'transient'", found)
      }
      qualifiers.push(this.#next().text)
    }
    return qualifiers
  }

  // Class members.

  #member(fields: FieldNode[], indexes: IndexNode[]): void {
    const token = this.#peek()
    const unsupported = token.kind === 'ident' ? UNSUPPORTED_MEMBERS.get(token.text) : undefined
    if (unsupported !== undefined) throw unsupportedAt(token.pos, unsupported, token.text)
    if (token.kind === 'ident' && INDEX_WORDS.has(token.text)) indexes.push(this.#indexDecl())
    else this.#fields(fields)
  }

  #indexDecl(): IndexNode {
    const keyword = this.#peek()
    if (keyword.text === 'list' || keyword.text === 'oid' || keyword.text === 'autoid') {
      this.#next()
      const initialSize = keyword.text === 'autoid' ? this.#bracketSize() : 0
      return this.#implicitKeyIndex(keyword, keyword.text, initialSize)
    }
    return this.#keyIndex()
  }

  /** `list [name];`, `autoid[N] [name];`, `oid [name];` (the name defaults to the keyword). */
  #implicitKeyIndex(
    keyword: Token,
    kind: 'list' | 'autoid' | 'oid',
    initialSize: number,
  ): IndexNode {
    const named = this.#peek().kind === 'ident' ? this.#next() : null
    this.#punct(';')
    return {
      kind,
      name: named?.text ?? kind,
      pos: keyword.pos,
      namePos: named?.pos ?? keyword.pos,
      unique: kind !== 'list',
      keys: [],
      initialSize,
    }
  }

  /**
   * `[unique] tree<keys> name;` and `[unique|nonunique] hash<keys> name[N];`. As in eXtremeDB,
   * a tree is non-unique unless declared `unique`, and a hash is unique unless declared
   * `nonunique`.
   */
  #keyIndex(): IndexNode {
    const modifier = this.#isWord('unique') || this.#isWord('nonunique') ? this.#next() : null
    const keyword = this.#peek()
    const unsupported = keyword.kind === 'ident' ? UNSUPPORTED_MEMBERS.get(keyword.text) : undefined
    if (unsupported !== undefined) throw unsupportedAt(keyword.pos, unsupported, keyword.text)
    const nonunique = modifier?.text === 'nonunique'
    if (!this.#isWord('hash') && (nonunique || !this.#isWord('tree'))) {
      throw this.#syntax(nonunique ? "'hash'" : "'tree' or 'hash'")
    }
    const kind = this.#next().text === 'tree' ? 'tree' : 'hash'
    this.#punct('<')
    const keys = [this.#key(kind)]
    while (this.#isPunct(',')) {
      this.#next()
      keys.push(this.#key(kind))
    }
    this.#punct('>')
    const name = this.#ident('an index name')
    const initialSize = kind === 'hash' ? this.#bracketSize() : 0
    this.#punct(';')
    const unique = kind === 'tree' ? modifier?.text === 'unique' : modifier?.text !== 'nonunique'
    return { kind, name: name.text, pos: keyword.pos, namePos: name.pos, unique, keys, initialSize }
  }

  /** `field`, `structField.field`, then `asc`/`desc` (trees only). */
  #key(kind: 'tree' | 'hash'): KeyNode {
    const first = this.#ident('a field name')
    const path = [first.text]
    const positions = [first.pos]
    while (this.#isPunct('.')) {
      this.#next()
      const part = this.#ident('a field name')
      path.push(part.text)
      positions.push(part.pos)
    }
    let descending = false
    let orderPos: SourcePosition | null = null
    if (this.#isWord('asc') || this.#isWord('desc')) {
      const order = this.#next()
      if (kind === 'hash') {
        const expected = 'a hash key without an order'
        throw schemaErrorAt('TDB_SCHEMA_INVALID', order.pos, expected, `'${order.text}'`)
      }
      descending = order.text === 'desc'
      orderPos = order.pos
    }
    if (this.#isWord('collate')) throw unsupportedAt(this.#peek().pos, 'key collation', 'collate')
    return { path, positions, descending, orderPos }
  }

  // Fields.

  /** `[nullable] type name [[N]] {, name [[N]]};` — appends one field per name. */
  #fields(fields: FieldNode[]): void {
    const nullable = this.#isWord('nullable')
    if (nullable) this.#next()
    const type = this.#type()
    for (;;) {
      const name = this.#ident('a field name')
      const arrayLength = this.#isPunct('[') ? this.#bracketSize(FIXED_LENGTH_MAX) : null
      if (this.#isPunct('=')) throw unsupportedAt(this.#peek().pos, 'default value', '=')
      fields.push({ name: name.text, pos: name.pos, type, nullable, arrayLength })
      if (!this.#isPunct(',')) break
      this.#next()
    }
    this.#punct(';')
  }

  #type(): TypeNode {
    const token = this.#ident('a type')
    const unsupported = UNSUPPORTED_TYPES.get(token.text)
    if (unsupported !== undefined) throw unsupportedAt(token.pos, unsupported, token.text)
    const simple = SIMPLE_TYPES.get(token.text)
    if (simple !== undefined) return { kind: 'builtin', type: simple, pos: token.pos }
    switch (token.text) {
      case 'signed':
      case 'unsigned':
        return { kind: 'builtin', type: this.#intType(token.text === 'signed'), pos: token.pos }
      case 'char':
      case 'binary': {
        this.#punct('<')
        const length = this.#sizeBetween(1, FIXED_LENGTH_MAX, 'length')
        this.#punct('>')
        const kind = token.text === 'char' ? 'char' : 'binary'
        return { kind: 'builtin', type: { kind, length }, pos: token.pos }
      }
      case 'vector': {
        this.#punct('<')
        const element = this.#type()
        this.#punct('>')
        return { kind: 'vector', element, pos: token.pos }
      }
      case 'autoid_t':
        return this.#autoidType(token)
      default:
        return { kind: 'named', name: token.text, pos: token.pos }
    }
  }

  #intType(signed: boolean): FieldType {
    this.#punct('<')
    const size = this.#number('a size')
    if (size.value !== 1 && size.value !== 2 && size.value !== 4 && size.value !== 8) {
      const expected = 'a size of 1, 2, 4 or 8 bytes'
      throw schemaErrorAt('TDB_SCHEMA_INVALID', size.pos, expected, describeToken(size))
    }
    this.#punct('>')
    return { kind: 'int', bytes: size.value, signed }
  }

  #autoidType(keyword: Token): TypeNode {
    if (!this.#isPunct('<')) {
      return { kind: 'autoid', className: null, pos: keyword.pos, classPos: keyword.pos }
    }
    this.#next()
    const name = this.#ident('a class name')
    this.#punct('>')
    return { kind: 'autoid', className: name.text, pos: keyword.pos, classPos: name.pos }
  }
}

function isClassStart(word: string): boolean {
  return word === 'class' || word === 'distributed' || CLASS_QUALIFIERS.has(word)
}

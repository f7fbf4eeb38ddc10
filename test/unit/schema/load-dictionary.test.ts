/**
 * loadDictionary on valid DDL (DESIGN.md "The schema language"): the seed-002 partial
 * replication schemas compile verbatim with `local` on the right class, schema/alltypes.mco puts
 * every supported type and index kind into the dictionary as declared, the preprocessor's
 * #define/#undef/#ifdef/#ifndef/#else/#endif behave as in C, and the result is deep-frozen.
 * A 100-class schema is timed to show loading costs milliseconds.
 */
import { describe, expect, it } from 'vitest'
import type { ClassDef, FieldDef, IndexDef } from '../../../src/schema/dictionary.js'
import { loadDictionary } from '../../../src/schema/load-dictionary.js'
import { schemaDictionary, schemaText } from './schema-files.js'

function classNamed(classes: readonly ClassDef[], name: string): ClassDef {
  const found = classes.find((cls) => cls.name === name)
  if (found === undefined) throw new Error(`no class ${name}`)
  return found
}

function fieldsByName(cls: { fields: readonly FieldDef[] }): Record<string, FieldDef> {
  return Object.fromEntries(cls.fields.map((field) => [field.name, field]))
}

const UINT4 = { kind: 'int', bytes: 4, signed: false }
const SEED_CLASS = {
  qualifiers: [],
  fields: [{ name: 'key', type: UINT4, nullable: false, arrayLength: null }],
  indexes: [
    { kind: 'tree', name: 'tkey', unique: true, keys: [{ path: ['key'], descending: false }] },
  ],
}

describe('seed 002 schemas (DESIGN.md "Replication": partial replication)', () => {
  const master = schemaDictionary('filtermstdb')
  const replica = schemaDictionary('filterrpldb')

  it('compile verbatim, duplicated identical #define included', () => {
    const defines = '#define uint4 unsigned<4>\n#define uint4 unsigned<4>\n'
    expect(schemaText('filtermstdb').startsWith(defines)).toBe(true)
    expect(schemaText('filterrpldb').startsWith(defines)).toBe(true)
    expect(master.name).toBe('filtermstdb')
    expect(replica.name).toBe('filterrpldb')
    for (const dictionary of [master, replica]) {
      expect(dictionary.autoOid).toBe(2000)
      expect(dictionary.oid).toBeNull()
      expect(dictionary.classes.map((cls) => [cls.id, cls.name])).toEqual([
        [1, 'T1'], [2, 'T2'], [3, 'T3'], [4, 'T4'],
      ])
      for (const cls of dictionary.classes) expect(cls).toMatchObject(SEED_CLASS)
    }
  })

  it('mark T4 local on the master and T1 local on the replica', () => {
    expect(master.classes.map((cls) => cls.local)).toEqual([false, false, false, true])
    expect(replica.classes.map((cls) => cls.local)).toEqual([true, false, false, false])
  })

  it('have equal shape hashes class by class, and different replicated hashes', () => {
    expect(master.classes.map((cls) => cls.shapeHash)).toEqual(
      replica.classes.map((cls) => cls.shapeHash),
    )
    expect(new Set(master.classes.map((cls) => cls.shapeHash)).size).toBe(4)
    for (const cls of master.classes) expect(cls.shapeHash).toMatch(/^[0-9a-f]{64}$/)
    expect(master.replicatedHash).toMatch(/^[0-9a-f]{64}$/)
    expect(master.replicatedHash).not.toBe(replica.replicatedHash)
  })
})

describe('schema/alltypes.mco: every type and index kind', () => {
  const dictionary = schemaDictionary('alltypes')
  const everything = classNamed(dictionary.classes, 'Everything')
  const fields = fieldsByName(everything)

  it('reads the declarations', () => {
    expect(dictionary.name).toBe('alltypes')
    expect(dictionary.autoOid).toBe(10000)
    expect(dictionary.oid).toEqual({ struct: 'Ident', size: 5000 })
    expect(dictionary.enums).toEqual([
      {
        name: 'Color',
        members: [
          { name: 'Red', value: 0 },
          { name: 'Green', value: 5 },
          { name: 'Blue', value: 6 },
        ],
      },
    ])
    expect(dictionary.structs.map((struct) => struct.name)).toEqual(['Ident', 'Point', 'Address'])
    expect(fieldsByName(dictionary.structs[2] ?? { fields: [] })['location']?.type).toEqual({
      kind: 'struct', name: 'Point',
    })
  })

  it('gives class ids by position and keeps qualifiers', () => {
    expect(dictionary.classes.map((cls) => [cls.id, cls.name, cls.local, cls.qualifiers])).toEqual([
      [1, 'Everything', false, ['compact']],
      [2, 'Item', false, ['persistent', 'nonatomic']],
      [3, 'Scratch', true, ['transient']],
    ])
  })

  it('maps every field type', () => {
    const types = Object.fromEntries(everything.fields.map((field) => [field.name, field.type]))
    expect(types).toEqual({
      i1: { kind: 'int', bytes: 1, signed: true },
      i2: { kind: 'int', bytes: 2, signed: true },
      i4: { kind: 'int', bytes: 4, signed: true },
      i8: { kind: 'int', bytes: 8, signed: true },
      u1: { kind: 'int', bytes: 1, signed: false },
      u2: { kind: 'int', bytes: 2, signed: false },
      u4: { kind: 'int', bytes: 4, signed: false },
      u8: { kind: 'int', bytes: 8, signed: false },
      f: { kind: 'float' },
      d: { kind: 'double' },
      flag: { kind: 'boolean' },
      code: { kind: 'char', length: 8 },
      text: { kind: 'string' },
      raw: { kind: 'binary', length: 4 },
      bytes: { kind: 'varbinary' },
      big: { kind: 'varbinary' },
      day: { kind: 'date' },
      clock: { kind: 'time' },
      stamp: { kind: 'datetime' },
      numbers: { kind: 'vector', element: UINT4 },
      path: { kind: 'vector', element: { kind: 'struct', name: 'Point' } },
      fixed: { kind: 'int', bytes: 2, signed: false },
      maybe: { kind: 'double' },
      note: { kind: 'string' },
      home: { kind: 'struct', name: 'Address' },
      color: { kind: 'enum', name: 'Color' },
      anyId: { kind: 'autoid', className: null },
      item: { kind: 'autoid', className: 'Item' },
      other: { kind: 'ref' },
      a: { kind: 'int', bytes: 4, signed: true },
      b: { kind: 'int', bytes: 4, signed: true },
      c: { kind: 'int', bytes: 4, signed: true },
    })
    const flagged = everything.fields.filter((field) => field.nullable).map((field) => field.name)
    expect(flagged).toEqual(['maybe', 'note'])
    expect(fields['fixed']?.arrayLength).toBe(3)
    expect(fields['c']?.arrayLength).toBe(2)
    expect(fields['b']?.arrayLength).toBeNull()
  })

  it('reads every index kind, with names, uniqueness, keys, order and sizes', () => {
    const key = (path: string[], descending = false) => ({ path, descending })
    const expected: IndexDef[] = [
      { kind: 'tree', name: 'u4Key', unique: true, keys: [key(['u4'])] },
      { kind: 'tree', name: 'textI8', unique: false, keys: [key(['text'], true), key(['i8'])] },
      { kind: 'tree', name: 'zip', unique: false, keys: [key(['home', 'zip'])] },
      { kind: 'tree', name: 'locationX', unique: false, keys: [key(['home', 'location', 'x'])] },
      { kind: 'hash', name: 'code', unique: true, keys: [key(['code'])], initialSize: 1000 },
      {
        kind: 'hash',
        name: 'colorFlag',
        unique: false,
        keys: [key(['color']), key(['flag'])],
        initialSize: 100,
      },
      // A hash without `unique` or `nonunique` is unique, as in eXtremeDB.
      { kind: 'hash', name: 'u8Key', unique: true, keys: [key(['u8'])], initialSize: 64 },
      { kind: 'list', name: 'list' },
      { kind: 'autoid', name: 'autoid', initialSize: 1000 },
      { kind: 'oid', name: 'oid' },
    ]
    expect(everything.indexes).toEqual(expected)
    expect(classNamed(dictionary.classes, 'Item').indexes).toEqual([
      { kind: 'tree', name: 'itemId', unique: true, keys: [key(['id'])] },
      { kind: 'autoid', name: 'itemAutoid', initialSize: 100 },
      { kind: 'list', name: 'all' },
    ])
  })

  it('is deep-frozen', () => {
    expect(Object.isFrozen(dictionary)).toBe(true)
    expect(Object.isFrozen(everything.fields[0]?.type)).toBe(true)
    const tree = everything.indexes[1]
    expect(tree?.kind === 'tree' && Object.isFrozen(tree.keys[0]?.path)).toBe(true)
    expect(() => (dictionary.classes as ClassDef[]).push(everything)).toThrow(TypeError)
  })
})

describe('preprocessor (DESIGN.md "The schema language": #define NAME text)', () => {
  const compile = (text: string) => loadDictionary(`declare database p;\n${text}`)
  const typeOf = (text: string) => compile(text).classes[0]?.fields[0]?.type

  it('substitutes macros, macros inside macros, and whole index declarations', () => {
    const dictionary = compile(
      '#define u4 unsigned<4>\n#define KEY u4 key\n#define UNIQUE_KEY unique tree<key> tkey;\n' +
        'class A { KEY; UNIQUE_KEY };',
    )
    const cls = dictionary.classes[0]
    expect(cls?.fields[0]).toEqual({ name: 'key', type: UINT4, nullable: false, arrayLength: null })
    expect(cls?.indexes[0]).toMatchObject({ kind: 'tree', name: 'tkey', unique: true })
  })

  it('accepts an identical redefinition, spelled with other spacing', () => {
    const text = '#define T unsigned<4>\n#define T unsigned < 4 >\nclass A { T k; };'
    expect(typeOf(text)).toEqual(UINT4)
  })

  it('forgets a macro at #undef, so it can be defined anew', () => {
    const text = '#define T unsigned<4>\n#undef T\n#define T double\nclass A { T k; };'
    expect(typeOf(text)).toEqual({ kind: 'double' })
  })

  it('keeps the taken branch of #ifdef / #ifndef / #else, nested', () => {
    const text = (defines: string) =>
      `${defines}\n#ifdef WIDE\n#ifndef SIGNED\n#define T unsigned<8>\n` +
      '#else\n#define T signed<8>\n#endif\n#else\n#define T unsigned<2>\n#endif\n' +
      'class A { T k; };'
    expect(typeOf(text(''))).toEqual({ kind: 'int', bytes: 2, signed: false })
    expect(typeOf(text('#define WIDE'))).toEqual({ kind: 'int', bytes: 8, signed: false })
    const signed = typeOf(text('#define WIDE\n#define SIGNED 1'))
    expect(signed).toEqual({ kind: 'int', bytes: 8, signed: true })
  })

  it('ignores unknown directives and bad text in a skipped group', () => {
    const text =
      '#ifdef NEVER\n#pragma x\n#include "y"\n#define T float\n#endif\nclass A { double k; };'
    expect(typeOf(text)).toEqual({ kind: 'double' })
  })

  it('does not expand a macro inside its own body', () => {
    const error = "<schema>:3:11: expected a type, found 'T'"
    expect(() => compile('#define T T\nclass A { T k; };')).toThrow(error)
  })

  it('drops comments of both kinds anywhere', () => {
    const text = '// line\nclass /* a */ A /* multi\nline */ { unsigned<4> /**/ k; // x\n};'
    expect(typeOf(text)).toEqual(UINT4)
  })
})

describe('other accepted forms', () => {
  it('allows types declared after their use, negative enum values and a trailing comma', () => {
    const dictionary = loadDictionary(
      'declare database f;\nclass A { S s; E e; };\nstruct S { E e; };\nenum E { X = -2, Y, Z, };',
    )
    expect(dictionary.enums[0]?.members).toEqual([
      { name: 'X', value: -2 }, { name: 'Y', value: -1 }, { name: 'Z', value: 0 },
    ])
    const kinds = dictionary.classes[0]?.fields.map((field) => field.type.kind)
    expect(kinds).toEqual(['struct', 'enum'])
  })

  it('loads a 100-class schema in milliseconds', () => {
    const classes = Array.from({ length: 100 }, (_, at) =>
      `class C${at} { unsigned<4> id; string name; double v; vector<unsigned<2>> tags;\n` +
      `  unique tree<id> byId; tree<name, v desc> byName; hash<id> h[100]; list; };`,
    )
    const text = `declare database big;\ndeclare auto_oid [1000];\n${classes.join('\n')}`
    loadDictionary(text)
    const started = performance.now()
    const dictionary = loadDictionary(text)
    const elapsedMs = performance.now() - started
    expect(dictionary.classes).toHaveLength(100)
    expect(elapsedMs).toBeLessThan(100)
  })
})

/**
 * Bad DDL (DESIGN.md "The schema language": a syntax or type error names file, line, column and
 * what was expected). Each schema of the corpus is compiled and must fail with one exact
 * SchemaError: code, file, line, column and message. The corpus covers syntax errors, semantic
 * errors, and every eXtremeDB construct tandemdb recognises but does not implement (which must
 * be rejected, never silently dropped).
 */
import { describe, expect, it } from 'vitest'
import { SchemaError } from '../../../src/errors.js'
import { loadDictionary } from '../../../src/schema/load-dictionary.js'

type Code = 'TDB_SCHEMA_SYNTAX' | 'TDB_SCHEMA_INVALID' | 'TDB_SCHEMA_UNSUPPORTED'

interface BadSchema {
  readonly title: string
  readonly text: string
  readonly code: Code
  readonly line: number
  readonly column: number
  readonly message: string
}

/** Line 1 of most cases, so that their errors are on line 2 and later. */
const DB = 'declare database d;\n'

const SYNTAX: BadSchema[] = [
  {
    title: 'missing semicolon after a field',
    text: `${DB}class A {\n  unsigned<4> k\n};\n`,
    code: 'TDB_SCHEMA_SYNTAX', line: 4, column: 1,
    message: "expected ';', found '}'",
  },
  {
    title: 'unknown top-level word',
    text: `${DB}table A {};\n`,
    code: 'TDB_SCHEMA_SYNTAX', line: 2, column: 1,
    message: "expected 'declare', 'struct', 'enum' or 'class', found 'table'",
  },
  {
    title: 'unterminated block comment',
    text: `${DB}  /* open\nclass A { unsigned<4> k; };\n`,
    code: 'TDB_SCHEMA_SYNTAX', line: 2, column: 3,
    message: "expected '*/' closing this comment, found end of file",
  },
  {
    title: 'character that is no token',
    text: `${DB}class A { unsigned<4> k@; };\n`,
    code: 'TDB_SCHEMA_SYNTAX', line: 2, column: 24,
    message: "expected a token, found '@'",
  },
  {
    title: "missing '>' after a size",
    text: `${DB}class A { unsigned<4 k; };\n`,
    code: 'TDB_SCHEMA_SYNTAX', line: 2, column: 22,
    message: "expected '>', found 'k'",
  },
  {
    title: 'unknown declare',
    text: 'declare table d;\n',
    code: 'TDB_SCHEMA_SYNTAX', line: 1, column: 9,
    message: "expected 'database', 'auto_oid' or 'oid', found 'table'",
  },
  {
    title: 'class without a name',
    text: `${DB}class {\n};\n`,
    code: 'TDB_SCHEMA_SYNTAX', line: 2, column: 7,
    message: "expected a class name, found '{'",
  },
  {
    title: 'hash index without its size',
    text: `${DB}class A { unsigned<4> k; hash<k> hk; };\n`,
    code: 'TDB_SCHEMA_SYNTAX', line: 2, column: 36,
    message: "expected '[', found ';'",
  },
  {
    title: 'nonunique before tree',
    text: `${DB}class A { unsigned<4> k; nonunique tree<k> t; };\n`,
    code: 'TDB_SCHEMA_SYNTAX', line: 2, column: 36,
    message: "expected 'hash', found 'tree'",
  },
  {
    title: 'class missing its final semicolon',
    text: `${DB}class A { unsigned<4> k; }`,
    code: 'TDB_SCHEMA_SYNTAX', line: 2, column: 27,
    message: "expected ';', found end of file",
  },
  {
    title: 'auto_oid without brackets',
    text: `${DB}declare auto_oid 100;\n`,
    code: 'TDB_SCHEMA_SYNTAX', line: 2, column: 18,
    message: "expected '[', found '100'",
  },
  {
    title: 'malformed number',
    text: `${DB}class A { char<12abc> c; };\n`,
    code: 'TDB_SCHEMA_SYNTAX', line: 2, column: 16,
    message: "expected an integer, found '12abc'",
  },
  {
    title: 'empty enum',
    text: `${DB}enum E { };\n`,
    code: 'TDB_SCHEMA_SYNTAX', line: 2, column: 10,
    message: "expected an enum member name, found '}'",
  },
  {
    title: 'unknown directive',
    text: `${DB}#pragma once\n`,
    code: 'TDB_SCHEMA_SYNTAX', line: 2, column: 1,
    message:
      "expected a directive (#define, #undef, #ifdef, #ifndef, #else or #endif), found '#pragma'",
  },
  {
    title: '#ifdef never closed',
    text: `${DB}#ifdef WIDE\nclass A { unsigned<4> k; };\n`,
    code: 'TDB_SCHEMA_SYNTAX', line: 4, column: 1,
    message: "expected '#endif' for the '#ifdef' at 2:1, found end of file",
  },
  {
    title: '#endif without #ifdef',
    text: `${DB}  #endif\n`,
    code: 'TDB_SCHEMA_SYNTAX', line: 2, column: 3,
    message: "expected '#ifdef' or '#ifndef' before it, found '#endif'",
  },
  {
    title: 'second #else',
    text: `${DB}#ifndef X\n#else\n#else\n#endif\n`,
    code: 'TDB_SCHEMA_SYNTAX', line: 4, column: 1,
    message: "expected '#endif', found a second '#else'",
  },
  {
    title: 'tokens after #endif',
    text: `${DB}#ifdef X\n#endif X\n`,
    code: 'TDB_SCHEMA_SYNTAX', line: 3, column: 8,
    message: "expected end of line, found 'X'",
  },
  {
    title: '#define without a name',
    text: `#define\n${DB}`,
    code: 'TDB_SCHEMA_SYNTAX', line: 1, column: 2,
    message: 'expected a macro name, found end of line',
  },
]

const INVALID: BadSchema[] = [
  {
    title: 'conflicting #define',
    text: `${DB}#define T unsigned<4>\n#define T  signed<4>\n`,
    code: 'TDB_SCHEMA_INVALID', line: 3, column: 9,
    message: "expected the same definition as at 2:9 ('unsigned<4>'), found 'signed<4>'",
  },
  {
    title: 'no declare database',
    text: 'class A { unsigned<4> k; };\n',
    code: 'TDB_SCHEMA_INVALID', line: 1, column: 1,
    message: "expected a 'declare database NAME;' statement, found none",
  },
  {
    title: 'two declare database',
    text: `${DB}\n  declare database e;\n`,
    code: 'TDB_SCHEMA_INVALID', line: 3, column: 3,
    message: "expected one 'declare database', found a second one (the first is at 1:1)",
  },
  {
    title: 'two declare auto_oid',
    text: `${DB}declare auto_oid [10];\ndeclare auto_oid [20];\n`,
    code: 'TDB_SCHEMA_INVALID', line: 3, column: 1,
    message: "expected one 'declare auto_oid', found a second one (the first is at 2:1)",
  },
  {
    title: 'signed<3>',
    text: `${DB}class A { signed<3> k; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 2, column: 18,
    message: "expected a size of 1, 2, 4 or 8 bytes, found '3'",
  },
  {
    title: 'bad size through a macro (reported where the macro is used)',
    text: `#define int3 signed<3>\n${DB}class A {\n  int3 k;\n};\n`,
    code: 'TDB_SCHEMA_INVALID', line: 4, column: 3,
    message: "expected a size of 1, 2, 4 or 8 bytes, found '3'",
  },
  {
    title: 'char<0>',
    text: `${DB}class A { char<0> c; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 2, column: 16,
    message: "expected a length from 1 to 65535, found '0'",
  },
  {
    title: 'binary<65536>',
    text: `${DB}class A { binary<65536> c; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 2, column: 18,
    message: "expected a length from 1 to 65535, found '65536'",
  },
  {
    title: 'array of length 0',
    text: `${DB}class A { unsigned<4> a[0]; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 2, column: 25,
    message: "expected a size from 1 to 65535, found '0'",
  },
  {
    title: 'hash of size 0',
    text: `${DB}class A { unsigned<4> k; hash<k> hk[0]; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 2, column: 37,
    message: "expected a size of at least 1, found '0'",
  },
  {
    title: 'unknown type (a macro that was never defined)',
    text: `${DB}class A {\n  uint4 key;\n};\n`,
    code: 'TDB_SCHEMA_INVALID', line: 3, column: 3,
    message: "expected a type, found 'uint4'",
  },
  {
    title: 'unknown type after #undef',
    text: `#define uint4 unsigned<4>\n#undef uint4\n${DB}class A { uint4 key; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 4, column: 11,
    message: "expected a type, found 'uint4'",
  },
  {
    title: 'class used as a field type',
    text: `${DB}class A { unsigned<4> k; };\nclass B { A a; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 3, column: 11,
    message: "expected a struct or enum type, found class 'A'",
  },
  {
    title: 'duplicate class name',
    text: `${DB}class A { unsigned<4> k; };\nclass A { unsigned<4> k; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 3, column: 7,
    message: "expected a new class name, found 'A' (a class declared at 2:7)",
  },
  {
    title: 'struct named like a class',
    text: `${DB}class A { unsigned<4> k; };\nstruct A { unsigned<4> k; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 3, column: 8,
    message: "expected a new struct name, found 'A' (a class declared at 2:7)",
  },
  {
    title: 'duplicate field name',
    text: `${DB}class A {\n  unsigned<4> k;\n  string k;\n};\n`,
    code: 'TDB_SCHEMA_INVALID', line: 4, column: 10,
    message: "expected a new field name in the class, found 'k' (already declared at 3:15)",
  },
  {
    title: 'duplicate field name in one declaration',
    text: `${DB}struct S { unsigned<4> a, b, a; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 2, column: 30,
    message: "expected a new field name in the struct, found 'a' (already declared at 2:24)",
  },
  {
    title: 'duplicate index name',
    text: `${DB}class A { unsigned<4> k; tree<k> t; hash<k> t[9]; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 2, column: 45,
    message: "expected a new index name in the class, found 't' (already declared at 2:34)",
  },
  {
    title: 'two unnamed lists',
    text: `${DB}class A { unsigned<4> k; list; list; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 2, column: 32,
    message: "expected a new index name in the class, found 'list' (already declared at 2:26)",
  },
  {
    title: 'index names whose accessors clash',
    text: `${DB}class A { unsigned<4> k; tree<k> key; tree<k> Key; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 2, column: 47,
    message:
      "expected an index name that differs beyond its first letter, found 'Key' " +
      "(its accessors would clash with 'key')",
  },
  {
    title: 'index key naming an unknown field',
    text: `${DB}class A { unsigned<4> k; unique tree<key> t; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 2, column: 38,
    message: "expected a field of class 'A', found 'key'",
  },
  {
    title: 'index key on a vector field',
    text: `${DB}class A { vector<unsigned<4>> v; tree<v> t; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 2, column: 39,
    message:
      "expected a key field of a scalar, string or fixed binary type, found vector field 'v'",
  },
  {
    title: 'index key on a blob field',
    text: `${DB}class A { blob b; hash<b> h[8]; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 2, column: 24,
    message:
      "expected a key field of a scalar, string or fixed binary type, found varbinary field 'b'",
  },
  {
    title: 'index key on a fixed array field',
    text: `${DB}class A { unsigned<4> a[4]; tree<a> t; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 2, column: 34,
    message: "expected a key field of a scalar, string or fixed binary type, found array field 'a'",
  },
  {
    title: 'tree key on a struct, not a field of it',
    text: `${DB}struct P { float x; };\nclass A { P p; tree<p> t; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 3, column: 21,
    message: "expected a field of struct 'P' (p.<field>), found struct field 'p'",
  },
  {
    title: 'key path through a field that is no struct',
    text: `${DB}class A { unsigned<4> k; tree<k.x> t; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 2, column: 31,
    message: "expected a struct field before '.', found 'k' of type unsigned<4>",
  },
  {
    title: 'key path naming an unknown field of a struct',
    text: `${DB}struct P { float x; };\nclass A { P p; tree<p.z> t; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 3, column: 23,
    message: "expected a field of struct 'P', found 'z'",
  },
  {
    title: 'the same key field twice',
    text: `${DB}class A { unsigned<4> k; tree<k, k> t; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 2, column: 34,
    message: "expected each key field once, found 'k' again",
  },
  {
    title: 'order on a hash key',
    text: `${DB}class A { unsigned<4> k; hash<k desc> h[4]; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 2, column: 33,
    message: "expected a hash key without an order, found 'desc'",
  },
  {
    title: 'struct that contains itself',
    text: `${DB}struct N { unsigned<4> v; M m; };\nstruct M { vector<N> children; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 3, column: 22,
    message:
      "expected a struct that does not contain itself, found 'N' containing 'M' containing 'N'",
  },
  {
    title: 'oid index without declare oid',
    text: `${DB}class A { unsigned<4> k; oid; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 2, column: 26,
    message: "expected a 'declare oid' statement for an oid index, found 'oid'",
  },
  {
    title: 'declare oid of a struct with a string',
    text: `${DB}declare oid Key[100];\nstruct Key { string s; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 2, column: 13,
    message: "expected a struct of fixed-size fields, found 'Key' with string field 's'",
  },
  {
    title: 'autoid_t naming an unknown class',
    text: `${DB}class A { autoid_t<B> b; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 2, column: 20,
    message: "expected a class name, found 'B'",
  },
  {
    title: 'autoid_t naming a class without an autoid index',
    text: `${DB}class A { autoid_t<B> b; };\nclass B { unsigned<4> k; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 2, column: 20,
    message: "expected a class with an autoid index, found 'B'",
  },
  {
    title: 'class name reserved in the generated TypeScript',
    text: `${DB}class Oid { unsigned<4> k; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 2, column: 7,
    message: "expected a class name that is not reserved, found 'Oid'",
  },
  {
    title: 'duplicate enum member',
    text: `${DB}enum E { A, B, A = 4 };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 2, column: 16,
    message: "expected a new enum member name, found 'A' (already declared at 2:10)",
  },
  {
    title: 'enum value beyond 32 bits',
    text: `${DB}enum E { A = 4294967296 };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 2, column: 14,
    message: "expected a 32-bit enum value, found '4294967296'",
  },
  {
    title: 'nullable struct field',
    text: `${DB}struct P { float x; };\nclass A { nullable P p; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 3, column: 22,
    message: "expected a scalar field after nullable, found struct field 'p'",
  },
  {
    title: 'vector of vectors',
    text: `${DB}class A { vector<vector<float>> v; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 2, column: 18,
    message: "expected a vector element type other than vector, found 'vector'",
  },
  {
    title: 'class qualifier twice',
    text: `${DB}local local class A { unsigned<4> k; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 2, column: 7,
    message: "expected each qualifier once, found a second 'local'",
  },
  {
    title: 'persistent and transient',
    text: `${DB}persistent transient class A { unsigned<4> k; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 2, column: 12,
    message: "expected 'persistent' or 'transient', found 'transient' after 'persistent'",
  },
  {
    title: 'struct without fields',
    text: `${DB}struct S {\n};\n`,
    code: 'TDB_SCHEMA_INVALID', line: 2, column: 8,
    message: "expected at least one field, found struct 'S' with none",
  },
  {
    title: 'class without fields',
    text: `${DB}class A { list; };\n`,
    code: 'TDB_SCHEMA_INVALID', line: 2, column: 7,
    message: "expected at least one field, found class 'A' with none",
  },
]

/** One case per unsupported construct: where it starts and how the error names it. */
function unsupported(title: string, member: string, column: number, found: string): BadSchema {
  return {
    title,
    text: `${DB}struct S { unsigned<4> x; };\nclass A {\n  unsigned<4> k;\n  ${member}\n};\n`,
    code: 'TDB_SCHEMA_UNSUPPORTED',
    line: 5,
    column,
    message: `expected a construct tandemdb supports, found ${found}`,
  }
}

const UNSUPPORTED: BadSchema[] = [
  unsupported('event', 'event<new> onNew;', 3, "event 'event'"),
  unsupported('field event', 'event<k update> onK;', 3, "event 'event'"),
  unsupported('TTL_count', 'TTL_count 100;', 3, "TTL declaration 'TTL_count'"),
  unsupported('TTL_clock_time', 'TTL_clock_time 5000 us;', 3, "TTL declaration 'TTL_clock_time'"),
  unsupported('rtree', 'rtree<k> r;', 3, "rtree index 'rtree'"),
  unsupported('unique rtree', 'unique rtree<k> r;', 10, "rtree index 'rtree'"),
  unsupported('kdtree', 'kdtree<k> kd;', 3, "kdtree index 'kdtree'"),
  unsupported('patricia', 'patricia<k> p;', 3, "patricia index 'patricia'"),
  unsupported('trie', 'trie<k> p;', 3, "patricia index 'trie'"),
  unsupported('trigram', 'trigram<k> t;', 3, "trigram index 'trigram'"),
  unsupported('userdef', 'userdef tree<k> t;', 3, "index qualifier 'userdef'"),
  unsupported('voluntary', 'voluntary tree<k> t;', 3, "index qualifier 'voluntary'"),
  unsupported('thick', 'thick tree<k> t;', 3, "index qualifier 'thick'"),
  unsupported('unique inclusive', 'unique inclusive tree<k> t;', 10, "index qualifier 'inclusive'"),
  unsupported('collate', 'tree<k collate C> t;', 10, "key collation 'collate'"),
  unsupported('numeric', 'numeric<10, 2> price;', 3, "decimal type 'numeric'"),
  unsupported('decimal', 'decimal<10, 2> price;', 3, "decimal type 'decimal'"),
  unsupported('sequence', 'sequence<unsigned<4> asc> s;', 3, "sequence type 'sequence'"),
  unsupported('nchar', 'nchar<8> n;', 3, "wide-character type 'nchar'"),
  unsupported('wchar', 'wchar<8> n;', 3, "wide-character type 'wchar'"),
  unsupported('nstring', 'nstring n;', 3, "wide-character type 'nstring'"),
  unsupported('vector of nstring', 'vector<nstring> n;', 10, "wide-character type 'nstring'"),
  unsupported('optional struct field', 'optional S s;', 3, "optional struct field 'optional'"),
  unsupported('default value', 'unsigned<4> d = 5;', 17, "default value '='"),
  {
    title: '#include',
    text: `${DB}#include "common.mco"\n`,
    code: 'TDB_SCHEMA_UNSUPPORTED', line: 2, column: 1,
    message: "expected a construct tandemdb supports, found directive '#include'",
  },
  {
    title: 'distributed class',
    text: `${DB}distributed class A { unsigned<4> k; };\n`,
    code: 'TDB_SCHEMA_UNSUPPORTED', line: 2, column: 1,
    message: "expected a construct tandemdb supports, found class qualifier 'distributed'",
  },
]

function compileError(text: string): SchemaError {
  try {
    loadDictionary(text, 'bad.mco')
  } catch (error) {
    if (error instanceof SchemaError) return error
    throw error
  }
  throw new Error('the schema compiled')
}

for (const [group, corpus] of [
  ['syntax errors', SYNTAX],
  ['semantic errors', INVALID],
  ['unsupported constructs', UNSUPPORTED],
] as const) {
  describe(`${group} (DESIGN.md "The schema language")`, () => {
    for (const bad of corpus) {
      it(bad.title, () => {
        const error = compileError(bad.text)
        expect({
          code: error.code,
          file: error.file,
          line: error.line,
          column: error.column,
          message: error.message,
        }).toEqual({
          code: bad.code,
          file: 'bad.mco',
          line: bad.line,
          column: bad.column,
          message: `bad.mco:${bad.line}:${bad.column}: ${bad.message}`,
        })
        expect(error.message).toMatch(/: expected .+, found .+$/)
        expect(`expected ${error.expected}, found ${error.found}`).toBe(bad.message)
      })
    }
  })
}

it('the corpus holds at least 30 invalid schemas', () => {
  expect(SYNTAX.length + INVALID.length + UNSUPPORTED.length).toBeGreaterThanOrEqual(30)
})

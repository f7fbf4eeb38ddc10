/**
 * Shape hashes and the replicated hash (DESIGN.md "Replication": the replica sends its
 * dictionary hash, replicated classes only). The same schema written with other white space,
 * comments and `#define` spelling gives the same hashes; a changed field type, index or name
 * changes the hash of that class only; `local` changes the replicated hash but no shape hash.
 */
import { describe, expect, it } from 'vitest'
import { loadDictionary } from '../../../src/schema/load-dictionary.js'
import { schemaDictionary } from './schema-files.js'

const PLAIN = `declare database h;
declare auto_oid [100];
struct P { float x; float y; };
enum Kind { A, B };
class One { unsigned<4> key; P at; Kind kind; unique tree<key> tkey; };
class Two { string name; vector<P> path; hash<name> byName[64]; list; };
`

const REFORMATTED = `/* the same schema, written another way */
#define uint4 unsigned < 4 >
#define POINT P
declare   database h ;   declare auto_oid[100];
struct P {
  float x;  // across
  float y;
};
enum Kind { A = 0, B = 1 };
class One
{
  uint4 key;
  POINT at;
  Kind kind;
  unique tree< key asc > tkey;
};
#ifdef NOT_DEFINED
class Three { uint4 k; };
#endif
class Two { string name; vector < POINT > path; unique hash<name> byName[64]; list list; };
`

function hashes(text: string) {
  const dictionary = loadDictionary(text)
  return {
    shapes: dictionary.classes.map((cls) => cls.shapeHash),
    replicated: dictionary.replicatedHash,
  }
}

describe('shape and replicated hashes (DESIGN.md "Replication")', () => {
  it('do not depend on white space, comments, #define spelling or implied defaults', () => {
    expect(hashes(REFORMATTED)).toEqual(hashes(PLAIN))
  })

  it('are the same across runs (pinned values)', () => {
    const master = schemaDictionary('filtermstdb')
    expect(master.classes[0]?.shapeHash).toBe(
      'a9ffc400ee722476916e80ee3c84bb67a4a8409aa345323d865a08d024e26bc3',
    )
    expect(master.replicatedHash).toBe(
      'bd7c03f564263803f01716ffdafcd4ae6999b02ad82af9993203f97dd8d7287d',
    )
  })

  const changes: [string, string, string][] = [
    ['a field type', 'unsigned<4> key;', 'unsigned<8> key;'],
    ['a field name', 'unsigned<4> key; P at;', 'unsigned<4> key; P where;'],
    ['nullable', 'Kind kind;', 'nullable Kind kind;'],
    ['an index uniqueness', 'unique tree<key> tkey;', 'tree<key> tkey;'],
    ['a key order', 'unique tree<key> tkey;', 'unique tree<key desc> tkey;'],
    ['an index name', 'unique tree<key> tkey;', 'unique tree<key> pk;'],
    ['a class name', 'class One {', 'class Uno {'],
    ['a struct it uses', 'struct P { float x; float y; };', 'struct P { double x; float y; };'],
    ['an enum it uses', 'enum Kind { A, B };', 'enum Kind { A, B = 7 };'],
  ]
  for (const [what, from, to] of changes) {
    it(`change with ${what}, for the class concerned`, () => {
      const before = hashes(PLAIN)
      const after = hashes(PLAIN.replace(from, to))
      expect(after.shapes[0]).not.toBe(before.shapes[0])
      expect(after.replicated).not.toBe(before.replicated)
    })
  }

  it('change for the second class only when only the second class changes', () => {
    const before = hashes(PLAIN)
    const after = hashes(PLAIN.replace('hash<name> byName[64]', 'hash<name> byName[65]'))
    expect(after.shapes[0]).toBe(before.shapes[0])
    expect(after.shapes[1]).not.toBe(before.shapes[1])
  })

  it('leave qualifiers out of shapes, and local classes out of replication', () => {
    const before = hashes(PLAIN)
    const local = hashes(PLAIN.replace('class Two', 'local compact class Two'))
    expect(local.shapes).toEqual(before.shapes)
    expect(local.replicated).not.toBe(before.replicated)
    const qualified = hashes(PLAIN.replace('class Two', 'persistent nonatomic class Two'))
    expect(qualified).toEqual(before)
  })

  it('ignore the database name and local classes in the replicated hash', () => {
    const base = loadDictionary(PLAIN)
    const renamed = loadDictionary(PLAIN.replace('database h', 'database other'))
    expect(renamed.replicatedHash).toBe(base.replicatedHash)
    const extraLocal = loadDictionary(`${PLAIN}local class Three { unsigned<4> k; };`)
    expect(extraLocal.replicatedHash).toBe(base.replicatedHash)
    const extraReplicated = loadDictionary(`${PLAIN}class Three { unsigned<4> k; };`)
    expect(extraReplicated.replicatedHash).not.toBe(base.replicatedHash)
  })
})

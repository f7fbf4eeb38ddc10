/**
 * Every DDL field type round-trips through the store (DESIGN.md "Store and transactions";
 * the value mapping in src/store/value-type.ts): insert, get, update and change-set replay
 * give back the canonical value; missing fields take their zero value; bad values fail with
 * TDB_INVALID_ARGUMENT naming Class.field and what was expected, and change nothing.
 */
import { describe, expect, it } from 'vitest'
import type { WriteTransaction } from '../../../src/txn/api.js'
import type { CommitRecord } from '../../../src/txn/commit-hook.js'
import { Engine } from '../../../src/txn/engine.js'
import { classDef, dictionary, field, tree, types } from '../txn/dictionary-fixtures.js'

const dict = dictionary(
  [
    classDef(1, 'All', [
      field('i1', types.i1),
      field('u1', types.u1),
      field('i2', types.i2),
      field('u2', types.u2),
      field('i4', types.i4),
      field('u4', types.u4),
      field('i8', types.i8),
      field('u8', types.u8),
      field('f', types.float),
      field('d', types.double),
      field('b', types.boolean),
      field('c', types.char(5)),
      field('s', types.string),
      field('bin', types.binary(3)),
      field('vb', types.varbinary),
      field('day', types.date),
      field('tod', types.time),
      field('at', types.datetime),
      field('nums', types.vector(types.i4)),
      field('words', types.vector(types.string)),
      field('points', types.vector(types.struct('Point'))),
      field('where', types.struct('Place')),
      field('pair', types.double, { arrayLength: 2 }),
      field('tags', types.string, { arrayLength: 2 }),
      field('colour', types.enum('Colour')),
      field('owner', types.ref),
      field('self', types.autoid),
      field('maybe', types.string, { nullable: true }),
      field('maybeNum', types.u2, { nullable: true }),
      field('maybePlace', types.struct('Place'), { nullable: true }),
    ]),
  ],
  [
    { name: 'Point', fields: [field('x', types.i4), field('y', types.i8)] },
    {
      name: 'Place',
      fields: [
        field('name', types.string),
        field('at', types.struct('Point')),
        field('note', types.char(4), { nullable: true }),
      ],
    },
  ],
  [{ name: 'Colour', members: [{ name: 'RED', value: 1 }, { name: 'GREEN', value: 2 }] }],
)

const maxSafe = Number.MAX_SAFE_INTEGER

const zero = {
  i1: 0, u1: 0, i2: 0, u2: 0, i4: 0, u4: 0, i8: 0n, u8: 0n, f: 0, d: 0, b: false, c: '', s: '',
  bin: new Uint8Array(0), vb: new Uint8Array(0), day: 0, tod: 0, at: 0, nums: [], words: [],
  points: [], where: { name: '', at: { x: 0, y: 0n }, note: null }, pair: [0, 0], tags: ['', ''],
  colour: 0, owner: 0, self: 0, maybe: null, maybeNum: null, maybePlace: null,
}

const full = {
  i1: -128, u1: 255, i2: -32768, u2: 65535, i4: -(2 ** 31), u4: 2 ** 32 - 1,
  i8: -(2n ** 63n), u8: 2n ** 64n - 1n, f: 1.5, d: -1e300, b: true, c: 'héllo'.slice(0, 4),
  s: 'a longer string with ünïcödé and 🎉 emoji '.repeat(3), bin: new Uint8Array([1, 2, 3]),
  vb: new Uint8Array([9, 8, 7, 6, 5]), day: 19000, tod: 86399, at: 1_700_000_000_123,
  nums: [1, -2, 3], words: ['x', '', 'zz'], points: [{ x: 1, y: 2n }, { x: -1, y: -2n }],
  where: { name: 'home', at: { x: 5, y: 6n }, note: 'abcd' }, pair: [0.25, -0.5], tags: [
    't1',
    't2',
  ],
  colour: 2, owner: 12345, self: 99, maybe: 'present', maybeNum: 7,
  maybePlace: { name: 'p', at: { x: 1, y: 1n }, note: null },
}

function newEngine(): { engine: Engine; records: CommitRecord[] } {
  const engine = new Engine({ dictionary: dict })
  const records: CommitRecord[] = []
  engine.addHook({ name: 'collect', onCommit: (record) => records.push(record) })
  return { engine, records }
}

function errorOf(engine: Engine, fn: (tx: WriteTransaction) => unknown): string {
  try {
    engine.write(fn)
  } catch (error) {
    expect((error as { code: string }).code).toBe('TDB_INVALID_ARGUMENT')
    return (error as Error).message
  }
  return 'no error'
}

describe('field types (DESIGN.md: Store and transactions)', () => {
  it('gives missing fields their zero value', () => {
    const { engine } = newEngine()
    const oid = engine.write((tx) => tx.insert('All', {})).value
    expect(engine.read((tx) => tx.get('All', oid))).toEqual(zero)
  })

  it('round-trips every type through insert, update and change-set replay', () => {
    const { engine, records } = newEngine()
    const oid = engine.write((tx) => tx.insert('All', full)).value
    expect(engine.read((tx) => tx.get('All', oid))).toEqual(full)
    engine.write(
      (tx) => tx.update(
        'All',
        oid,
        { s: '', words: ['only'], maybe: null, maybePlace: null, u8: 5 },
      )
    )
    const updated = { ...full, s: '', words: ['only'], maybe: null, maybePlace: null, u8: 5n }
    expect(engine.read((tx) => tx.get('All', oid))).toEqual(updated)
    const replica = new Engine({ dictionary: dict })
    for (const record of records) replica.applyChangeSet(record.changeSet)
    expect(replica.read((tx) => tx.get('All', oid))).toEqual(updated)
    expect(replica.contentHash()).toBe(engine.contentHash())
  })

  it('rounds float to 32 bits and keeps char and binary within their size', () => {
    const { engine } = newEngine()
    const oid = engine.write(
      (tx) => tx.insert('All', { f: 0.1, c: '12345', bin: new Uint8Array([7]) })
    ).value
    expect(engine.read((tx) => tx.get('All', oid))).toMatchObject(
      { f: Math.fround(0.1), c: '12345', bin: new Uint8Array([7]) }
    )
  })

  it('names Class.field and what was wrong for bad values', () => {
    const { engine } = newEngine()
    const cases: [Record<string, unknown>, string][] = [
      [{ i1: 128 }, 'All.i1: expected an integer from -128 to 127, got number 128'],
      [{ u2: 1.5 }, 'All.u2: expected an integer from 0 to 65535, got number 1.5'],
      [{ i4: '1' }, 'All.i4: expected an integer from -2147483648 to 2147483647, got string "1"'],
      [{ u8: -1n }, 'All.u8: expected a bigint from 0 to 18446744073709551615, got bigint -1n'],
      [
        { i8: 1.5 },
        `All.i8: expected a bigint from ${-(2n ** 63n)} to ${2n ** 63n - 1n}, got number 1.5`,
      ],
      [{ d: Number.NaN }, 'All.d: expected a number (not NaN), got number NaN'],
      [{ b: 1 }, 'All.b: expected a boolean, got number 1'],
      [{ c: '123456' }, 'All.c: expected a string of at most 5 UTF-8 bytes, got string "123456"'],
      [
        { c: 'éééé' },
        'All.c: expected a string of at most 5 UTF-8 bytes, got string "éééé"',
      ],
      [
        { bin: new Uint8Array(4) },
        'All.bin: expected a Uint8Array of at most 3 bytes, got Uint8Array(4)',
      ],
      [{ vb: [1, 2] }, 'All.vb: expected a Uint8Array, got array(2)'],
      [{ s: null }, 'All.s: expected string (not nullable), got null'],
      [
        { nums: [1, 'x'] },
        'All.nums[1]: expected an integer from -2147483648 to 2147483647, got string "x"',
      ],
      [{ pair: [1] }, 'All.pair: expected an array of 2 double, got array(1)'],
      [{ colour: 3 }, 'All.colour: expected a value of enum Colour (1, 2), got number 3'],
      [{ where: { name: 'x', zip: 1 } }, 'Place.zip: no such field'],
      [
        { where: { at: { x: 1, y: 'no' } } },
        `Point.y: expected a bigint from ${-(2n ** 63n)} to ${2n ** 63n - 1n}, got string "no"`,
      ],
      [
        { at: 2 ** 60 },
        `All.at: expected an integer from ${-maxSafe} to ${maxSafe}, got number ${2 ** 60}`,
      ],
      [{ owner: -1 }, 'All.owner: expected an integer from 0 to 9007199254740991, got number -1'],
      [{ maybeNum: 70000 }, 'All.maybeNum: expected an integer from 0 to 65535, got number 70000'],
      [{ nope: 1 }, 'All.nope: no such field'],
    ]
    for (const [values, message] of cases) expect(
      errorOf(engine, (tx) => tx.insert('All', values))
    ).toBe(message)
    const oid = engine.write((tx) => tx.insert('All', {})).value
    expect(errorOf(engine, (tx) => tx.update('All', oid, { u1: 256 }))).toBe(
      'All.u1: expected an integer from 0 to 255, got number 256'
    )
    expect(engine.read((tx) => tx.get('All', oid))).toEqual(zero)
    expect(engine.read((tx) => tx.count('All'))).toBe(1)
  })

  it('accepts safe-integer numbers for 64-bit fields and returns bigints', () => {
    const { engine } = newEngine()
    const oid = engine.write((tx) => tx.insert('All', { i8: -5, u8: 2 ** 53 - 1 })).value
    expect(engine.read((tx) => tx.get('All', oid))).toMatchObject({ i8: -5n, u8: 2n ** 53n - 1n })
  })
})

describe('string keys (UTF-8 byte order)', () => {
  it('orders strings by their UTF-8 bytes', () => {
    const engine = new Engine({
      dictionary: dictionary([classDef(1, 'S', [field('s', types.string)], [tree('byS', ['s'])])]),
    })
    const words = ['b', 'a', '', 'ab', 'é', 'z', '\uffff', '🎉', 'a\u0000']
    engine.write((tx) => {
      for (const s of words) tx.insert('S', { s })
    })
    const sorted = [...words].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))
    expect(engine.read((tx) => [...tx.cursor('S', 'byS')].map((o) => o.s))).toEqual(sorted)
  })
})

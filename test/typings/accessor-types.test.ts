/**
 * The types and calls of generated accessors (DESIGN.md "The schema language"), on the
 * checked-in modules generated from schema/alltypes.mco and schema/bench.mco. The type
 * assertions (`expectTypeOf`, `@ts-expect-error`) are checked by tsc in
 * test/unit/schema/codegen.test.ts and by `npm run typecheck`; the calls are run here against a
 * transaction that records what it is asked, to check class ids and index positions.
 */
import { describe, expect, expectTypeOf, it } from 'vitest'
import type {
  CompareOp,
  Cursor,
  Oid,
  RangeOptions,
  ReadTransaction,
  WriteTransaction,
} from '../../src/txn/api.js'
import type { Dictionary } from '../../src/schema/dictionary.js'
import {
  Color,
  Everything,
  Item,
  Scratch,
  dictionary as alltypesDictionary,
} from './alltypes.generated.js'
import type { Address, Point } from './alltypes.generated.js'
import { Record, dictionary as benchDictionary } from './bench.generated.js'

/** A write transaction that records each call and returns a fixed, recognisable value. */
function recordingTransaction(): { tx: WriteTransaction; calls: unknown[][] } {
  const calls: unknown[][] = []
  const handler: ProxyHandler<object> = {
    get: (_target, method) => (...args: unknown[]) => {
      calls.push([method, ...args])
      return method === 'findAll' ? [] : 7
    },
  }
  return { tx: new Proxy({}, handler) as WriteTransaction, calls }
}

describe('generated interfaces', () => {
  it('map DDL types to TypeScript types', () => {
    expectTypeOf<Everything['i1']>().toEqualTypeOf<number>()
    expectTypeOf<Everything['u4']>().toEqualTypeOf<number>()
    expectTypeOf<Everything['i8']>().toEqualTypeOf<bigint>()
    expectTypeOf<Everything['u8']>().toEqualTypeOf<bigint>()
    expectTypeOf<Everything['f']>().toEqualTypeOf<number>()
    expectTypeOf<Everything['flag']>().toEqualTypeOf<boolean>()
    expectTypeOf<Everything['code']>().toEqualTypeOf<string>()
    expectTypeOf<Everything['text']>().toEqualTypeOf<string>()
    expectTypeOf<Everything['raw']>().toEqualTypeOf<Uint8Array>()
    expectTypeOf<Everything['big']>().toEqualTypeOf<Uint8Array>()
    expectTypeOf<Everything['day']>().toEqualTypeOf<number>()
    expectTypeOf<Everything['stamp']>().toEqualTypeOf<number>()
    expectTypeOf<Everything['numbers']>().toEqualTypeOf<number[]>()
    expectTypeOf<Everything['path']>().toEqualTypeOf<Point[]>()
    expectTypeOf<Everything['fixed']>().toEqualTypeOf<number[]>()
    expectTypeOf<Everything['maybe']>().toEqualTypeOf<number | null>()
    expectTypeOf<Everything['note']>().toEqualTypeOf<string | null>()
    expectTypeOf<Everything['home']>().toEqualTypeOf<Address>()
    expectTypeOf<Address['location']>().toEqualTypeOf<Point>()
    expectTypeOf<Everything['color']>().toEqualTypeOf<0 | 5 | 6>()
    expectTypeOf<Everything['item']>().toEqualTypeOf<number>()
    expectTypeOf<Everything['other']>().toEqualTypeOf<number>()
    expectTypeOf<Everything['c']>().toEqualTypeOf<number[]>()
    expectTypeOf(Color.Green).toEqualTypeOf<5>()
    expectTypeOf<Record>().toEqualTypeOf<{ key: number; name: string; value: number }>()
    expectTypeOf(alltypesDictionary).toEqualTypeOf<Dictionary>()
  })

  it('give accessors the parameter and result types of their indexes', () => {
    expectTypeOf(Record.insert).parameters.toEqualTypeOf<[WriteTransaction, Partial<Record>]>()
    expectTypeOf(Record.insert).returns.toEqualTypeOf<Oid>()
    expectTypeOf(Record.get).returns.toEqualTypeOf<Record | undefined>()
    expectTypeOf(Record.findByTkey).parameters.toEqualTypeOf<[ReadTransaction, number]>()
    expectTypeOf(Record.findByHkey).returns.toEqualTypeOf<Record | undefined>()
    expectTypeOf(Record.searchTkey).parameters.toEqualTypeOf<[ReadTransaction, CompareOp, number]>()
    expectTypeOf(Record.rangeTkey).parameters.toEqualTypeOf<[ReadTransaction, RangeOptions]>()
    expectTypeOf(Record.cursorTkey).returns.toEqualTypeOf<Cursor<Record>>()
    expectTypeOf(Everything.findAllByTextI8).parameters.toEqualTypeOf<
      [ReadTransaction, readonly [string, bigint]]
    >()
    expectTypeOf(Everything.findAllByTextI8).returns.toEqualTypeOf<Everything[]>()
    expectTypeOf(Everything.findAllByColorFlag).parameters.toEqualTypeOf<
      [ReadTransaction, readonly [Color, boolean]]
    >()
    expectTypeOf(Everything.findAllByZip).parameters.toEqualTypeOf<[ReadTransaction, number]>()
    expectTypeOf(Everything.findByU8Key).parameters.toEqualTypeOf<[ReadTransaction, bigint]>()
    expectTypeOf(Everything.findByAutoid).parameters.toEqualTypeOf<[ReadTransaction, number]>()
    expectTypeOf(Everything.cursorList).returns.toEqualTypeOf<Cursor<Everything>>()
    expectTypeOf(Item.cursorAll).returns.toEqualTypeOf<Cursor<Item>>()
  })

  it('reject wrong values, keys and transactions', () => {
    const { tx } = recordingTransaction()
    const reader: ReadTransaction = tx
    // @ts-expect-error a string is not an unsigned<4> key
    Record.findByTkey(tx, 'one')
    // @ts-expect-error name is a string field
    Record.insert(tx, { name: 1 })
    // @ts-expect-error no such field
    Record.update(tx, 1, { missing: true })
    // @ts-expect-error inserting needs a write transaction
    Record.insert(reader, { key: 1 })
    // @ts-expect-error a compound key is a tuple
    Everything.findAllByTextI8(tx, 'text')
    // @ts-expect-error a unique index has no findAllBy
    void Record.findAllByTkey
    // @ts-expect-error a hash index has no range scan
    void Record.rangeHkey
    // @ts-expect-error an enum field takes the enum's values only
    Everything.insert(tx, { color: 1 })
    expect(true).toBe(true)
  })
})

describe('generated accessors call the generic transaction methods', () => {
  it('with the class id and the index position', () => {
    const { tx, calls } = recordingTransaction()
    expect(Record.insert(tx, { key: 1, name: 'a' })).toBe(7)
    Record.findByTkey(tx, 1)
    Record.findByHkey(tx, 2)
    Record.searchTkey(tx, 'ge', 3)
    Everything.findAllByTextI8(tx, ['x', 1n])
    Everything.findAllByColorFlag(tx, [Color.Blue, true])
    Everything.findByAutoid(tx, 9)
    Item.cursorAll(tx)
    Scratch.delete(tx, 4)
    expect(calls).toEqual([
      ['insert', 1, { key: 1, name: 'a' }],
      ['find', 1, 0, 1],
      ['find', 1, 1, 2],
      ['search', 1, 0, 'ge', 3],
      ['findAll', 1, 1, ['x', 1n]],
      ['findAll', 1, 5, [6, true]],
      ['find', 1, 8, 9],
      ['cursor', 2, 2],
      ['delete', 3, 4],
    ])
    expect(Record.classId).toBe(benchDictionary.classes[0]?.id)
    expect(alltypesDictionary.classes[1]?.indexes[2]?.name).toBe('all')
  })
})

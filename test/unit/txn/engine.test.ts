/**
 * The engine's transaction surface (DESIGN.md "Store and transactions"): insert, get, update,
 * delete and find through a unique tree; commits that take the next sequencer value and reach
 * every hook with one encoded change set; exact rollback of a transaction that throws; the
 * misuse errors (nested, async, inactive, closed). Each test builds a fresh engine over a
 * hand-written dictionary and checks the observable state after each step.
 */
import { describe, expect, it } from 'vitest'
import { decodeChangeSet } from '../../../src/txn/change-set.js'
import type { CommitRecord } from '../../../src/txn/commit-hook.js'
import { Engine } from '../../../src/txn/engine.js'
import type { ReadTransaction, WriteTransaction } from '../../../src/txn/api.js'
import { benchDictionary, classDef, dictionary, field, tree, types } from './dictionary-fixtures.js'

function engineWithHook(): { engine: Engine; records: CommitRecord[] } {
  const engine = new Engine({ dictionary: benchDictionary() })
  const records: CommitRecord[] = []
  engine.addHook({ name: 'test', onCommit: (record) => records.push(record) })
  return { engine, records }
}

describe('Engine write and read (DESIGN.md: Store and transactions)', () => {
  it('inserts, finds, updates and deletes through a unique tree', () => {
    const { engine } = engineWithHook()
    const { value: oid, seq } = engine.write(
      (tx) => tx.insert('Item', { key: 7, name: 'seven', value: 7.5 })
    )
    expect(seq).toBe(1n)
    expect(oid).toBe(1)
    expect(engine.read((tx) => tx.get('Item', oid))).toEqual({ key: 7, name: 'seven', value: 7.5 })
    expect(engine.read((tx) => tx.find('Item', 'byKey', 7))).toEqual(
      { key: 7, name: 'seven', value: 7.5 }
    )
    expect(engine.read((tx) => tx.findOid('Item', 0, 7))).toBe(oid)
    engine.write((tx) => tx.update('Item', oid, { key: 8, name: 'eight' }))
    expect(engine.read((tx) => tx.find('Item', 'byKey', 7))).toBeUndefined()
    expect(engine.read((tx) => tx.find(1, 'byKey', 8))).toEqual(
      { key: 8, name: 'eight', value: 7.5 }
    )
    engine.write((tx) => tx.delete('Item', oid))
    expect(
      engine.read((tx) => [tx.get('Item', oid), tx.find('Item', 'byKey', 8), tx.count('Item')])
    ).toEqual([
      undefined,
      undefined,
      0,
    ])
    expect(engine.getSequencer()).toBe(3n)
  })

  it('gives every commit the next sequencer value and one change set per hook call', () => {
    const { engine, records } = engineWithHook()
    const first = engine.write((tx) => {
      const a = tx.insert('Item', { key: 1, name: 'a' })
      tx.insert('Item', { key: 2, name: 'b', value: 2 })
      tx.update('Item', a, { value: 1.25 })
      return a
    })
    const second = engine.write((tx) => tx.delete('Item', first.value))
    expect(records.map((record) => record.seq)).toEqual([1n, 2n])
    expect(
      records.every((record) => record.origin === 'local' && record.policy === 'no-sync')
    ).toBe(true)
    expect(records[0]?.hasLocal).toBe(false)
    expect(decodeChangeSet(records[0]!.changeSet)).toEqual({
      seq: 1n,
      ops: [
        [1, 1, 1, 0, [1, 'a', 0]],
        [1, 1, 2, 1, [2, 'b', 2]],
        [2, 1, 1, 0, [1, 'a', 1.25]],
      ],
    })
    expect(decodeChangeSet(records[1]!.changeSet)).toEqual({ seq: 2n, ops: [[3, 1, 1, 0]] })
    expect(second.seq).toBe(2n)
  })

  it('commits nothing for a write that changed nothing', () => {
    const { engine, records } = engineWithHook()
    engine.write((tx) => tx.insert('Item', { key: 1 }))
    const result = engine.write((tx) => tx.count('Item'))
    expect(result).toMatchObject({ value: 1, seq: 1n })
    expect(records).toHaveLength(1)
  })

  it('builds change sets only while a hook listens', () => {
    const engine = new Engine({ dictionary: benchDictionary() })
    expect(engine.write((tx) => tx.insert('Item', { key: 1 })).seq).toBe(1n)
    expect(engine.write((tx) => tx.count('Item')).seq).toBe(1n)
    const records: CommitRecord[] = []
    expect(() => engine.write(() => engine.addHook({ name: 'late', onCommit: () => {} }))).toThrow(
      expect.objectContaining({ code: 'TDB_TXN_NESTED' }),
    )
    engine.addHook({ name: 'collect', onCommit: (record) => records.push(record) })
    engine.write((tx) => tx.insert('Item', { key: 2 }))
    expect(records.map((record) => decodeChangeSet(record.changeSet))).toEqual([
      { seq: 2n, ops: [[1, 1, 2, 1, [2, '', 0]]] },
    ])
  })

  it('passes the policy of a write to its commit record and resolves durable', async () => {
    const { engine, records } = engineWithHook()
    const result = engine.write((tx) => tx.insert('Item', { key: 1 }), { policy: 'sync-flush' })
    expect(records[0]?.policy).toBe('sync-flush')
    await expect(result.durable).resolves.toBe('ok')
  })

  it('rolls a throwing transaction back exactly', () => {
    const { engine, records } = engineWithHook()
    const kept = engine.write(
      (tx) => [
        tx.insert('Item', { key: 1, name: 'one' }),
        tx.insert('Item', { key: 2, name: 'two' }),
      ]
    ).value
    const hashBefore = engine.contentHash()
    const usedBefore = engine.memory.usedBytes
    expect(() =>
      engine.write((tx) => {
        tx.insert('Item', { key: 3, name: 'three' })
        tx.update('Item', kept[0]!, { key: 10, name: 'ten' })
        tx.delete('Item', kept[1]!)
        throw new Error('user failure')
      }),
    ).toThrow('user failure')
    expect(engine.contentHash()).toBe(hashBefore)
    expect(engine.memory.usedBytes).toBe(usedBefore)
    expect(engine.getSequencer()).toBe(1n)
    expect(records).toHaveLength(1)
    expect(
      engine.read(
        (tx) => [
          tx.find('Item', 'byKey', 1),
          tx.find('Item', 'byKey', 2),
          tx.find('Item', 'byKey', 10),
        ]
      )
    ).toEqual([
      { key: 1, name: 'one', value: 0 },
      { key: 2, name: 'two', value: 0 },
      undefined,
    ])
    // The oid counter rolled back too: the next insert gets the oid the failed one had.
    expect(engine.write((tx) => tx.insert('Item', { key: 4 })).value).toBe(3)
  })

  it('rejects a duplicate key, atomically per insert, and rolls back when not caught', () => {
    const { engine } = engineWithHook()
    engine.write((tx) => tx.insert('Item', { key: 1 }))
    expect(() => engine.write((tx) => {
      tx.insert('Item', { key: 2 })
      tx.insert('Item', { key: 1 })
    })).toThrow(
      expect.objectContaining(
        {
          code: 'TDB_DUPLICATE_KEY',
          message: 'Item.byKey: duplicate key (number 1) in a unique index',
        }
      )
    )
    expect(engine.read((tx) => tx.count('Item'))).toBe(1)
    // Caught inside the transaction: the failed insert left nothing, the rest commits.
    engine.write((tx) => {
      tx.insert('Item', { key: 2 })
      expect(() => tx.insert('Item', { key: 1 })).toThrow(/duplicate key/)
      expect(tx.count('Item')).toBe(2)
    })
    expect(engine.read((tx) => tx.findAll('Item', 'byKey', 2))).toHaveLength(1)
    expect(engine.read((tx) => tx.count('Item'))).toBe(2)
  })

  it('refuses nested, asynchronous and ended transactions', async () => {
    const { engine } = engineWithHook()
    expect(() => engine.write(() => engine.write(() => 1))).toThrow(
      expect.objectContaining({ code: 'TDB_TXN_NESTED' })
    )
    expect(() => engine.read(() => engine.write(() => 1))).toThrow(
      expect.objectContaining({ code: 'TDB_TXN_ACCESS' })
    )
    expect(() => engine.write(async (tx) => tx.insert('Item', { key: 1 }))).toThrow(
      expect.objectContaining({ code: 'TDB_TXN_ASYNC' }),
    )
    expect(engine.read((tx) => tx.count('Item'))).toBe(0)
    let leakedWrite: WriteTransaction | undefined
    let leakedRead: ReadTransaction | undefined
    engine.write((tx) => {
      leakedWrite = tx
    })
    engine.read((tx) => {
      leakedRead = tx
    })
    expect(() => leakedWrite!.insert('Item', { key: 1 })).toThrow(
      expect.objectContaining({ code: 'TDB_TXN_NOT_ACTIVE' })
    )
    expect(() => leakedRead!.count('Item')).toThrow(
      expect.objectContaining({ code: 'TDB_TXN_NOT_ACTIVE' })
    )
    expect((leakedRead as unknown as Record<string, unknown>).insert).toBeUndefined()
    engine.close()
    expect(() => engine.read(() => 1)).toThrow(expect.objectContaining({ code: 'TDB_CLOSED' }))
  })

  it('lets a hook refuse writes with checkWrite and hears extend', () => {
    const engine = new Engine({ dictionary: benchDictionary(), memorySize: 1 << 20 })
    const extended: number[] = []
    const remove = engine.addHook({
      name: 'refuser',
      checkWrite: () => {
        throw new Error('read-only')
      },
      onCommit: () => {},
      onExtend: (bytes) => extended.push(bytes),
    })
    expect(() => engine.write((tx) => tx.insert('Item', { key: 1 }))).toThrow('read-only')
    engine.extend(4096)
    expect(extended).toEqual([4096])
    expect(engine.memory.sizeBytes).toBe((1 << 20) + 4096)
    remove()
    expect(engine.write((tx) => tx.insert('Item', { key: 1 })).seq).toBe(1n)
  })

  it('tells the hooks of clear and setSequencer (a full load)', () => {
    const engine = new Engine({ dictionary: benchDictionary() })
    const heard: string[] = []
    engine.addHook({
      name: 'load',
      onCommit: () => heard.push('commit'),
      onClear: () => heard.push('clear'),
      onSetSequencer: (seq) => heard.push(`seq ${seq}`),
    })
    engine.write((tx) => tx.insert('Item', { key: 1 }))
    engine.clear()
    expect(engine.read((tx) => tx.count('Item'))).toBe(0)
    engine.setSequencer(41n)
    engine.write((tx) => tx.insert('Item', { key: 1 }))
    expect(heard).toEqual(['commit', 'clear', 'seq 41', 'commit'])
    expect(engine.getSequencer()).toBe(42n)
  })

  it('combines the durability of every hook', async () => {
    const engine = new Engine({ dictionary: benchDictionary() })
    engine.addHook({ name: 'a', onCommit: () => {}, whenDurable: async () => 'ok' })
    engine.addHook({ name: 'b', onCommit: () => {}, whenDurable: async () => 'replica-detached' })
    const result = engine.write((tx) => tx.insert('Item', { key: 1 }))
    await expect(result.durable).resolves.toBe('replica-detached')
  })

  it('names the class and field of a bad value and of unknown fields and classes', () => {
    const engine = new Engine({ dictionary: benchDictionary() })
    const attempt = (fn: (tx: WriteTransaction) => unknown): unknown => {
      try {
        engine.write(fn)
      } catch (error) {
        return { code: (error as { code: string }).code, message: (error as Error).message }
      }
      return 'no error'
    }
    expect(attempt((tx) => tx.insert('Item', { key: -1 }))).toEqual({
      code: 'TDB_INVALID_ARGUMENT',
      message: 'Item.key: expected an integer from 0 to 4294967295, got number -1',
    })
    expect(attempt((tx) => tx.insert('Item', { key: 1, colour: 'red' }))).toEqual({
      code: 'TDB_INVALID_ARGUMENT',
      message: 'Item.colour: no such field',
    })
    expect(attempt((tx) => tx.insert('Nope', {}))).toEqual({
      code: 'TDB_INVALID_ARGUMENT',
      message: 'no class "Nope" in the dictionary',
    })
    expect(attempt((tx) => tx.update('Item', 99, { key: 1 }))).toEqual({
      code: 'TDB_NOT_FOUND',
      message: 'Item: no object with oid number 99',
    })
  })

  it('keeps classes apart: an oid of one class is not found in another', () => {
    const dict = dictionary([
      classDef(1, 'A', [field('x', types.i4)], [tree('byX', ['x'], true)]),
      classDef(2, 'B', [field('x', types.i4)], [tree('byX', ['x'], true)]),
    ])
    const engine = new Engine({ dictionary: dict })
    const oid = engine.write((tx) => tx.insert('A', { x: 1 })).value
    engine.write((tx) => tx.insert('B', { x: 1 }))
    expect(engine.read((tx) => tx.get('B', oid))).toBeUndefined()
    expect(engine.read((tx) => [tx.count('A'), tx.count('B')])).toEqual([1, 1])
  })
})

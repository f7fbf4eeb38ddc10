/**
 * The public Database facade (DESIGN.md "Store and transactions"): open from a dictionary,
 * write and read through it, sequencer, memory and extend, content hash, close. Checks that
 * it delegates to one engine and that a closed database refuses further use.
 */
import { describe, expect, it } from 'vitest'
import { Database } from '../../../src/node/database.js'
import { benchDictionary } from './dictionary-fixtures.js'

describe('Database (DESIGN.md: Store and transactions)', () => {
  it('opens, writes, reads, extends and closes', async () => {
    const db = await Database.open(
      { dictionary: benchDictionary(), memorySize: 1 << 20, name: 'items' }
    )
    expect(db.name).toBe('items')
    const { value: oid, seq } = db.write(
      (tx) => tx.insert('Item', { key: 1, name: 'one', value: 1 })
    )
    expect(seq).toBe(1n)
    expect(db.getSequencer()).toBe(1n)
    expect(db.read((tx) => tx.get('Item', oid))).toEqual({ key: 1, name: 'one', value: 1 })
    expect(db.memory.sizeBytes).toBe(1 << 20)
    expect(db.memory.usedBytes).toBeGreaterThan(0)
    db.extend(1 << 20)
    expect(db.memory.sizeBytes).toBe(2 << 20)
    expect(db.contentHash()).toBe(db.engine.contentHash())
    await db.close()
    expect(() => db.write((tx) => tx.insert('Item', { key: 2 }))).toThrow(
      expect.objectContaining({ code: 'TDB_CLOSED' })
    )
  })

  it('takes its name from the dictionary by default', async () => {
    const db = await Database.open({ dictionary: benchDictionary() })
    expect(db.name).toBe('test')
    expect(db.memory.sizeBytes).toBe(64 * 1024 * 1024)
    await db.close()
  })
})

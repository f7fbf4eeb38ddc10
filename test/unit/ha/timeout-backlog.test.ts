/**
 * The small values of src/ha (STYLE.md 5.3): Timeout (start, fired, reset, backoff with an
 * injected PRNG), the backlog ring (bounds, contiguity, what it can serve), and the
 * dictionary compatibility rule of partial replication (DESIGN.md "Replication").
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Backlog } from '../../../src/ha/backlog.js'
import { dictionaryMismatch, skippedClassIds } from '../../../src/ha/dictionary-check.js'
import { Timeout } from '../../../src/ha/timeout.js'
import { Prng } from '../../../src/util/prng.js'

describe('Timeout', () => {
  it('fires at its deadline, not before, and only while running', () => {
    const timeout = new Timeout('t', 100)
    expect(timeout.fired(1000)).toBe(false)
    timeout.start(10)
    expect(timeout.deadlineMs).toBe(110)
    expect(timeout.fired(109)).toBe(false)
    expect(timeout.fired(110)).toBe(true)
    timeout.reset(110)
    expect(timeout.fired(209)).toBe(false)
    timeout.stop()
    expect(timeout.fired(10_000)).toBe(false)
  })

  it('backs off exponentially with jitter below the base, capped, then resets', () => {
    const timeout = new Timeout('t', 100)
    const prng = new Prng(7)
    const durations: number[] = []
    for (let i = 0; i < 15; i++) {
      timeout.backoff(0, prng)
      durations.push(timeout.durationMs)
    }
    expect(durations[0]).toBeGreaterThanOrEqual(200)
    expect(durations[0]).toBeLessThan(300)
    expect(durations[2]).toBeGreaterThanOrEqual(800)
    expect(Math.max(...durations)).toBeLessThan(100 * 2 ** 10 + 100)
    timeout.reset(0)
    expect(timeout.durationMs).toBe(100)
  })

  it('refuses a negative duration', () => {
    expect(() => new Timeout('t', -1)).toThrow(
      expect.objectContaining({ code: 'TDB_INVALID_PARAMETER' }),
    )
  })
})

describe('Backlog', () => {
  const entry = (seq: bigint) => ({
    seq,
    changeSet: new Uint8Array([Number(seq % 256n)]),
    atMs: Number(seq),
  })

  it('keeps the last `capacity` change sets and serves replicas at firstSeq - 1 .. lastSeq', () => {
    const backlog = new Backlog(3)
    for (let s = 1n; s <= 5n; s++) backlog.push(entry(s))
    expect([backlog.firstSeq, backlog.lastSeq, backlog.length]).toEqual([3n, 5n, 3])
    expect(backlog.coversAfter(1n)).toBe(false)
    expect(backlog.coversAfter(2n)).toBe(true)
    expect(backlog.coversAfter(5n)).toBe(true)
    expect(backlog.coversAfter(6n)).toBe(false)
    expect(backlog.entriesAfter(2n).map((e) => e.seq)).toEqual([3n, 4n, 5n])
    expect(backlog.entriesAfter(5n)).toEqual([])
    expect(backlog.get(4n)?.atMs).toBe(4)
    expect(backlog.get(2n)).toBeUndefined()
  })

  it('empties itself on a sequencer gap rather than serve a hole', () => {
    const backlog = new Backlog(4)
    backlog.push(entry(1n))
    backlog.push(entry(2n))
    backlog.push(entry(5n))
    expect([backlog.firstSeq, backlog.length]).toEqual([5n, 1])
    expect(backlog.coversAfter(2n)).toBe(false)
  })

  it('matches a plain array model (property)', () => {
    fc.assert(
      fc.property(fc.nat({ max: 6 }), fc.nat({ max: 30 }), (capacity, n) => {
        const backlog = new Backlog(capacity)
        for (let s = 1; s <= n; s++) backlog.push(entry(BigInt(s)))
        backlog.invariants()
        const model = Array.from({ length: n }, (_, i) => BigInt(i + 1)).slice(-capacity || n)
        const held = capacity === 0 ? [] : model
        expect(backlog.length).toBe(held.length)
        if (held.length > 0) {
          expect(backlog.entriesAfter((held[0] as bigint) - 1n).map((e) => e.seq)).toEqual(held)
        }
      }),
    )
  })
})

describe('dictionary compatibility (partial replication)', () => {
  const master = {
    filter: true,
    classes: [
      { id: 1, shapeHash: 'a', local: false },
      { id: 4, shapeHash: 'd', local: true },
    ],
  }

  it('ignores what neither side would replicate, checks the rest by id and shape', () => {
    const replica = {
      filter: true,
      classes: [
        { id: 1, shapeHash: 'a', local: false },
        { id: 4, shapeHash: 'other', local: false },
      ],
    }
    expect(dictionaryMismatch(master, replica)).toBeNull()
    const changed = { ...replica, classes: [{ id: 1, shapeHash: 'b', local: false }] }
    expect(dictionaryMismatch(master, changed)).toMatch(/class 1 has shape b/)
    expect(dictionaryMismatch(master, { filter: true, classes: [] })).toMatch(/missing/)
  })

  it('lists the skipped classes only while filtering', () => {
    expect(skippedClassIds(master.classes, true)).toEqual([4])
    expect(skippedClassIds(master.classes, false)).toEqual([])
  })
})

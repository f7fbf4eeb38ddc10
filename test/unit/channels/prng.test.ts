/**
 * The seeded PRNG the channel tests and the simulator share (STYLE 5.6: a seeded integer-only
 * PRNG): the same seed replays the same sequence, different seeds differ, draws stay in
 * range and are roughly uniform, and chance() matches its ratio.
 */
import { describe, expect, it } from 'vitest'
import { Prng } from '../../../src/util/prng.js'
import { AssertionError } from '../../../src/errors.js'

describe('Prng', () => {
  it('replays a seed exactly and separates seeds', () => {
    const a = new Prng(12345)
    const b = new Prng(12345)
    const c = new Prng(12346)
    const seqA = Array.from({ length: 100 }, () => a.nextUint32())
    expect(Array.from({ length: 100 }, () => b.nextUint32())).toEqual(seqA)
    expect(Array.from({ length: 100 }, () => c.nextUint32())).not.toEqual(seqA)
    expect(new Prng(2 ** 40).nextUint32()).not.toBe(new Prng(0).nextUint32())
  })

  it('draws integers in range, close to uniform', () => {
    const prng = new Prng(7)
    const counts = new Array<number>(10).fill(0)
    for (let i = 0; i < 100_000; i++) {
      const value = prng.nextInt(10)
      expect(value >= 0 && value < 10 && Number.isInteger(value)).toBe(true)
      counts[value] = (counts[value] as number) + 1
    }
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(500)
    expect(prng.nextInt(1)).toBe(0)
    const big = prng.nextInt(2 ** 32)
    expect(big >= 0 && big < 2 ** 32).toBe(true)
  })

  it('chance(n, d) comes true about n/d of the time', () => {
    const prng = new Prng(99)
    let hits = 0
    for (let i = 0; i < 100_000; i++) if (prng.chance(1, 5)) hits++
    expect(Math.abs(hits - 20_000)).toBeLessThan(800)
    expect(prng.chance(0, 3)).toBe(false)
    expect(prng.chance(3, 3)).toBe(true)
  })

  it('forks independent streams and asserts its arguments', () => {
    const parent = new Prng(5)
    const child = parent.fork()
    expect(child.nextUint32()).not.toBe(parent.nextUint32())
    expect(() => new Prng(1.5)).toThrow(AssertionError)
    expect(() => new Prng(1).nextInt(0)).toThrow(AssertionError)
    expect(() => new Prng(1).chance(4, 3)).toThrow(AssertionError)
  })
})

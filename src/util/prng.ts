/**
 * A small seeded pseudo-random generator on 32-bit integers (xoshiro128**, seeded through
 * splitmix32), for deterministic tests and the simulator: the same seed gives the same
 * sequence on every machine. Not for cryptography.
 *
 * ### Examples
 * ```ts
 * const prng = new Prng(42)
 * if (prng.chance(1, 5)) dropMessage()  // 20%
 * const delayTicks = prng.nextInt(10)   // 0..9
 * ```
 */
import { assert } from './assert.js'

export class Prng {
  #a: number
  #b: number
  #c: number
  #d: number

  /** `seed` is any safe integer; its low 32 and high 21 bits both matter. */
  constructor(seed: number) {
    assert(Number.isSafeInteger(seed), `PRNG seed must be a safe integer, got ${seed}`)
    let state = (seed >>> 0) ^ Math.floor(seed / 2 ** 32)
    const next = (): number => {
      state = (state + 0x9e3779b9) | 0
      let z = state
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      return (z ^ (z >>> 16)) >>> 0
    }
    this.#a = next()
    this.#b = next()
    this.#c = next()
    this.#d = next()
    // xoshiro's state must not be all zero; splitmix32 output makes that practically
    // impossible, and this keeps it impossible.
    if ((this.#a | this.#b | this.#c | this.#d) === 0) this.#a = 1
  }

  /** The next integer in [0, 2^32). */
  nextUint32(): number {
    const result = Math.imul(rotateLeft(Math.imul(this.#b, 5), 7), 9) >>> 0
    const t = this.#b << 9
    this.#c ^= this.#a
    this.#d ^= this.#b
    this.#b ^= this.#c
    this.#a ^= this.#d
    this.#c ^= t
    this.#d = rotateLeft(this.#d, 11)
    return result
  }

  /** A uniform integer in [0, n), for 1 <= n <= 2^32 (rejection sampling, no modulo bias). */
  nextInt(n: number): number {
    assert(Number.isInteger(n) && n >= 1 && n <= 2 ** 32, `nextInt bound out of range: ${n}`)
    const limit = 2 ** 32 - (2 ** 32 % n)
    for (;;) {
      const value = this.nextUint32()
      if (value < limit) return value % n
    }
  }

  /** True with probability numerator / denominator. */
  chance(numerator: number, denominator: number): boolean {
    assert(
      Number.isInteger(numerator) && Number.isInteger(denominator) && denominator >= 1,
      `chance takes integers with a positive denominator, got ${numerator}/${denominator}`,
    )
    assert(numerator >= 0 && numerator <= denominator, 'chance numerator within [0, denominator]')
    return this.nextInt(denominator) < numerator
  }

  /** A new generator seeded from this one, for an independent stream (per node, per link). */
  fork(): Prng {
    return new Prng(this.nextUint32() * 2 ** 21 + (this.nextUint32() >>> 11))
  }
}

function rotateLeft(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits))
}

/**
 * A seeded float generator in [0, 1) (mulberry32) for workloads: benchmark datasets and test
 * data, the same sequence for the same seed everywhere. The simulator uses `Prng` instead,
 * which stays in integers.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

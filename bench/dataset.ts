/**
 * The seeded data every system of a suite loads: the same records, the same lookup keys, the
 * same range starts, so that checksums can be compared with values computed here, apart from
 * any system under test.
 */
import { seededRandom } from '../src/util/prng.js'

/** One record of the benchmark class (schema/bench.mco `Record`). */
export type BenchRecord = {
  key: number
  name: string
  value: number
}

export { seededRandom }

/** The keys 0 .. count-1 in a seeded random order (Fisher-Yates). */
export function shuffledKeys(count: number, seed: number): Uint32Array {
  const keys = new Uint32Array(count)
  for (let i = 0; i < count; i++) keys[i] = i
  const random = seededRandom(seed)
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const held = keys[i] as number
    keys[i] = keys[j] as number
    keys[j] = held
  }
  return keys
}

const NAME_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

/** The 16-character name of the record with `key`: a function of the key alone. */
export function nameOf(key: number): string {
  let state = (key * 2654435761 + 12345) >>> 0
  let name = ''
  for (let i = 0; i < 16; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0
    name += NAME_ALPHABET[(state >>> 16) % NAME_ALPHABET.length]
  }
  return name
}

/**
 * The initial value of the record with `key`: a multiple of 0.5, so that sums of up to millions
 * of values stay exact in a double and checksums compare with `===`.
 */
export function valueOf(key: number): number {
  return ((key * 7919) % 100_003) * 0.5
}

/** The record with `key`. */
export function recordOf(key: number): BenchRecord {
  return { key, name: nameOf(key), value: valueOf(key) }
}

/** `count` keys drawn uniformly (with repetition) from 0 .. keyCount-1. */
export function randomKeys(count: number, keyCount: number, seed: number): Uint32Array {
  const keys = new Uint32Array(count)
  const random = seededRandom(seed)
  for (let i = 0; i < count; i++) keys[i] = Math.floor(random() * keyCount)
  return keys
}

/** Folds a key into an order-sensitive 32-bit checksum (a range scan must return keys in order). */
export function foldKey(checksum: number, key: number): number {
  return Math.imul(checksum ^ key, 0x9e3779b1) >>> 0
}

/** The checksum of a scan of `length` consecutive keys from `start`, as `foldKey` builds it. */
export function rangeChecksum(checksum: number, start: number, length: number): number {
  let folded = checksum
  for (let key = start; key < start + length; key++) folded = foldKey(folded, key)
  return folded
}

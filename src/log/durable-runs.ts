/**
 * The seqs whose commit policy asks for stable storage (sync-flush, delayed) among those not
 * yet durable, kept as runs of consecutive seqs: consecutive commits mostly share a policy, so
 * appending is a compare and an assignment, and `whenDurable` finds a seq by binary search.
 */
import { assert } from '../util/assert.js'

export class DurableRuns {
  #firsts: bigint[] = []
  #lasts: bigint[] = []
  /** Runs before this index are dropped (compacted away from time to time). */
  #head = 0

  /** Adds `seq`, which is greater than every seq added before. */
  add(seq: bigint): void {
    const count = this.#lasts.length
    if (count > this.#head) {
      const last = this.#lasts[count - 1]!
      assert(seq > last, 'durable runs must grow in seq order')
      if (last + 1n === seq) {
        this.#lasts[count - 1] = seq
        return
      }
    }
    this.#firsts.push(seq)
    this.#lasts.push(seq)
  }

  has(seq: bigint): boolean {
    let low = this.#head
    let high = this.#lasts.length - 1
    while (low <= high) {
      const middle = (low + high) >>> 1
      if (this.#lasts[middle]! < seq) low = middle + 1
      else if (this.#firsts[middle]! > seq) high = middle - 1
      else return true
    }
    return false
  }

  /** Forgets every seq <= `seq` (they are durable now). */
  dropThrough(seq: bigint): void {
    const count = this.#lasts.length
    while (this.#head < count && this.#lasts[this.#head]! <= seq) this.#head++
    if (this.#head < count && this.#firsts[this.#head]! <= seq) this.#firsts[this.#head] = seq + 1n
    if (this.#head === count) this.clear()
    else if (this.#head > 1024 && this.#head * 2 > count) {
      this.#firsts = this.#firsts.slice(this.#head)
      this.#lasts = this.#lasts.slice(this.#head)
      this.#head = 0
    }
  }

  clear(): void {
    this.#firsts = []
    this.#lasts = []
    this.#head = 0
  }
}

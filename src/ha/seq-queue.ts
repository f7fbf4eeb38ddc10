/**
 * A FIFO of entries in strictly increasing sequencer order, with O(1) push, peek and
 * take-from-the-front (a head index over an array, compacted as it drains). The master keeps
 * its ack requests and waiting commits in these: under many commits in flight they hold tens
 * of thousands of entries, and an `Array.shift` or `filter` per ack would make each step O(n).
 * Order is asserted on every push, so the invariants need only look at both ends.
 */
import { assert } from '../util/assert.js'

export class SeqQueue<T extends { readonly seq: bigint }> {
  #items: T[] = []
  #head = 0

  get length(): number {
    return this.#items.length - this.#head
  }

  get first(): T | undefined {
    return this.#items[this.#head]
  }

  get last(): T | undefined {
    return this.length === 0 ? undefined : this.#items[this.#items.length - 1]
  }

  /** Appends an entry whose seq is after the last one's (asserted). */
  push(item: T): void {
    const last = this.last
    assert(last === undefined || item.seq > last.seq, `seq ${item.seq} pushed after ${last?.seq}`)
    this.#items.push(item)
  }

  /** Removes and returns the first entry. */
  shift(): T | undefined {
    if (this.length === 0) return undefined
    const item = this.#items[this.#head] as T
    this.#head++
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    return item
  }

  /** Removes every entry with seq <= `seq`. */
  dropThrough(seq: bigint): void {
    while (this.length > 0 && (this.first as T).seq <= seq) this.shift()
  }

  clear(): void {
    this.#items = []
    this.#head = 0
  }

  /** The entries from the front, in order (for walks that stop early). */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.#head; i < this.#items.length; i++) yield this.#items[i] as T
  }

  /** Asserts the ends are in order (pushes assert the rest). */
  invariants(): void {
    const first = this.first
    const last = this.last
    assert((first === undefined) === (last === undefined), 'seq queue ends disagree')
    assert(first === undefined || last === undefined || first.seq <= last.seq,
      'seq queue ends out of order')
  }
}

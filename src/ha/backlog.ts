/**
 * The backlog: a ring of the most recent change sets (already filtered of the master's local
 * classes), for stateful catch-up (eXtremeDB trans_log_length) and for lag in milliseconds.
 * It always holds a contiguous run of sequencers ending at the master's last commit.
 */
import { assert } from '../util/assert.js'

export interface BacklogEntry {
  readonly seq: bigint
  readonly changeSet: Uint8Array
  /** The master's clock when the commit was heard. */
  readonly atMs: number
}

export class Backlog {
  readonly capacity: number
  #entries: (BacklogEntry | undefined)[]
  #head = 0
  #length = 0

  constructor(capacity: number) {
    assert(Number.isSafeInteger(capacity) && capacity >= 0, 'backlog capacity is invalid')
    this.capacity = capacity
    this.#entries = new Array<BacklogEntry | undefined>(capacity)
  }

  get length(): number {
    return this.#length
  }

  get firstSeq(): bigint | null {
    return this.#at(0)?.seq ?? null
  }

  get lastSeq(): bigint | null {
    return this.#at(this.#length - 1)?.seq ?? null
  }

  /** Appends the next commit; a gap in sequencers empties the ring first (no false catch-up). */
  push(entry: BacklogEntry): void {
    if (this.capacity === 0) return
    const last = this.lastSeq
    if (last !== null && entry.seq !== last + 1n) this.clear()
    const previous = this.#at(this.#length - 1)
    assert(previous === undefined || entry.atMs >= previous.atMs, 'backlog times go backwards')
    if (this.#length === this.capacity) {
      this.#entries[this.#head] = undefined
      this.#head = (this.#head + 1) % this.capacity
      this.#length -= 1
    }
    this.#entries[(this.#head + this.#length) % this.capacity] = entry
    this.#length += 1
    assert(this.#length <= this.capacity, 'backlog overflow')
  }

  clear(): void {
    this.#entries = new Array<BacklogEntry | undefined>(this.capacity)
    this.#head = 0
    this.#length = 0
  }

  /**
   * True when every change set after `seq` up to the last one is held, so that a replica at
   * `seq` can catch up from the backlog alone. `seq` equal to the last one is covered too.
   */
  coversAfter(seq: bigint): boolean {
    const first = this.firstSeq
    const last = this.lastSeq
    return first !== null && last !== null && seq >= first - 1n && seq <= last
  }

  /** The entries with a sequencer above `seq`, in order (only when `coversAfter(seq)`). */
  entriesAfter(seq: bigint): BacklogEntry[] {
    assert(this.coversAfter(seq), `backlog does not cover ${seq}`)
    const first = this.firstSeq as bigint
    const skip = Number(seq - first + 1n)
    const result: BacklogEntry[] = []
    for (let i = skip; i < this.#length; i++) result.push(this.#at(i) as BacklogEntry)
    return result
  }

  /** The entry of `seq`, or undefined when it is not held. */
  get(seq: bigint): BacklogEntry | undefined {
    const first = this.firstSeq
    if (first === null || seq < first) return undefined
    return this.#at(Number(seq - first))
  }

  /** Asserts contiguity and bounds (called from the master's invariants). */
  invariants(): void {
    // Runs after every master step, so it looks at both ends only: push keeps the entries
    // contiguous (it clears on a gap) and asserts the time order of each new entry.
    assert(this.#length <= this.capacity, 'backlog longer than its capacity')
    const first = this.firstSeq
    const last = this.lastSeq
    assert((first === null) === (last === null), 'backlog ends disagree')
    assert(first === null || last === null || last - first + 1n === BigInt(this.#length),
      'backlog sequencers are not contiguous')
  }

  #at(index: number): BacklogEntry | undefined {
    if (index < 0 || index >= this.#length) return undefined
    return this.#entries[(this.#head + index) % this.capacity]
  }
}

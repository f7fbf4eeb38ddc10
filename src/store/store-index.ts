/**
 * The indexes of a class as the object store keeps them: each dictionary index compiled to a
 * runtime index with its key reader. `tree` and `hash` indexes are maintained on every write;
 * `list` walks the class's live slots and `autoid` looks oids up in the oid map, so neither
 * holds anything of its own.
 */
import type { IndexDef } from '../schema/dictionary.js'
import type { HashIndex, KeyReader, MemoryBudget, OrderedIndex } from './index-contract.js'
import type { RecordKeyReader } from './key-reader.js'

/** Builds the index structures; the store is written against this, not the classes. */
export interface IndexFactory {
  tree(keys: KeyReader, unique: boolean, budget: MemoryBudget): OrderedIndex
  hash(keys: KeyReader, unique: boolean, budget: MemoryBudget, initialSize: number): HashIndex
}

export type StoreIndex =
  | {
      readonly kind: 'tree'
      readonly def: IndexDef
      readonly position: number
      readonly keys: RecordKeyReader
      index: OrderedIndex
    }
  | {
      readonly kind: 'hash'
      readonly def: IndexDef
      readonly position: number
      readonly keys: RecordKeyReader
      index: HashIndex
    }
  | { readonly kind: 'list' | 'autoid' | 'oid'; readonly def: IndexDef; readonly position: number }

/** An index the store must update on every insert, delete and key change. */
export type MaintainedIndex = Extract<StoreIndex, { kind: 'tree' | 'hash' }>

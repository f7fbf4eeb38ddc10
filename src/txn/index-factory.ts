/**
 * The index structures the engine builds for the dictionary's `tree` and `hash` indexes.
 */
import { HashTable } from '../store/index-hash.js'
import { TreeIndex } from '../store/index-tree.js'
import type { IndexFactory } from '../store/store-index.js'

export const defaultIndexFactory: IndexFactory = {
  tree: (keys, unique, budget) => new TreeIndex(keys, unique, budget),
  hash: (keys, unique, budget, initialSize) => new HashTable(keys, unique, initialSize, budget),
}

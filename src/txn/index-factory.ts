/**
 * The index structures the engine builds for the dictionary's `tree` and `hash` indexes.
 */
import { TreeIndex } from '../store/index-tree.js'
import type { IndexFactory } from '../store/store-index.js'
import { TandemError } from '../errors.js'

export const defaultIndexFactory: IndexFactory = {
  tree: (keys, unique, budget) => new TreeIndex(keys, unique, budget),
  hash: () => {
    throw new TandemError('TDB_SCHEMA_UNSUPPORTED', 'hash indexes are not available yet')
  },
}

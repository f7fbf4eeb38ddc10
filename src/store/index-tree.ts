import { StoreError } from '../errors.js'
import { assert } from '../util/assert.js'
import type {
  IndexPosition,
  KeyReader,
  MemoryBudget,
  OrderedIndex,
  SearchKey,
} from './index-contract.js'
import {
  NIL_NODE,
  TREE_FANOUT,
  TREE_MAX_HEIGHT,
  TREE_MIN_FILL,
  type TreeNode,
  balanceNodes,
  insertEntry,
  mergeNodes,
  newTreeNode,
  removeEntry,
  splitNode,
  treeNodeBytes,
} from './tree-node.js'
import {
  entryBoundNumeric,
  entryBoundRecord,
  keyBoundNumeric,
  keyBoundRecord,
} from './tree-search.js'

/**
 * An ordered index (the DDL `tree`): a B+tree of rids ordered by `keys.compareRecords`, ties
 * broken by rid, so a non-unique index removes one exact rid in O(log n). Every node's bytes
 * are charged to the budget before the change that needs them, so a refused charge
 * (TDB_OUT_OF_MEMORY) leaves the index untouched; removes merge or rebalance underfull nodes
 * and give their bytes back. A record must keep the key it was inserted with until it is
 * removed. When the key reader offers `numericKey`, keys are cached next to the rids.
 *
 * @example
 * const index = new TreeIndex(keys, true, budget)
 * index.insert(rid)
 * const found = index.findFirst([42]) // rid or -1
 * for (const at = index.seekFirst([10], true); at.valid; at.next()) visit(at.rid)
 */
export class TreeIndex implements OrderedIndex {
  readonly unique: boolean
  readonly #keys: KeyReader
  readonly #budget: MemoryBudget
  readonly #numeric: boolean
  readonly #leafBytes: number
  readonly #innerBytes: number
  #root: TreeNode | null = null
  /** The number of internal levels; leaves sit at level `#height`, the root at level 0. */
  #height = 0
  #size = 0
  #version = 0
  #bytesCharged = 0
  /** The internal nodes and child indexes of the last descent, by level (root first). */
  readonly #pathNodes: TreeNode[] = new Array<TreeNode>(TREE_MAX_HEIGHT).fill(NIL_NODE)
  readonly #pathIndexes = new Int32Array(TREE_MAX_HEIGHT)
  /** The leaf and position of the last key search (the position may equal the leaf count). */
  #hitLeaf: TreeNode = NIL_NODE
  #hitIndex = 0

  constructor(keys: KeyReader, unique: boolean, budget: MemoryBudget) {
    this.#keys = keys
    this.unique = unique
    this.#budget = budget
    this.#numeric =
      keys.arity === 1 && keys.numericKey !== undefined && keys.numericSearchKey !== undefined
    this.#leafBytes = treeNodeBytes(true, this.#numeric)
    this.#innerBytes = treeNodeBytes(false, this.#numeric)
  }

  get size(): number {
    return this.#size
  }

  get version(): number {
    return this.#version
  }

  get bytesCharged(): number {
    return this.#bytesCharged
  }

  /** The number of levels, leaves included (0 when empty); for tests and statistics. */
  get height(): number {
    return this.#root === null ? 0 : this.#height + 1
  }

  insert(rid: number): void {
    assert(rid === (rid | 0) && rid >= 0, 'tree insert: bad rid')
    const num = this.#numeric ? this.#numericKeyOf(rid) : 0
    if (this.#root === null) {
      this.#charge(this.#leafBytes)
      this.#root = newTreeNode(true, this.#numeric)
      this.#height = 0
    }
    const leaf = this.#descendToEntry(rid, num)
    const pos = this.#numeric
      ? entryBoundNumeric(leaf, num, rid, false)
      : entryBoundRecord(this.#keys, leaf, rid, false)
    this.#checkNeighbours(leaf, pos, rid, num)
    const bytes = this.#splitBytes(leaf)
    if (bytes > 0) this.#charge(bytes)
    this.#insertAt(leaf, pos, rid, num)
    this.#size++
    this.#version++
  }

  remove(rid: number): void {
    assert(this.#root !== null, 'tree remove: the index is empty')
    const num = this.#numeric ? this.#numericKeyOf(rid) : 0
    const leaf = this.#descendToEntry(rid, num)
    const pos = this.#numeric
      ? entryBoundNumeric(leaf, num, rid, true)
      : entryBoundRecord(this.#keys, leaf, rid, true)
    const present = pos < leaf.count && leaf.rids[pos] === rid
    assert(present, 'tree remove: the rid is not in the index')
    removeEntry(leaf, pos)
    if (pos === 0 && leaf.count > 0) this.#fixSeparators(this.#height, leaf)
    this.#rebalance(leaf)
    this.#shrinkRoot()
    this.#size--
    this.#version++
  }

  findFirst(key: SearchKey): number {
    if (this.#root === null) return -1
    if (this.#numeric && key.length === 1) {
      return this.#findFirstNumeric((this.#keys.numericSearchKey as NumericSearch)(key))
    }
    this.#seekKey(key, false)
    let leaf = this.#hitLeaf
    let index = this.#hitIndex
    if (index === leaf.count) {
      if (leaf.next === null) return -1
      leaf = leaf.next
      index = 0
    }
    const rid = leaf.rids[index] as number
    return this.#keys.compareKeyToRecord(key, rid) === 0 ? rid : -1
  }

  seekFirst(key: SearchKey, inclusive: boolean): IndexPosition {
    if (this.#root === null) return this.#position(null, 0)
    this.#seekKey(key, !inclusive)
    return this.#positionForward(this.#hitLeaf, this.#hitIndex)
  }

  seekLast(key: SearchKey, inclusive: boolean): IndexPosition {
    if (this.#root === null) return this.#position(null, 0)
    this.#seekKey(key, inclusive)
    return this.#positionBackward(this.#hitLeaf, this.#hitIndex - 1)
  }

  first(): IndexPosition {
    let node = this.#root
    if (node === null) return this.#position(null, 0)
    while (!node.leaf) node = node.children[0] as TreeNode
    return this.#position(node, 0)
  }

  last(): IndexPosition {
    let node = this.#root
    if (node === null) return this.#position(null, 0)
    while (!node.leaf) node = node.children[node.count - 1] as TreeNode
    return this.#position(node, node.count - 1)
  }

  /**
   * Checks the whole tree: order, separators, fill, leaf links, size and charged bytes.
   * Throws AssertionError on the first broken invariant. For tests; O(n).
   */
  checkInvariants(): void {
    if (this.#root === null) {
      assert(this.#size === 0 && this.#bytesCharged === 0, 'empty tree holds entries or bytes')
      return
    }
    const audit = { leaves: [] as TreeNode[], entries: 0, bytes: 0 }
    this.#checkNode(this.#root, 0, audit)
    assert(audit.entries === this.#size, `tree size ${this.#size} != ${audit.entries} entries`)
    assert(audit.bytes === this.#bytesCharged, 'tree bytesCharged differs from its nodes')
    let previous: TreeNode | null = null
    for (const leaf of audit.leaves) {
      assert(leaf.prev === previous, 'tree leaf prev link broken')
      if (previous !== null) {
        assert(previous.next === leaf, 'tree leaf next link broken')
        const last = previous.rids[previous.count - 1] as number
        assert(this.#compareEntries(last, leaf.rids[0] as number) < 0, 'tree leaves out of order')
      }
      previous = leaf
    }
    assert(previous !== null && previous.next === null, 'tree last leaf has a next link')
  }

  #checkNode(node: TreeNode, level: number, audit: TreeAudit): void {
    const isRoot = level === 0
    assert(node.leaf === (level === this.#height), `tree node leaf flag wrong at level ${level}`)
    assert(node.count >= (isRoot ? 1 : TREE_MIN_FILL), `tree node underfull at level ${level}`)
    audit.bytes += node.leaf ? this.#leafBytes : this.#innerBytes
    for (let i = 0; i < node.count; i++) {
      const rid = node.rids[i] as number
      if (this.#numeric) assert(node.nums[i] === this.#numericKeyOf(rid), 'stale numeric key')
      if (i > 0) assert(this.#compareEntries(node.rids[i - 1] as number, rid) < 0, 'node order')
      if (node.leaf) continue
      const child = node.children[i] as TreeNode
      assert(child !== NIL_NODE && child.rids[0] === rid, 'tree separator is not the child min')
      this.#checkNode(child, level + 1, audit)
    }
    if (node.leaf) {
      audit.leaves.push(node)
      audit.entries += node.count
    } else {
      for (let i = node.count; i < TREE_FANOUT; i++) {
        assert(node.children[i] === NIL_NODE, 'tree child slot past the count is not cleared')
      }
    }
  }

  #compareEntries(ridA: number, ridB: number): number {
    const c = this.#keys.compareRecords(ridA, ridB)
    return c !== 0 ? c : ridA - ridB
  }

  #numericKeyOf(rid: number): number {
    const num = (this.#keys.numericKey as NumericKey)(rid)
    assert(num === num, 'a numeric key is NaN')
    return num
  }

  #charge(bytes: number): void {
    this.#budget.charge(bytes)
    this.#bytesCharged += bytes
  }

  #free(node: TreeNode): void {
    const bytes = node.leaf ? this.#leafBytes : this.#innerBytes
    this.#bytesCharged -= bytes
    this.#budget.release(bytes)
  }

  #position(leaf: TreeNode | null, index: number): TreePosition {
    return new TreePosition(this, leaf, index, this.#version)
  }

  /** The position of entry `index` of `leaf`, or of the next leaf's first when past the end. */
  #positionForward(leaf: TreeNode, index: number): TreePosition {
    if (index < leaf.count) return this.#position(leaf, index)
    return this.#position(leaf.next, 0)
  }

  /** The position of entry `index` of `leaf`, or of the previous leaf's last when it is -1. */
  #positionBackward(leaf: TreeNode, index: number): TreePosition {
    if (index >= 0) return this.#position(leaf, index)
    const prev = leaf.prev
    return this.#position(prev, prev === null ? 0 : prev.count - 1)
  }

  /** Walks from the root to the leaf whose range holds entry (num, rid), recording the path. */
  #descendToEntry(rid: number, num: number): TreeNode {
    let node = this.#root as TreeNode
    for (let level = 0; level < this.#height; level++) {
      const bound = this.#numeric
        ? entryBoundNumeric(node, num, rid, false)
        : entryBoundRecord(this.#keys, node, rid, false)
      const child = bound > 0 ? bound - 1 : 0
      this.#pathNodes[level] = node
      this.#pathIndexes[level] = child
      node = node.children[child] as TreeNode
    }
    return node
  }

  /**
   * Finds the first entry whose key is greater than `key` (`strict`) or not less, and leaves
   * its leaf and position in `#hitLeaf` / `#hitIndex`. The position may equal the leaf count:
   * the entry is then the next leaf's first, and the entry before it is still this leaf's last.
   */
  #seekKey(key: SearchKey, strict: boolean): void {
    const numeric = this.#numeric && key.length === 1
    const num = numeric ? (this.#keys.numericSearchKey as NumericSearch)(key) : 0
    let node = this.#root as TreeNode
    while (!node.leaf) {
      const bound = numeric
        ? keyBoundNumeric(node, num, strict)
        : keyBoundRecord(this.#keys, node, key, strict)
      node = node.children[bound > 0 ? bound - 1 : 0] as TreeNode
    }
    this.#hitLeaf = node
    this.#hitIndex = numeric
      ? keyBoundNumeric(node, num, strict)
      : keyBoundRecord(this.#keys, node, key, strict)
  }

  /** The point lookup on cached numbers: no record reads, no allocation. */
  #findFirstNumeric(num: number): number {
    let node = this.#root as TreeNode
    while (!node.leaf) {
      const bound = keyBoundNumeric(node, num, false)
      node = node.children[bound > 0 ? bound - 1 : 0] as TreeNode
    }
    const index = keyBoundNumeric(node, num, false)
    if (index < node.count) return node.nums[index] === num ? (node.rids[index] as number) : -1
    const next = node.next
    return next !== null && next.nums[0] === num ? (next.rids[0] as number) : -1
  }

  /**
   * Asserts that the rid is not in the index yet and, when unique, throws TDB_DUPLICATE_KEY if
   * a record with an equal key is. Both can only sit right before or right after `pos`.
   */
  #checkNeighbours(leaf: TreeNode, pos: number, rid: number, num: number): void {
    const before = pos > 0 ? leaf : leaf.prev
    const after = pos < leaf.count ? leaf : leaf.next
    if (before !== null) {
      const at = before === leaf ? pos - 1 : before.count - 1
      const other = before.rids[at] as number
      assert(other !== rid, 'tree insert: the rid is already in the index')
      if (this.unique) this.#throwIfSameKey(rid, num, other, before.nums[at] as number)
    }
    if (after !== null && this.unique) {
      const at = after === leaf ? pos : 0
      this.#throwIfSameKey(rid, num, after.rids[at] as number, after.nums[at] as number)
    }
  }

  #throwIfSameKey(rid: number, num: number, other: number, otherNum: number): void {
    const same = this.#numeric ? num === otherNum : this.#keys.compareRecords(rid, other) === 0
    if (!same) return
    throw new StoreError(
      'TDB_DUPLICATE_KEY',
      `unique index already holds a record with the key of rid ${rid} (rid ${other})`,
      { rid, existingRid: other },
    )
  }

  /** The bytes of the nodes an insert into `leaf` will create: the chain of full nodes. */
  #splitBytes(leaf: TreeNode): number {
    if (leaf.count < TREE_FANOUT) return 0
    let bytes = this.#leafBytes
    for (let level = this.#height - 1; level >= 0; level--) {
      if ((this.#pathNodes[level] as TreeNode).count < TREE_FANOUT) return bytes
      bytes += this.#innerBytes
    }
    // The root splits too, so a new root is made above it.
    return bytes + this.#innerBytes
  }

  /** Inserts an entry into the leaf, splitting full nodes up the recorded path. */
  #insertAt(leaf: TreeNode, pos: number, rid: number, num: number): void {
    let node = leaf
    let level = this.#height
    let child = NIL_NODE
    for (;;) {
      if (node.count < TREE_FANOUT) {
        insertEntry(node, pos, rid, num, child)
        if (pos === 0) this.#fixSeparators(level, node)
        return
      }
      // An append past the last entry (ascending keys: autoid, time) keeps the left node 3/4
      // full, so sequential inserts do not leave every node half empty; the right one still
      // gets at least the minimum fill.
      const keep = pos === TREE_FANOUT ? TREE_FANOUT - TREE_MIN_FILL : TREE_FANOUT >>> 1
      const right = splitNode(node, this.#numeric, keep)
      if (pos <= node.count) {
        insertEntry(node, pos, rid, num, child)
        if (pos === 0) this.#fixSeparators(level, node)
      } else {
        insertEntry(right, pos - node.count, rid, num, child)
      }
      if (level === 0) {
        this.#growRoot(node, right)
        return
      }
      level--
      node = this.#pathNodes[level] as TreeNode
      pos = (this.#pathIndexes[level] as number) + 1
      rid = right.rids[0] as number
      num = this.#numeric ? (right.nums[0] as number) : 0
      child = right
    }
  }

  #growRoot(left: TreeNode, right: TreeNode): void {
    assert(this.#height + 1 < TREE_MAX_HEIGHT, 'tree height limit reached')
    const root = newTreeNode(false, this.#numeric)
    insertEntry(root, 0, left.rids[0] as number, this.#numeric ? (left.nums[0] as number) : 0, left)
    const rightNum = this.#numeric ? (right.nums[0] as number) : 0
    insertEntry(root, 1, right.rids[0] as number, rightNum, right)
    this.#root = root
    this.#height++
  }

  /**
   * After the first entry of `node` (at `level`, reached through the recorded path) changed,
   * copies it into the parent's separator, and on up while the node is a first child.
   */
  #fixSeparators(level: number, node: TreeNode): void {
    for (let up = level - 1; up >= 0; up--) {
      const parent = this.#pathNodes[up] as TreeNode
      const index = this.#pathIndexes[up] as number
      parent.rids[index] = node.rids[0] as number
      if (this.#numeric) parent.nums[index] = node.nums[0] as number
      if (index !== 0) return
      node = parent
    }
  }

  /** Merges or balances underfull nodes from the leaf up the recorded path. */
  #rebalance(leaf: TreeNode): void {
    let node = leaf
    for (let level = this.#height; level > 0 && node.count < TREE_MIN_FILL; level--) {
      const parent = this.#pathNodes[level - 1] as TreeNode
      assert(parent.count >= 2, 'tree parent of an underfull node has no sibling for it')
      const index = this.#pathIndexes[level - 1] as number
      const leftIndex = index > 0 ? index - 1 : 0
      const left = parent.children[leftIndex] as TreeNode
      const right = parent.children[leftIndex + 1] as TreeNode
      if (left.count + right.count > TREE_FANOUT) {
        balanceNodes(left, right)
        this.#setSeparator(parent, leftIndex + 1, right)
        this.#setSeparator(parent, leftIndex, left)
        if (leftIndex === 0) this.#fixSeparators(level - 1, parent)
        return
      }
      mergeNodes(left, right)
      removeEntry(parent, leftIndex + 1)
      this.#free(right)
      this.#setSeparator(parent, leftIndex, left)
      if (leftIndex === 0) this.#fixSeparators(level - 1, parent)
      node = parent
    }
  }

  #setSeparator(parent: TreeNode, index: number, child: TreeNode): void {
    parent.rids[index] = child.rids[0] as number
    if (this.#numeric) parent.nums[index] = child.nums[0] as number
  }

  /** Drops a root with one child, and frees an empty root leaf. */
  #shrinkRoot(): void {
    let root = this.#root as TreeNode
    while (!root.leaf && root.count === 1) {
      this.#free(root)
      root = root.children[0] as TreeNode
      this.#height--
    }
    this.#root = root
    if (root.leaf && root.count === 0) {
      this.#free(root)
      this.#root = null
      this.#height = 0
    }
  }
}

type NumericKey = (rid: number) => number
type NumericSearch = (key: SearchKey) => number

interface TreeAudit {
  leaves: TreeNode[]
  entries: number
  bytes: number
}

/**
 * A position in a TreeIndex: a leaf and an entry index. Valid until the next insert or remove
 * on the index (moves on a stale position are an internal error: cursors check `version`).
 */
class TreePosition implements IndexPosition {
  readonly #tree: TreeIndex
  readonly #version: number
  #leaf: TreeNode | null
  #index: number

  constructor(tree: TreeIndex, leaf: TreeNode | null, index: number, version: number) {
    this.#tree = tree
    this.#leaf = leaf
    this.#index = index
    this.#version = version
  }

  get valid(): boolean {
    return this.#leaf !== null
  }

  get rid(): number {
    const leaf = this.#leaf
    assert(leaf !== null, 'tree position: rid of an invalid position')
    this.#assertFresh()
    return leaf.rids[this.#index] as number
  }

  next(): boolean {
    const leaf = this.#leaf
    if (leaf === null) return false
    this.#assertFresh()
    if (this.#index + 1 < leaf.count) {
      this.#index++
      return true
    }
    this.#leaf = leaf.next
    this.#index = 0
    return this.#leaf !== null
  }

  prev(): boolean {
    const leaf = this.#leaf
    if (leaf === null) return false
    this.#assertFresh()
    if (this.#index > 0) {
      this.#index--
      return true
    }
    const prev = leaf.prev
    this.#leaf = prev
    this.#index = prev === null ? 0 : prev.count - 1
    return prev !== null
  }

  #assertFresh(): void {
    assert(this.#tree.version === this.#version, 'tree position used after the index changed')
  }
}

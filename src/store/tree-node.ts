import { assert } from '../util/assert.js'

/** The most entries a tree node holds (leaf: rids; internal: children). */
export const TREE_FANOUT = 128
/** A non-root node with fewer entries than this borrows from or merges with a sibling. */
export const TREE_MIN_FILL = TREE_FANOUT >>> 2
/** The deepest tree the path scratch arrays allow; far above what 2^31 rids can need. */
export const TREE_MAX_HEIGHT = 16

/** An estimate of what V8 spends on a node besides its arrays: object, typed-array headers. */
const NODE_OBJECT_BYTES = 192

/**
 * One node of the ordered index's B+tree.
 *
 * Layout: `rids[0..count)` holds the entries in index order (key, then rid). In a leaf an entry
 * is a record id. In an internal node entry i is the smallest rid of the subtree `children[i]`,
 * so a search compares against live records only, never against copies of keys. When the key
 * reader offers numeric keys, `nums[i]` caches the numeric key of `rids[i]` (in leaves and
 * internal nodes alike), so a search reads no records at all; otherwise `nums` is empty.
 * Leaves are linked both ways (`prev`, `next`) so cursors move across leaves without the path.
 * Unused child slots hold `NIL_NODE`, which keeps the children array packed and monomorphic.
 */
export class TreeNode {
  count = 0
  prev: TreeNode | null = null
  next: TreeNode | null = null
  readonly leaf: boolean
  readonly rids: Int32Array
  readonly nums: Float64Array
  readonly children: TreeNode[]

  constructor(leaf: boolean, numeric: boolean, children: TreeNode[]) {
    this.leaf = leaf
    this.rids = new Int32Array(TREE_FANOUT)
    this.nums = new Float64Array(numeric ? TREE_FANOUT : 0)
    this.children = children
  }
}

const NO_CHILDREN: TreeNode[] = []

/** The filler of unused child slots. It is never reached by a search. */
export const NIL_NODE = new TreeNode(true, false, NO_CHILDREN)

/** Makes an empty node. */
export function newTreeNode(leaf: boolean, numeric: boolean): TreeNode {
  const children = leaf ? NO_CHILDREN : new Array<TreeNode>(TREE_FANOUT).fill(NIL_NODE)
  return new TreeNode(leaf, numeric, children)
}

/** The budget bytes one node holds. */
export function treeNodeBytes(leaf: boolean, numeric: boolean): number {
  const ridBytes = TREE_FANOUT * 4
  const numBytes = numeric ? TREE_FANOUT * 8 : 0
  const childBytes = leaf ? 0 : TREE_FANOUT * 8
  return NODE_OBJECT_BYTES + ridBytes + numBytes + childBytes
}

/** Puts an entry at `pos`, shifting the entries after it right. The node must have room. */
export function insertEntry(
  node: TreeNode,
  pos: number,
  rid: number,
  num: number,
  child: TreeNode,
): void {
  const count = node.count
  assert(count < TREE_FANOUT && pos >= 0 && pos <= count, 'tree node insert out of range')
  node.rids.copyWithin(pos + 1, pos, count)
  node.rids[pos] = rid
  if (node.nums.length !== 0) {
    node.nums.copyWithin(pos + 1, pos, count)
    node.nums[pos] = num
  }
  if (!node.leaf) {
    node.children.copyWithin(pos + 1, pos, count)
    node.children[pos] = child
  }
  node.count = count + 1
}

/** Deletes the entry at `pos`, shifting the entries after it left. */
export function removeEntry(node: TreeNode, pos: number): void {
  const count = node.count
  assert(pos >= 0 && pos < count, 'tree node remove out of range')
  node.rids.copyWithin(pos, pos + 1, count)
  if (node.nums.length !== 0) node.nums.copyWithin(pos, pos + 1, count)
  if (!node.leaf) {
    node.children.copyWithin(pos, pos + 1, count)
    node.children[count - 1] = NIL_NODE
  }
  node.count = count - 1
}

/**
 * Copies `n` entries of `source` from `sourcePos` into `target` at `targetPos`. The caller makes
 * room in the target and fixes both counts; child slots left behind in the source are cleared
 * by `clearChildren`.
 */
function copyEntries(
  source: TreeNode,
  sourcePos: number,
  target: TreeNode,
  targetPos: number,
  n: number,
): void {
  target.rids.set(source.rids.subarray(sourcePos, sourcePos + n), targetPos)
  if (source.nums.length !== 0) {
    target.nums.set(source.nums.subarray(sourcePos, sourcePos + n), targetPos)
  }
  if (!source.leaf) {
    for (let i = 0; i < n; i++) target.children[targetPos + i] = source.children[sourcePos + i]!
  }
}

function clearChildren(node: TreeNode, from: number, to: number): void {
  if (!node.leaf) node.children.fill(NIL_NODE, from, to)
}

/**
 * Moves the entries from `keep` on of a full node into a new right sibling and returns the
 * sibling.
 */
export function splitNode(node: TreeNode, numeric: boolean, keep: number): TreeNode {
  assert(node.count === TREE_FANOUT, 'only a full tree node is split')
  assert(keep > 0 && keep < TREE_FANOUT, 'tree split must leave entries on both sides')
  const right = newTreeNode(node.leaf, numeric)
  const moved = TREE_FANOUT - keep
  copyEntries(node, keep, right, 0, moved)
  clearChildren(node, keep, TREE_FANOUT)
  node.count = keep
  right.count = moved
  if (node.leaf) {
    right.next = node.next
    if (node.next !== null) node.next.prev = right
    node.next = right
    right.prev = node
  }
  return right
}

/** Appends every entry of `right` to `left` (its left sibling); `right` is then unused. */
export function mergeNodes(left: TreeNode, right: TreeNode): void {
  assert(left.count + right.count <= TREE_FANOUT, 'merged tree node would overflow')
  copyEntries(right, 0, left, left.count, right.count)
  clearChildren(right, 0, right.count)
  left.count += right.count
  right.count = 0
  if (left.leaf) {
    left.next = right.next
    if (right.next !== null) right.next.prev = left
    right.next = null
    right.prev = null
  }
}

/** Moves entries between two siblings so that their counts differ by at most one. */
export function balanceNodes(left: TreeNode, right: TreeNode): void {
  const total = left.count + right.count
  const leftTarget = total >>> 1
  if (left.count < leftTarget) {
    const n = leftTarget - left.count
    copyEntries(right, 0, left, left.count, n)
    shiftLeft(right, n)
    left.count = leftTarget
  } else if (left.count > leftTarget) {
    const n = left.count - leftTarget
    shiftRight(right, n)
    copyEntries(left, leftTarget, right, 0, n)
    clearChildren(left, leftTarget, left.count)
    left.count = leftTarget
  }
  right.count = total - leftTarget
}

/** Drops the first `n` entries of a node (the caller fixes nothing else but the count). */
function shiftLeft(node: TreeNode, n: number): void {
  const count = node.count
  node.rids.copyWithin(0, n, count)
  if (node.nums.length !== 0) node.nums.copyWithin(0, n, count)
  if (!node.leaf) {
    node.children.copyWithin(0, n, count)
    node.children.fill(NIL_NODE, count - n, count)
  }
}

/** Opens `n` free slots at the front of a node. */
function shiftRight(node: TreeNode, n: number): void {
  const count = node.count
  assert(count + n <= TREE_FANOUT, 'tree node shift would overflow')
  node.rids.copyWithin(n, 0, count)
  if (node.nums.length !== 0) node.nums.copyWithin(n, 0, count)
  if (!node.leaf) node.children.copyWithin(n, 0, count)
}

import type { KeyReader, SearchKey } from './index-contract.js'
import type { TreeNode } from './tree-node.js'

/*
 * Binary searches inside one tree node. Each returns the first position whose entry passes a
 * test that is false for a prefix of the node and true after it (entries are in index order).
 * The numeric ones read only the node's cached numbers; the record ones ask the key reader.
 * They are separate functions, not one with a comparator argument, so every call site stays
 * monomorphic and no closure is made per search.
 */

/** First entry greater than (num, rid), or not less with `orEqual`. */
export function entryBoundNumeric(
  node: TreeNode,
  num: number,
  rid: number,
  orEqual: boolean,
): number {
  const nums = node.nums
  const rids = node.rids
  let lo = 0
  let hi = node.count
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const n = nums[mid] as number
    const r = rids[mid] as number
    if (n > num || (n === num && (r > rid || (orEqual && r === rid)))) hi = mid
    else lo = mid + 1
  }
  return lo
}

/** First entry greater than record `rid` (key, then rid), or not less with `orEqual`. */
export function entryBoundRecord(
  keys: KeyReader,
  node: TreeNode,
  rid: number,
  orEqual: boolean,
): number {
  const rids = node.rids
  let lo = 0
  let hi = node.count
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const r = rids[mid] as number
    let c = keys.compareRecords(r, rid)
    if (c === 0) c = r - rid
    if (c > 0 || (orEqual && c === 0)) hi = mid
    else lo = mid + 1
  }
  return lo
}

/** First entry whose number is greater than `num` (`strict`) or not less. */
export function keyBoundNumeric(node: TreeNode, num: number, strict: boolean): number {
  const nums = node.nums
  let lo = 0
  let hi = node.count
  if (strict) {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((nums[mid] as number) > num) hi = mid
      else lo = mid + 1
    }
  } else {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((nums[mid] as number) >= num) hi = mid
      else lo = mid + 1
    }
  }
  return lo
}

/** First entry whose record key is greater than `key` (`strict`) or not less. */
export function keyBoundRecord(
  keys: KeyReader,
  node: TreeNode,
  key: SearchKey,
  strict: boolean,
): number {
  const rids = node.rids
  let lo = 0
  let hi = node.count
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const c = keys.compareKeyToRecord(key, rids[mid] as number)
    if (c < 0 || (!strict && c === 0)) hi = mid
    else lo = mid + 1
  }
  return lo
}

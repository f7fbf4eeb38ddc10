/**
 * What the master core may read of its database. The runtime implements it over the engine;
 * tests implement it over arrays. Every call is a pure, synchronous read.
 */
import type { ChangeOp } from '../txn/change-set.js'

/** A position in the (classId, rid) order of a scan. */
export interface ScanKey {
  readonly classId: number
  readonly rid: number
}

export interface DatabaseView {
  /** The sequencer of the last committed write transaction. */
  getSequencer(): bigint
  /**
   * Insert ops (`[1, classId, oid, rid, values]`) of the current objects, in (classId, rid)
   * order, starting AT `from` (inclusive; null = the beginning), at most `maxObjects` of them.
   * `next` is the key of the first object not returned, or null when the scan is complete.
   */
  scan(
    from: ScanKey | null,
    maxObjects: number,
  ): { readonly ops: readonly ChangeOp[]; readonly next: ScanKey | null }
  /**
   * A rid bound of class `classId`: every object of the class stored now is at a rid below it.
   * A hot load takes it per class when it begins and scans only below it: objects created
   * later at or above it are forwarded with their change sets, so a load ends even while
   * writers keep inserting.
   */
  slotHighWater(classId: number): number
  /** The number of objects of class `classId` stored now (hot-load progress). */
  objectCount(classId: number): number
  /** The database memory size, sent to replicas on attach. */
  readonly memorySizeBytes: number
}

/** Orders scan keys: negative when `a` comes before `b`. */
export function compareScanKeys(a: ScanKey, b: ScanKey): number {
  return a.classId !== b.classId ? a.classId - b.classId : a.rid - b.rid
}

/**
 * The part of the in-memory engine the log needs: to rebuild a database on open (snapshot ops,
 * then change sets) and to read every object for a snapshot. The Engine implements it; the log
 * layer's own tests use a small model.
 */
import type { ChangeOp } from '../txn/change-set.js'

/** Where a scan resumes: the class and record slot after the last object returned. */
export interface ScanPosition {
  readonly classId: number
  readonly rid: number
}

export interface LogEngine {
  /** The dictionary, whose class shapes give the log's schema id (none: unchecked). */
  readonly dictionary?: { readonly classes: readonly { readonly shapeHash: string }[] }
  /** The sequencer: the seq of the last committed transaction (0 when none). */
  getSequencer(): bigint
  setSequencer(seq: bigint): void
  /** Up to `maxObjects` insert ops of the objects from `from` (null: the beginning) on. */
  scan(
    from: ScanPosition | null,
    maxObjects: number,
  ): { ops: ChangeOp[]; next: ScanPosition | null }
  /** Inserts objects of a snapshot, keeping their oids; no sequencer change, no hooks. */
  loadObjects(ops: readonly ChangeOp[]): void
  /** Applies a change set as one transaction; returns its seq, which becomes the sequencer. */
  applyChangeSet(bytes: Uint8Array, options: { notifyHooks?: boolean }): bigint
}

/**
 * The part of the database engine (src/txn/engine.ts) that replication uses, and the
 * DatabaseView the MasterCore reads through it. Replication needs only these calls, so a
 * `Database` (whose `engine` has them) can be handed to `HaMaster.start` and
 * `HaReplica.attach` as it is.
 */
import type { ChangeOp } from '../txn/change-set.js'
import type { CommitHook } from '../txn/commit-hook.js'
import type { DatabaseView, ScanKey } from '../ha/database-view.js'
import type { Dictionary } from '../schema/dictionary.js'
import type { ClassInfo } from '../ha/messages.js'

export interface HaEngine {
  readonly dictionary: Dictionary
  getSequencer(): bigint
  /** Adds a commit hook; returns the function that removes it. */
  addHook(hook: CommitHook): () => void
  scan(
    from: ScanKey | null,
    maxObjects: number,
  ): { readonly ops: readonly ChangeOp[]; readonly next: ScanKey | null }
  slotHighWater(classId: number): number
  objectCount(classId: number): number
  applyChangeSet(
    bytes: Uint8Array,
    options?: { isLocal?: (classId: number) => boolean; notifyHooks?: boolean },
  ): unknown
  loadObjects(ops: readonly ChangeOp[], isLocal?: (classId: number) => boolean): unknown
  clear(): unknown
  setSequencer(seq: bigint): unknown
  extend(bytes: number): unknown
  readonly memory: { readonly sizeBytes: number }
}

/** What HaMaster and HaReplica take: a database (`Database.open(...)`) with its engine. */
export interface HaDatabase {
  readonly engine: HaEngine
  /** The database name a replica announces (default: the dictionary's). */
  readonly name?: string
}

/** The dictionary's classes as the attach handshake describes them. */
export function classInfos(dictionary: Dictionary): ClassInfo[] {
  return dictionary.classes.map((c) => ({ id: c.id, shapeHash: c.shapeHash, local: c.local }))
}

/** The MasterCore's read-only view of the engine. */
export function engineView(engine: HaEngine): DatabaseView {
  return {
    getSequencer: () => engine.getSequencer(),
    scan: (from, maxObjects) => engine.scan(from, maxObjects),
    slotHighWater: (classId) => engine.slotHighWater(classId),
    objectCount: (classId) => engine.objectCount(classId),
    get memorySizeBytes() {
      return engine.memory.sizeBytes
    },
  }
}

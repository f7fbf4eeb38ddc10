// A small in-memory model of the engine for the log layer's own tests: objects by oid, a
// sequencer, change sets applied op by op, scan in (classId, oid) order, and a content hash.
// Helpers make commits the way the Engine hands them to its hooks.
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { ChangeOp } from '../../../src/txn/change-set.js'
import { decodeChangeSet, encodeChangeSet } from '../../../src/txn/change-set.js'
import type { CommitPolicy } from '../../../src/txn/commit-hook.js'
import type { LogEngine, ScanPosition } from '../../../src/log/log-engine.js'
import type { TransactionLog } from '../../../src/log/transaction-log.js'
import { seededRandom as prng } from '../../../src/util/prng.js'

interface StoredObject {
  classId: number
  oid: number
  rid: number
  values: readonly unknown[]
}

export class ModelEngine implements LogEngine {
  readonly objects = new Map<number, StoredObject>()
  sequencer = 0n

  getSequencer(): bigint {
    return this.sequencer
  }

  setSequencer(seq: bigint): void {
    this.sequencer = seq
  }

  scan(from: ScanPosition | null, maxObjects: number) {
    const sorted = [...this.objects.values()].sort((a, b) => a.classId - b.classId || a.rid - b.rid)
    const start = from === null ? 0 : sorted.findIndex(
      (o) => o.classId > from.classId || (o.classId === from.classId && o.rid >= from.rid),
    )
    const slice = start < 0 ? [] : sorted.slice(start, start + maxObjects)
    const ops: ChangeOp[] = slice.map((o) => [1, o.classId, o.oid, o.rid, o.values])
    const after = start < 0 ? undefined : sorted[start + maxObjects]
    const next = after === undefined ? null : { classId: after.classId, rid: after.rid }
    return { ops, next }
  }

  loadObjects(ops: readonly ChangeOp[]): void {
    for (const op of ops) this.applyOp(op)
  }

  applyChangeSet(bytes: Uint8Array): bigint {
    const changeSet = decodeChangeSet(bytes)
    for (const op of changeSet.ops) this.applyOp(op)
    this.sequencer = changeSet.seq
    return changeSet.seq
  }

  applyOp(op: ChangeOp): void {
    if (op[0] === 3) this.objects.delete(op[2])
    else this.objects.set(op[2], { classId: op[1], oid: op[2], rid: op[3], values: op[4] })
  }

  contentHash(): string {
    const hash = createHash('sha256')
    const sorted = [...this.objects.values()].sort((a, b) => a.oid - b.oid)
    for (const o of sorted) hash.update(JSON.stringify([o.classId, o.oid, o.rid, o.values]))
    return hash.digest('hex')
  }
}

export { prng }

/** Applies `ops` as the next commit of `engine` and hands it to the log; returns its seq. */
export function commit(
  engine: ModelEngine,
  log: TransactionLog,
  ops: readonly ChangeOp[],
  policy: CommitPolicy = 'sync-flush',
): bigint {
  const seq = engine.sequencer + 1n
  const changeSet = encodeChangeSet({ seq, ops })
  for (const op of ops) engine.applyOp(op)
  engine.sequencer = seq
  log.onCommit({ seq, changeSet, hasLocal: false, origin: 'local', policy })
  return seq
}

/** The ops of commit number `n` of a deterministic workload: insert, update or delete. */
export function workloadOps(n: number, random: () => number = prng(n)): ChangeOp[] {
  const oid = 1 + Math.floor(random() * 50)
  const roll = random()
  if (roll < 0.15) return [[3, 1, oid, oid]]
  const kind = roll < 0.55 ? 1 : 2
  return [[kind, 1 + (oid % 3), oid, oid, [n, `value ${n}`, random() < 0.5]]]
}

/** A fresh temporary directory, and a function that removes it. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tandemdb-${prefix}-`))
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) }
}

/**
 * The change set of a commit: its redo record. Inserts, updates and deletes, each tagged with
 * its class id so that replication can drop `local` classes without knowing the schema. The
 * same encoded bytes go to the log and to replicas; applying the change sets of a database in
 * order to an empty database with the same dictionary reproduces it exactly.
 */
import { Packr } from 'msgpackr'
import { ProtocolError } from '../errors.js'
import { assert } from '../util/assert.js'

export const OpKind = { insert: 1, update: 2, delete: 3 } as const
export type OpKind = (typeof OpKind)[keyof typeof OpKind]

/**
 * One operation. `rid` is the record slot on the database that produced it: it orders the
 * objects of a class for a scan (hot sync and snapshots); a database applying the op ignores it.
 * `values` holds every field in dictionary order (insert, update); a delete has none.
 */
export type ChangeOp =
  | readonly [kind: 1 | 2, classId: number, oid: number, rid: number, values: readonly unknown[]]
  | readonly [kind: 3, classId: number, oid: number, rid: number]

export interface ChangeSet {
  readonly seq: bigint
  readonly ops: readonly ChangeOp[]
}

// One shared encoder: records (no structure sharing across messages, so every change set
// decodes on its own), 64-bit integers as bigint.
const packr = new Packr({ useRecords: false, int64AsType: 'bigint', moreTypes: false })

export function encodeChangeSet(changeSet: ChangeSet): Uint8Array {
  assert(changeSet.seq >= 0n, 'change set seq is negative')
  return packr.pack([changeSet.seq, changeSet.ops])
}

/** Decodes a change set; a malformed one is a ProtocolError, never half a change set. */
export function decodeChangeSet(bytes: Uint8Array): ChangeSet {
  let decoded: unknown
  try {
    decoded = packr.unpack(bytes)
  } catch (cause) {
    throw new ProtocolError('TDB_FRAME_MALFORMED', 'change set does not decode', {}, { cause })
  }
  if (!Array.isArray(decoded) || decoded.length !== 2 || !Array.isArray(decoded[1])) {
    throw new ProtocolError('TDB_FRAME_MALFORMED', 'change set has the wrong shape')
  }
  const seq = decoded[0]
  const seqValue = typeof seq === 'bigint' ? seq : typeof seq === 'number' ? BigInt(seq) : -1n
  if (seqValue < 0n) throw new ProtocolError('TDB_FRAME_MALFORMED', 'change set seq is invalid')
  for (const op of decoded[1] as unknown[]) validateOp(op)
  return { seq: seqValue, ops: decoded[1] as ChangeOp[] }
}

function validateOp(op: unknown): void {
  const ok =
    Array.isArray(op) &&
    ((op.length === 5 && (op[0] === 1 || op[0] === 2) && Array.isArray(op[4])) ||
      (op.length === 4 && op[0] === 3)) &&
    Number.isSafeInteger(op[1]) &&
    Number.isSafeInteger(op[2]) &&
    Number.isSafeInteger(op[3])
  if (!ok) throw new ProtocolError('TDB_FRAME_MALFORMED', 'change set op has the wrong shape')
}

/**
 * The change set without the ops of classes for which `isLocal(classId)` holds, re-encoded;
 * the same bytes when nothing is dropped.
 */
export function filterChangeSet(
  bytes: Uint8Array,
  isLocal: (classId: number) => boolean,
): Uint8Array {
  const changeSet = decodeChangeSet(bytes)
  const ops = changeSet.ops.filter((op) => !isLocal(op[1]))
  if (ops.length === changeSet.ops.length) return bytes
  return encodeChangeSet({ seq: changeSet.seq, ops })
}

/**
 * Names of the files in a log directory: segments `log-<first seq>.tlog` and snapshots
 * `snap-<seq>.tsnap`, the seq zero-padded to 20 digits so that names sort like seqs. Files
 * being written carry a `.tmp` suffix until they are complete.
 */
import { assert } from '../util/assert.js'

const SEQ_DIGITS = 20
const SEGMENT_PATTERN = /^log-(\d{20})\.tlog$/
const SNAPSHOT_PATTERN = /^snap-(\d{20})\.tsnap$/
export const TEMP_SUFFIX = '.tmp'

function paddedSeq(seq: bigint): string {
  assert(seq >= 0n && seq < 1n << 64n, 'file seq out of range')
  return seq.toString().padStart(SEQ_DIGITS, '0')
}

export function segmentName(firstSeq: bigint): string {
  return `log-${paddedSeq(firstSeq)}.tlog`
}

export function snapshotName(seq: bigint): string {
  return `snap-${paddedSeq(seq)}.tsnap`
}

/** A file of the log directory, by what its name says. */
export interface LogDirEntry {
  readonly name: string
  readonly seq: bigint
}

/** The segments and snapshots among `names`, each sorted by seq; other names are left out. */
export function classifyLogDir(names: readonly string[]): {
  segments: LogDirEntry[]
  snapshots: LogDirEntry[]
  temporary: string[]
} {
  const segments: LogDirEntry[] = []
  const snapshots: LogDirEntry[] = []
  const temporary: string[] = []
  for (const name of names) {
    const segment = SEGMENT_PATTERN.exec(name)
    const snapshot = SNAPSHOT_PATTERN.exec(name)
    if (segment) segments.push({ name, seq: BigInt(segment[1]!) })
    else if (snapshot) snapshots.push({ name, seq: BigInt(snapshot[1]!) })
    else if (name.endsWith(TEMP_SUFFIX) && (name.startsWith('log-') || name.startsWith('snap-'))) {
      temporary.push(name)
    }
  }
  const bySeq = (a: LogDirEntry, b: LogDirEntry): number =>
    a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0
  return { segments: segments.sort(bySeq), snapshots: snapshots.sort(bySeq), temporary }
}

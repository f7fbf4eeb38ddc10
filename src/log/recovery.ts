/**
 * Opening a log directory: rebuild the database from the newest valid snapshot plus the valid
 * records after it (DESIGN.md "Commit policies and the log").
 *
 * - A snapshot that fails its checks is passed over (with a warning) for an older one.
 * - Records must follow the snapshot seq by seq. A gap is corruption: it would silently drop
 *   commits.
 * - A bad record (cut short, checksum mismatch, out-of-order seq) is a torn tail when it is in
 *   the last segment and no valid record follows it: the file is cut there and a warning says
 *   where and how many bytes went. Anywhere else it is TDB_LOG_CORRUPT naming file and offset,
 *   and the database does not open. Wrong data is never returned.
 */
import { LogError, TandemError } from '../errors.js'
import { assert } from '../util/assert.js'
import type { DecodedRecord } from './frame.js'
import {
  decodeSegmentHeader,
  findRecordAfter,
  readRecordAt,
  SEGMENT_HEADER_BYTES,
} from './frame.js'
import type { LogDevice } from './log-device.js'
import { logPath } from './log-device.js'
import type { LogEngine } from './log-engine.js'
import type { LogDirEntry } from './log-files.js'
import { classifyLogDir, snapshotName } from './log-files.js'
import type { LogWarning } from './log-warning.js'
import { parseSnapshot, type LoadedSnapshot } from './snapshot.js'

/** Where the writer continues after recovery. */
export interface RecoveredLog {
  /** The seq of the last record recovered (or of the snapshot when no record follows it). */
  readonly lastSeq: bigint
  readonly snapshotSeq: bigint
  /** The last segment, to append to, or null when a new one must be created. */
  readonly tail: { readonly entry: LogDirEntry; readonly validEnd: number } | null
  /** The segments before the tail that hold records after the snapshot (not deletable yet). */
  readonly olderSegments: readonly LogDirEntry[]
  /** The bytes of the records recovered after the snapshot (they count toward a checkpoint). */
  readonly recordBytes: number
}

interface RecoveryContext {
  readonly dir: string
  readonly device: LogDevice
  readonly warn: (warning: LogWarning) => void
  /** The schema id of the database being opened (0n: unchecked). */
  readonly schemaId: bigint
}

/** Rebuilds `engine` (empty, sequencer 0) from the log directory. */
export function recoverLog(engine: LogEngine, context: RecoveryContext): RecoveredLog {
  const { dir, device } = context
  device.makeDirSync(dir)
  const listing = classifyLogDir(device.listSync(dir))
  for (const name of listing.temporary) device.unlinkSync(logPath(dir, name))
  const snapshot = loadNewestSnapshot(listing.snapshots, context)
  const snapshotSeq = snapshot?.seq ?? 0n
  const { needed, covered } = splitSegments(listing.segments, snapshotSeq)
  const read = readSegments(needed, snapshotSeq, context)
  // Everything is checked before the engine is touched: a refused open applies nothing.
  if (snapshot !== null) {
    const file = logPath(dir, snapshotName(snapshot.seq))
    for (const batch of snapshot.batches) {
      applyOrRefuse(() => engine.loadObjects(batch), `snapshot ${file}`, file, 0)
    }
    engine.setSequencer(snapshot.seq)
  }
  let recordBytes = 0
  for (const { entry, record, offset } of read.records) {
    const file = logPath(dir, entry.name)
    const seq = applyOrRefuse(
      () => engine.applyChangeSet(record.payload, { notifyHooks: false }),
      `the record at offset ${offset} of ${file}`,
      file,
      offset,
    )
    assert(seq === record.seq, `log record ${record.seq} applied as seq ${seq}`)
    recordBytes += record.end - offset
  }
  assert(engine.getSequencer() === read.lastSeq, 'recovery ended at the wrong seq')
  removeFiles(context, [
    ...covered.map((entry) => entry.name),
    ...listing.snapshots.filter((entry) => entry.seq < snapshotSeq).map((entry) => entry.name),
  ])
  return {
    lastSeq: read.lastSeq,
    snapshotSeq,
    tail: read.tail,
    olderSegments: read.olderSegments,
    recordBytes,
  }
}

function loadNewestSnapshot(
  snapshots: readonly LogDirEntry[],
  context: RecoveryContext,
): LoadedSnapshot | null {
  for (let i = snapshots.length - 1; i >= 0; i--) {
    const entry = snapshots[i]!
    const file = logPath(context.dir, entry.name)
    try {
      const loaded = parseSnapshot(file, context.device.readFileSync(file))
      if (loaded.seq !== entry.seq) {
        throw new LogError('TDB_LOG_CORRUPT', `snapshot ${file} holds seq ${loaded.seq}`, { file })
      }
      checkSchema(context, file, loaded.schemaId)
      return loaded
    } catch (error) {
      if (!(error instanceof LogError) || error.code !== 'TDB_LOG_CORRUPT') throw error
      context.warn({ code: 'TDB_LOG_SNAPSHOT_INVALID', message: error.message, file })
    }
  }
  return null
}

/**
 * The segments recovery must read (from the one holding seq snapshotSeq + 1 on) and those the
 * snapshot covers entirely (every record <= snapshotSeq, because the next segment starts at or
 * before snapshotSeq + 1).
 */
function splitSegments(segments: readonly LogDirEntry[], snapshotSeq: bigint) {
  let start = 0
  while (start + 1 < segments.length && segments[start + 1]!.seq <= snapshotSeq + 1n) start++
  return { needed: segments.slice(start), covered: segments.slice(0, start) }
}

interface ReadRecord {
  readonly entry: LogDirEntry
  readonly record: DecodedRecord
  readonly offset: number
}

interface ReadResult {
  readonly records: ReadRecord[]
  readonly lastSeq: bigint
  readonly tail: RecoveredLog['tail']
  readonly olderSegments: LogDirEntry[]
}

function readSegments(
  segments: readonly LogDirEntry[],
  snapshotSeq: bigint,
  context: RecoveryContext,
): ReadResult {
  const records: ReadRecord[] = []
  let lastSeq = snapshotSeq
  let tail: RecoveredLog['tail'] = null
  for (let i = 0; i < segments.length; i++) {
    const entry = segments[i]!
    const isLast = i === segments.length - 1
    const bytes = context.device.readFileSync(logPath(context.dir, entry.name))
    const scan = scanSegment(entry, bytes, lastSeq, context)
    if (scan.kind === 'dropped' || scan.kind === 'torn') {
      if (!isLast) throw corrupt(context.dir, entry.name, scan.offset, 'bad record before the end')
      cutTail(context, entry, bytes, scan)
    }
    for (const item of scan.records) records.push({ entry, ...item })
    lastSeq = scan.lastSeq
    // Appending continues in the last segment only when its records end where the recovered
    // history ends (not when a newer snapshot covers past them: that seq would leave a gap).
    if (isLast && scan.kind !== 'dropped' && scan.lastRecordSeq === lastSeq) {
      tail = { entry, validEnd: scan.validEnd }
    }
  }
  const olderSegments = segments.filter((entry) => entry !== tail?.entry)
  return { records, lastSeq, tail, olderSegments }
}

type SegmentScan = {
  readonly records: { record: DecodedRecord; offset: number }[]
  readonly lastSeq: bigint
  /** The seq of the segment's last valid record, or first seq - 1 when it holds none. */
  readonly lastRecordSeq: bigint
  readonly validEnd: number
} & (
  | { readonly kind: 'clean' }
  /** A bad record at `offset` with nothing valid after it. */
  | { readonly kind: 'torn'; readonly offset: number }
  /** The header is bad and nothing valid follows: the whole file is a torn creation. */
  | { readonly kind: 'dropped'; readonly offset: 0 }
)

/** Reads one segment's records after `afterSeq`; throws when valid records follow a bad one. */
function scanSegment(
  entry: LogDirEntry,
  bytes: Uint8Array,
  afterSeq: bigint,
  context: RecoveryContext,
) {
  const dir = context.dir
  const records: { record: DecodedRecord; offset: number }[] = []
  const header = decodeSegmentHeader(bytes)
  if (header === null || header.firstSeq !== entry.seq) {
    if (findRecordAfter(bytes, 0, afterSeq) >= 0) {
      throw corrupt(dir, entry.name, 0, 'bad segment header')
    }
    const scan: SegmentScan = {
      kind: 'dropped',
      offset: 0,
      records,
      lastSeq: afterSeq,
      lastRecordSeq: -1n,
      validEnd: 0,
    }
    return scan
  }
  checkSchema(context, logPath(dir, entry.name), header.schemaId)
  const firstSeq = header.firstSeq
  if (firstSeq > afterSeq + 1n) {
    const what = `segment starts at seq ${firstSeq}, expected ${afterSeq + 1n}`
    throw corrupt(dir, entry.name, 0, what)
  }
  let offset = SEGMENT_HEADER_BYTES
  let lastSeq = afterSeq
  let expected = firstSeq
  for (;;) {
    const at = readRecordAt(bytes, offset)
    if (at.kind === 'end') break
    if (at.kind === 'bad' || at.record.seq !== expected) {
      if (findRecordAfter(bytes, offset, lastSeq) >= 0) {
        throw corrupt(dir, entry.name, offset, 'bad record before valid ones')
      }
      const lastRecordSeq = expected - 1n
      const scan: SegmentScan = {
        kind: 'torn',
        offset,
        records,
        lastSeq,
        lastRecordSeq,
        validEnd: offset,
      }
      return scan
    }
    if (at.record.seq > afterSeq) {
      records.push({ record: at.record, offset })
      lastSeq = at.record.seq
    }
    expected = at.record.seq + 1n
    offset = at.record.end
  }
  const lastRecordSeq = expected - 1n
  const scan: SegmentScan = { kind: 'clean', records, lastSeq, lastRecordSeq, validEnd: offset }
  return scan
}

/** Cuts a torn tail (or drops a torn segment file) and says so. */
function cutTail(
  context: RecoveryContext,
  entry: LogDirEntry,
  bytes: Uint8Array,
  scan: SegmentScan & { offset: number },
): void {
  const file = logPath(context.dir, entry.name)
  let written = bytes.length
  while (written > scan.offset && bytes[written - 1] === 0) written--
  const bytesDropped = written - scan.offset
  try {
    if (scan.kind === 'dropped') {
      context.device.unlinkSync(file)
    } else {
      const handle = context.device.openSync(file)
      try {
        handle.truncateSync(scan.offset)
        handle.datasyncSync()
      } finally {
        handle.closeSync()
      }
    }
    context.device.syncDirSync(context.dir)
  } catch (error) {
    throw ioError(`cutting the torn tail of ${file}`, file, error)
  }
  const what = scan.kind === 'dropped' ? 'removed the torn segment' : 'cut the torn log tail'
  context.warn({
    code: 'TDB_LOG_TAIL_TRUNCATED',
    message: `${what} ${file} at offset ${scan.offset}: ${bytesDropped} bytes dropped`,
    file,
    offset: scan.offset,
    bytesDropped,
  })
}

/**
 * Runs one step of rebuilding the engine. A change set that passed its checksum but does not
 * decode, or does not fit the database (an unknown class, an oid that is not there: a log
 * written with another dictionary), refuses the open with TDB_LOG_CORRUPT naming the place.
 * Other errors (too little memory, say) pass through.
 */
function applyOrRefuse<T>(step: () => T, what: string, file: string, offset: number): T {
  try {
    return step()
  } catch (error) {
    const refused =
      error instanceof TandemError &&
      (error.code === 'TDB_FRAME_MALFORMED' || error.code === 'TDB_PROTOCOL')
    if (!refused) throw error
    const message = `${what} does not apply to this database: ${error.message}`
    throw new LogError('TDB_LOG_CORRUPT', message, { file, offset }, { cause: error })
  }
}

function removeFiles(context: RecoveryContext, names: readonly string[]): void {
  if (names.length === 0) return
  try {
    for (const name of names) context.device.unlinkSync(logPath(context.dir, name))
    context.device.syncDirSync(context.dir)
  } catch (error) {
    throw ioError(`removing files covered by the snapshot in ${context.dir}`, context.dir, error)
  }
}

/** Refuses a file written with another dictionary than the database's. */
function checkSchema(context: RecoveryContext, file: string, schemaId: bigint): void {
  if (schemaId === 0n || context.schemaId === 0n || schemaId === context.schemaId) return
  const message =
    `${file} was written with another schema (id ${schemaId.toString(16)}, this ` +
    `database ${context.schemaId.toString(16)}): open it with the dictionary that wrote it`
  const details = { file, schemaId, expected: context.schemaId }
  throw new LogError('TDB_DICTIONARY_MISMATCH', message, details)
}

function corrupt(dir: string, name: string, offset: number, what: string): LogError {
  const file = logPath(dir, name)
  return new LogError('TDB_LOG_CORRUPT', `log ${file} is corrupt at offset ${offset}: ${what}`, {
    file,
    offset,
  })
}

/** A LogError TDB_LOG_IO for a failed file-system call, with the OS error in the message. */
export function ioError(doing: string, file: string, error: unknown): LogError {
  const osCode = (error as { code?: unknown })?.code
  const reason = error instanceof Error ? error.message : String(error)
  return new LogError('TDB_LOG_IO', `the disk refused ${doing}: ${reason}`, { file, osCode }, {
    cause: error,
  })
}

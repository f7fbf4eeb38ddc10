/**
 * One open segment file being appended to. A new segment is created complete (header plus a
 * zero-filled first chunk) under a temporary name, fsynced and renamed, so a segment file with
 * a final name always has a valid header. The file grows by zero-filled chunks ahead of the
 * records: an fdatasync after an append into space that is already allocated and written
 * needs no metadata update, which keeps each flush one device write.
 */
import { assert } from '../util/assert.js'
import { encodeSegmentHeader, SEGMENT_HEADER_BYTES } from './frame.js'
import type { LogDevice, LogFile } from './log-device.js'
import { logPath } from './log-device.js'
import type { LogDirEntry } from './log-files.js'
import { segmentName, TEMP_SUFFIX } from './log-files.js'

let zeroChunk = new Uint8Array(0)

function zeros(bytes: number): Uint8Array {
  if (zeroChunk.length < bytes) zeroChunk = new Uint8Array(bytes)
  return zeroChunk.subarray(0, bytes)
}

export class LogSegment {
  readonly entry: LogDirEntry
  readonly file: LogFile
  readonly #preallocateBytes: number
  #position: number
  #allocatedEnd: number

  private constructor(entry: LogDirEntry, file: LogFile, position: number, preallocate: number) {
    this.entry = entry
    this.file = file
    this.#position = position
    this.#allocatedEnd = file.sizeSync()
    this.#preallocateBytes = preallocate
    assert(position >= SEGMENT_HEADER_BYTES, 'segment position inside the header')
    assert(position <= this.#allocatedEnd, 'segment position past the end of the file')
  }

  /** Creates the segment whose first record will be `firstSeq` (temp name, fsync, rename). */
  static create(
    dir: string,
    device: LogDevice,
    firstSeq: bigint,
    preallocateBytes: number,
    schemaId: bigint,
  ) {
    const entry = { name: segmentName(firstSeq), seq: firstSeq }
    const target = logPath(dir, entry.name)
    const temporary = target + TEMP_SUFFIX
    const file = device.createSync(temporary)
    try {
      file.writeSync(encodeSegmentHeader(firstSeq, schemaId), 0)
      const fill = Math.max(0, preallocateBytes - SEGMENT_HEADER_BYTES)
      if (fill > 0) file.writeSync(zeros(fill), SEGMENT_HEADER_BYTES)
      file.datasyncSync()
      device.renameSync(temporary, target)
      device.syncDirSync(dir)
    } catch (error) {
      file.closeSync()
      throw error
    }
    return new LogSegment(entry, file, SEGMENT_HEADER_BYTES, preallocateBytes)
  }

  /** Opens an existing segment to append after its last valid record at `validEnd`. */
  static open(dir: string, device: LogDevice, entry: LogDirEntry, validEnd: number, pre: number) {
    return new LogSegment(entry, device.openSync(logPath(dir, entry.name)), validEnd, pre)
  }

  /** The offset the next record goes to. */
  get position(): number {
    return this.#position
  }

  /** True when the segment holds no record yet. */
  get isEmpty(): boolean {
    return this.#position === SEGMENT_HEADER_BYTES
  }

  /** Writes `bytes` (whole records) at the end, growing the zero-filled space when needed. */
  append(bytes: Uint8Array): void {
    assert(bytes.length > 0, 'empty append')
    const end = this.#position + bytes.length
    if (end > this.#allocatedEnd && this.#preallocateBytes > 0) {
      const chunks = Math.ceil((end - this.#allocatedEnd) / this.#preallocateBytes)
      const allocatedEnd = this.#allocatedEnd + chunks * this.#preallocateBytes
      this.file.writeSync(zeros(allocatedEnd - end), end)
      this.#allocatedEnd = allocatedEnd
    }
    this.file.writeSync(bytes, this.#position)
    this.#position = end
    this.#allocatedEnd = Math.max(this.#allocatedEnd, end)
  }
}

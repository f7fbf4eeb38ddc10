// Checks recovery from damaged logs (DESIGN.md "Commit policies and the log": a torn or corrupt
// tail is cut at the last valid record and said so; nothing before it is lost; a bad record
// with valid records after it refuses the open). A small log is cut at every byte position
// and has every byte flipped; each open must recover exactly the records before the damage
// (with a TDB_LOG_TAIL_TRUNCATED warning when bytes were dropped) or refuse with
// TDB_LOG_CORRUPT naming the file and offset, and the content must equal the expected prefix.
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LogError } from '../../../src/errors.js'
import { TransactionLog } from '../../../src/log/transaction-log.js'
import type { LogWarning } from '../../../src/log/log-warning.js'
import {
  encodeRecordInto,
  encodeSegmentHeader,
  RECORD_HEADER_BYTES,
  SEGMENT_HEADER_BYTES,
} from '../../../src/log/frame.js'
import { commit, ModelEngine, tempDir, workloadOps } from './model-engine.js'

const RECORDS = 8
const SEGMENT = 'log-00000000000000000001.tlog'
let workDir: { dir: string; remove: () => void }
/** prefixHashes[k]: the content hash after the first k commits. */
const prefixHashes: string[] = []
/** recordEnds[i]: the offset just past record i in the segment. */
const recordEnds: number[] = []
let segmentBytes: Uint8Array

beforeAll(async () => {
  workDir = tempDir('log-torn')
  const source = path.join(workDir.dir, 'source')
  const engine = new ModelEngine()
  const log = TransactionLog.open(engine, { dir: source, preallocateBytes: 0 })
  prefixHashes.push(engine.contentHash())
  let end = SEGMENT_HEADER_BYTES
  for (let i = 0; i < RECORDS; i++) {
    const ops = workloadOps(i)
    commit(engine, log, ops)
    prefixHashes.push(engine.contentHash())
  }
  await log.close()
  segmentBytes = fs.readFileSync(path.join(source, SEGMENT))
  const view = new DataView(segmentBytes.buffer, segmentBytes.byteOffset)
  for (let i = 0; i < RECORDS; i++) {
    end += RECORD_HEADER_BYTES + view.getUint32(end, true)
    recordEnds.push(end)
  }
  expect(end).toBe(segmentBytes.length)
})

afterAll(() => workDir.remove())

type Outcome =
  | { kind: 'recovered'; records: number; warnings: LogWarning[] }
  | { kind: 'refused'; error: LogError }

/** Opens a log directory holding `bytes` as its only segment. */
async function openWith(bytes: Uint8Array): Promise<Outcome> {
  const dir = path.join(workDir.dir, 'case')
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir)
  fs.writeFileSync(path.join(dir, SEGMENT), bytes)
  const engine = new ModelEngine()
  const warnings: LogWarning[] = []
  let log: TransactionLog
  try {
    const onWarning = (warning: LogWarning) => warnings.push(warning)
    log = TransactionLog.open(engine, { dir, preallocateBytes: 0, onWarning })
  } catch (error) {
    if (error instanceof LogError && error.code === 'TDB_LOG_CORRUPT') {
      return { kind: 'refused', error }
    }
    throw error
  }
  await log.close()
  const records = Number(engine.sequencer)
  // Never wrong data: the content is exactly that of the first `records` commits.
  expect(engine.contentHash()).toBe(prefixHashes[records])
  return { kind: 'recovered', records, warnings }
}

/** The number of whole records before byte `offset`. */
function recordsBefore(offset: number): number {
  return recordEnds.filter((end) => end <= offset).length
}

describe('torn and corrupt logs (DESIGN.md "Commit policies and the log")', () => {
  it('keeps the records before a cut at every byte position, saying what was dropped', async () => {
    for (let cut = 0; cut <= segmentBytes.length; cut++) {
      const outcome = await openWith(segmentBytes.subarray(0, cut))
      expect(outcome.kind, `cut at ${cut}`).toBe('recovered')
      if (outcome.kind !== 'recovered') continue
      expect(outcome.records, `cut at ${cut}`).toBe(recordsBefore(cut))
      const atBoundary = cut === SEGMENT_HEADER_BYTES || recordEnds.includes(cut)
      if (atBoundary) {
        expect(outcome.warnings, `cut at ${cut}`).toEqual([])
      } else {
        const warning = outcome.warnings[0]
        expect(warning?.code, `cut at ${cut}`).toBe('TDB_LOG_TAIL_TRUNCATED')
        if (warning?.code !== 'TDB_LOG_TAIL_TRUNCATED') continue
        const lastEnd = recordEnds[recordsBefore(cut) - 1] ?? SEGMENT_HEADER_BYTES
        const validEnd = cut < SEGMENT_HEADER_BYTES ? 0 : lastEnd
        expect(warning.offset).toBe(validEnd)
        expect(warning.file.endsWith(SEGMENT)).toBe(true)
        expect(warning.message).toMatch(/bytes dropped/)
      }
    }
  })

  it('recovers a prefix or refuses, never wrong data, for a flip at every position', async () => {
    let refused = 0
    for (let at = 0; at < segmentBytes.length; at++) {
      const damaged = Uint8Array.from(segmentBytes)
      damaged[at]! ^= 0xff
      const outcome = await openWith(damaged)
      const damagedRecord = recordsBefore(at)
      if (outcome.kind === 'refused') {
        refused++
        // Only damage with valid records after it refuses; the error names file and offset.
        expect(damagedRecord, `flip at ${at}`).toBeLessThan(RECORDS - 1)
        expect(outcome.error.details.file).toMatch(new RegExp(`${SEGMENT}$`))
        expect(typeof outcome.error.details.offset).toBe('number')
        expect(outcome.error.message).toContain(SEGMENT)
      } else {
        // A tail record damaged: everything before it is kept, and the cut is reported.
        expect(damagedRecord, `flip at ${at}`).toBe(RECORDS - 1)
        expect(outcome.records, `flip at ${at}`).toBe(RECORDS - 1)
        expect(outcome.warnings.map((w) => w.code)).toEqual(['TDB_LOG_TAIL_TRUNCATED'])
      }
    }
    expect(refused).toBeGreaterThan(0)
  })

  it('treats flipped bytes in preallocated space after the records as a torn tail', async () => {
    const padded = new Uint8Array(segmentBytes.length + 64)
    padded.set(segmentBytes)
    for (const at of [segmentBytes.length, segmentBytes.length + 20, padded.length - 1]) {
      const damaged = Uint8Array.from(padded)
      damaged[at] = 0x5a
      const outcome = await openWith(damaged)
      expect(outcome.kind).toBe('recovered')
      if (outcome.kind !== 'recovered') continue
      expect(outcome.records).toBe(RECORDS)
      expect(outcome.warnings[0]).toMatchObject({
        code: 'TDB_LOG_TAIL_TRUNCATED',
        offset: segmentBytes.length,
        bytesDropped: at - segmentBytes.length + 1,
      })
    }
    const clean = await openWith(padded)
    expect(clean).toMatchObject({ kind: 'recovered', records: RECORDS, warnings: [] })
  })

  it('refuses a log whose next segment does not continue the previous one (a gap)', () => {
    const dir = path.join(workDir.dir, 'gap')
    fs.mkdirSync(dir)
    fs.writeFileSync(path.join(dir, SEGMENT), segmentBytes.subarray(0, recordEnds[2]))
    fs.writeFileSync(path.join(dir, 'log-00000000000000000009.tlog'), encodeSegmentHeader(9n))
    expect(() => TransactionLog.open(new ModelEngine(), { dir })).toThrow(
      /log-00000000000000000009\.tlog is corrupt at offset 0: segment starts at seq 9, expected 4/,
    )
  })
})

describe('records that pass their checksum but do not apply', () => {
  it('refuse the open with TDB_LOG_CORRUPT naming file and offset', () => {
    const dir = path.join(workDir.dir, 'not-a-change-set')
    fs.mkdirSync(dir)
    const record = new Uint8Array(RECORD_HEADER_BYTES + 3)
    encodeRecordInto(record, new DataView(record.buffer), 0, 1n, Uint8Array.of(0xc1, 0xc1, 0xc1))
    const segment = new Uint8Array(SEGMENT_HEADER_BYTES + record.length)
    segment.set(encodeSegmentHeader(1n))
    segment.set(record, SEGMENT_HEADER_BYTES)
    fs.writeFileSync(path.join(dir, SEGMENT), segment)
    expect(() => TransactionLog.open(new ModelEngine(), { dir })).toThrow(
      expect.objectContaining({
        code: 'TDB_LOG_CORRUPT',
        details: expect.objectContaining({ offset: SEGMENT_HEADER_BYTES }),
        message: expect.stringContaining('does not apply'),
      }),
    )
  })
})

describe('damaged snapshots (DESIGN.md "Commit policies and the log")', () => {
  it('refuses (never wrong data) for a flipped byte anywhere in the only snapshot', async () => {
    const dir = path.join(workDir.dir, 'snap')
    const engine = new ModelEngine()
    const log = TransactionLog.open(engine, { dir })
    for (let i = 0; i < 5; i++) commit(engine, log, workloadOps(i))
    await log.checkpoint()
    for (let i = 5; i < 8; i++) commit(engine, log, workloadOps(i))
    await log.close()
    const name = fs.readdirSync(dir).find((n) => n.endsWith('.tsnap'))!
    const snapshot = fs.readFileSync(path.join(dir, name))
    for (let at = 0; at < snapshot.length; at++) {
      const damaged = Uint8Array.from(snapshot)
      damaged[at]! ^= 0x01
      fs.writeFileSync(path.join(dir, name), damaged)
      const warnings: LogWarning[] = []
      expect(
        () => TransactionLog.open(new ModelEngine(), { dir, onWarning: (w) => warnings.push(w) }),
        `flip at ${at}`,
      ).toThrow(LogError)
      expect(warnings.map((w) => w.code)).toEqual(['TDB_LOG_SNAPSHOT_INVALID'])
    }
    fs.writeFileSync(path.join(dir, name), snapshot)
    const again = new ModelEngine()
    await TransactionLog.open(again, { dir }).close()
    expect(again.contentHash()).toBe(engine.contentHash())
  })
})

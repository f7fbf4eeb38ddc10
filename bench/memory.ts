/**
 * Memory per record: each system loads the records in a child process of its own, so that what
 * one system leaves behind (heap, native allocations, freed pages not yet returned) does not
 * weigh on another. The child reports the growth of its RSS, and of heapUsed + external +
 * arrayBuffers, between before opening the system and after loading it (after a full GC).
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { assert } from '../src/util/assert.js'
import {
  expectedFold,
  lokiStore,
  mapStore,
  sqliteStore,
  tandemStore,
  type CoreStore,
} from './core-stores.js'
import { shuffledKeys } from './dataset.js'
import { isSkipped, type Skipped } from './harness.js'

/** The systems whose memory is measured, by the name the child takes on its command line. */
export const MEMORY_SYSTEMS = ['tandemdb', 'better-sqlite3', 'LokiJS', 'Map'] as const
export type MemorySystem = (typeof MEMORY_SYSTEMS)[number]

/** What a child reports. */
export interface MemoryFigures {
  readonly system: string
  readonly records: number
  readonly rssBytes: number
  readonly heapBytes: number
  /** What the system itself counts as used, where it has such a count. */
  readonly usedBytes?: number
}

function openSystem(system: MemorySystem, records: number): Promise<CoreStore | Skipped> {
  switch (system) {
    case 'tandemdb':
      return tandemStore(records, 'tkey')
    case 'better-sqlite3':
      return sqliteStore()
    case 'LokiJS':
      return lokiStore()
    case 'Map':
      return Promise.resolve(mapStore())
  }
}

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  gc?.()
}

function heapBytes(): number {
  const usage = process.memoryUsage()
  return usage.heapUsed + usage.external + usage.arrayBuffers
}

/** Loads `records` records into `system` in this process and measures what that added. */
export async function measureMemory(
  system: MemorySystem,
  records: number,
): Promise<MemoryFigures | Skipped> {
  const keys = shuffledKeys(records, 1)
  collectGarbage()
  const rssBefore = process.memoryUsage.rss()
  const heapBefore = heapBytes()
  const store = await openSystem(system, records)
  if (isSkipped(store)) return store
  store.load(keys)
  collectGarbage()
  const figures = {
    system,
    records,
    rssBytes: process.memoryUsage.rss() - rssBefore,
    heapBytes: heapBytes() - heapBefore,
    ...(store.usedBytes === undefined ? {} : { usedBytes: store.usedBytes() }),
  }
  // Everything loaded must read back, in key order, with its values.
  assert(store.foldAll() === expectedFold(0, 0, records, 0), `${system}: load lost records`)
  await store.close()
  return figures
}

const run = promisify(execFile)

/** Runs the memory child for one system and returns its figures. */
export async function measureMemoryInChild(
  system: MemorySystem,
  records: number,
): Promise<MemoryFigures | Skipped> {
  const child = fileURLToPath(new URL('./memory-child.js', import.meta.url))
  const { stdout } = await run(process.execPath, ['--expose-gc', child, system, String(records)], {
    maxBuffer: 1024 * 1024,
  })
  const lastLine = stdout.trim().split('\n').at(-1) ?? ''
  const figures = JSON.parse(lastLine) as MemoryFigures | Skipped
  assert(isSkipped(figures) || figures.records === records, `${system}: wrong memory report`)
  return figures
}

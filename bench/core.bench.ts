/**
 * Suite core: single-record transactions and reads on tandemdb against better-sqlite3 (in
 * memory), LokiJS and a plain Map. W1 inserts, W2 lookups, W3 range scans, W4 updates; memory
 * per record is measured apart, in child processes (memory.ts).
 */
import { assert } from '../src/util/assert.js'
import { randomKeys, recordOf, shuffledKeys, valueOf, type BenchRecord } from './dataset.js'
import {
  expectedFold,
  lokiStore,
  mapStore,
  sqliteStore,
  tandemStore,
  type CoreStore,
} from './core-stores.js'
import {
  isSkipped,
  ratioTarget,
  timeLoop,
  type BenchCase,
  type BenchSuite,
  type CaseInstance,
  type RunContext,
  type RunOutcome,
  type Skipped,
} from './harness.js'

export interface CoreParams {
  /** Records of W1, and records loaded before W2, W3 and W4. */
  readonly records: number
  /** W2 lookups, by key, drawn at random with repetition. */
  readonly lookups: number
  /** W2 lookups per read transaction (and per latency sample). */
  readonly lookupBatch: number
  /** W3 scans, each from a random key. */
  readonly scans: number
  /** W3 keys per scan. */
  readonly scanLength: number
  /** W4 update transactions (at most `records`: each key once per run). */
  readonly updates: number
}

const KEY_SEED = 1
const LOOKUP_SEED = 2
const SCAN_SEED = 3
const UPDATE_SEED = 4

type StoreFactory = (records: number) => Promise<CoreStore | Skipped>

interface System {
  readonly system: string
  readonly reference?: boolean
  readonly open: StoreFactory
}

const tandemTree: System = { system: 'tandemdb', open: (n) => tandemStore(n, 'tkey') }
const sqlite: System = { system: 'better-sqlite3', reference: true, open: () => sqliteStore() }
const loki: System = { system: 'LokiJS', open: () => lokiStore() }
const map: System = { system: 'Map', open: async () => mapStore() }

function outcome(ops: number, elapsedMs: number, checksum: number, expected: number): RunOutcome {
  return { ops, elapsedMs, checksum, expectedChecksum: expected }
}

/** Opens a system and loads `records` records (untimed); the instance runs `body`. */
async function loaded(
  system: System,
  records: number,
  body: (store: CoreStore, context: RunContext) => RunOutcome,
): Promise<CaseInstance | Skipped> {
  const store = await system.open(records)
  if (isSkipped(store)) return store
  store.load(shuffledKeys(records, KEY_SEED))
  return { run: async (context) => body(store, context), close: () => store.close() }
}

/** W1: each run inserts into a fresh, empty store, one write transaction per record. */
function insertCase(system: System): BenchCase<CoreParams> {
  return {
    workload: 'W1 insert',
    system: system.system,
    reference: system.reference,
    async open({ records }) {
      const probe = await system.open(records)
      if (isSkipped(probe)) return probe
      let store = probe
      const keys = shuffledKeys(records, KEY_SEED)
      const expected = expectedFold(0, 0, records, 0)
      return {
        async run({ latency }) {
          await store.close()
          const fresh = await system.open(records)
          assert(!isSkipped(fresh), `${system.system} opened once, then not again`)
          store = fresh
          const batch: BenchRecord[] = Array.from(keys, (key) => recordOf(key))
          const elapsedMs = timeLoop(records, 1, latency, (i) => {
            store.insert(batch[i] as BenchRecord)
          })
          return outcome(records, elapsedMs, store.foldAll(), expected)
        },
        close: () => store.close(),
      }
    },
  }
}

/** W2: random lookups by key, `lookupBatch` per read transaction. */
function lookupCase(system: System, label = system.system): BenchCase<CoreParams> {
  return {
    workload: 'W2 lookup',
    system: label,
    reference: system.reference,
    async open({ records, lookups, lookupBatch }) {
      const keys = randomKeys(lookups, records, LOOKUP_SEED)
      let expected = 0
      for (const key of keys) expected += valueOf(key)
      return loaded(system, records, (store, { latency }) => {
        let sum = 0
        const started = performance.now()
        for (let from = 0; from < lookups; from += lookupBatch) {
          const batchStarted = performance.now()
          const to = Math.min(lookups, from + lookupBatch)
          sum += store.sumValues(keys, from, to)
          latency.record(performance.now() - batchStarted, to - from)
        }
        return outcome(lookups, performance.now() - started, sum, expected)
      })
    },
  }
}

/** W3: range scans of `scanLength` consecutive keys, each its own read. */
function scanCase(system: System): BenchCase<CoreParams> {
  return {
    workload: 'W3 range scan',
    system: system.system,
    reference: system.reference,
    async open({ records, scans, scanLength }) {
      assert(scanLength <= records, 'a scan is longer than the data')
      const starts = randomKeys(scans, records - scanLength + 1, SCAN_SEED)
      let expected = 0
      for (const start of starts) expected = expectedFold(expected, start, scanLength, 0)
      return loaded(system, records, (store, { latency }) => {
        let folded = 0
        const elapsedMs = timeLoop(scans, 1, latency, (i) => {
          folded = store.scan(starts[i] as number, scanLength, folded)
        })
        return outcome(scans, elapsedMs, folded, expected)
      })
    },
  }
}

/** W4: value += 1, one write transaction per record; each run touches each key once. */
function updateCase(system: System): BenchCase<CoreParams> {
  return {
    workload: 'W4 update',
    system: system.system,
    reference: system.reference,
    async open({ records, updates }) {
      assert(updates <= records, 'more updates than records')
      const keys = shuffledKeys(records, UPDATE_SEED).subarray(0, updates)
      let initialSum = 0
      for (const key of keys) initialSum += valueOf(key)
      return loaded(system, records, (store, { latency, runIndex }) => {
        let sum = 0
        const elapsedMs = timeLoop(updates, 1, latency, (i) => {
          sum += store.increment(keys[i] as number)
        })
        // Run r (the warm-up is run 0) leaves every touched value at its initial value + r + 1.
        return outcome(updates, elapsedMs, sum, initialSum + updates * (runIndex + 1))
      })
    },
  }
}

const TREE = 'tandemdb (tree)'
const HASH = 'tandemdb (hash)'
const tandemHash: System = { system: 'tandemdb', open: (n) => tandemStore(n, 'hkey') }
const systems = [tandemTree, sqlite, loki, map]

/** The core suite (issue 2). */
export const coreSuite: BenchSuite<CoreParams> = {
  name: 'core',
  title: 'Core: single-record transactions and reads',
  params: {
    records: [300, 200_000],
    lookups: [1_000, 1_000_000],
    lookupBatch: [100, 1_000],
    scans: [50, 10_000],
    scanLength: [10, 100],
    updates: [300, 200_000],
  },
  cases: [
    ...systems.map((system) => insertCase(system)),
    lookupCase(tandemTree, TREE),
    lookupCase(tandemHash, HASH),
    ...systems.slice(1).map((system) => lookupCase(system)),
    ...systems.map((system) => scanCase(system)),
    ...systems.map((system) => updateCase(system)),
  ],
  targets: [
    ratioTarget('W1 insert >= 3x better-sqlite3', 'W1 insert', 'tandemdb', 'better-sqlite3', 3),
    ratioTarget('W2 lookup (tree) >= 5x better-sqlite3', 'W2 lookup', TREE, 'better-sqlite3', 5),
    ratioTarget('W2 lookup (hash) >= 0.5x Map', 'W2 lookup', HASH, 'Map', 0.5),
    ratioTarget('W3 range scan >= 10x better-sqlite3', 'W3 range scan', 'tandemdb',
      'better-sqlite3', 10),
    ratioTarget('W3 range scan >= 1.5x LokiJS', 'W3 range scan', 'tandemdb', 'LokiJS', 1.5),
    ratioTarget('W4 update >= 3x better-sqlite3', 'W4 update', 'tandemdb', 'better-sqlite3', 3),
  ],
  notes: [
    'Records {key: uint4 from a seeded shuffled permutation, name: 16 characters, value: double}.',
    'W1: each insert its own write transaction (better-sqlite3: db.transaction() around a ' +
      'prepared INSERT; LokiJS and Map have no transactions: one insert call).',
    'W2: random keys, 1,000 lookups per read transaction for tandemdb and better-sqlite3; ' +
      'p50/p99 are per lookup, from the mean of each batch of 1,000.',
    'W3: each scan its own read; tandemdb `range` over the tree index, better-sqlite3 ' +
      '`WHERE key >= ? AND key < ? ORDER BY key`, LokiJS `$between` on its binary index, ' +
      'Map a binary search in an array of the records sorted by key (built untimed).',
    'W4: read value, write value + 1, one write transaction each (better-sqlite3: ' +
      '`UPDATE ... RETURNING value` in db.transaction()).',
    'better-sqlite3 stores key as INTEGER PRIMARY KEY (the rowid: its fastest layout).',
    'LokiJS: unique index and binary index on key, adaptive (its default): each insert and ' +
      'update keeps the binary index sorted, which is what makes its W1 and W4 slow; bulk ' +
      'loads (untimed) use its batch mode.',
    'Every run checks a checksum of what it read (W1: all records in key order after the run).',
  ],
}

/**
 * The core suite's section of the results: the workload table, its targets, and the memory per
 * record of each system (one child process per system).
 */
import { coreSuite } from './core.bench.js'
import { isSkipped, runSuite, type HarnessOptions } from './harness.js'
import { MEMORY_SYSTEMS, measureMemoryInChild, type MemoryFigures } from './memory.js'
import { environmentLines, resultTable, targetLines, verdict } from './report.js'

/** Records loaded by each memory child (the small size only checks that the children work). */
export function memoryRecords(size: 'small' | 'large'): number {
  return size === 'small' ? 1_000 : 1_000_000
}

function perRecord(bytes: number, records: number): string {
  return (bytes / records).toFixed(1)
}

/** A system's memory figures, or why it has none. */
export type MemoryRow =
  | MemoryFigures
  | { readonly system: string; readonly skipped: string }
  | { readonly system: string; readonly failed: string }

/** The memory table and its target line, from figures (or the reasons a system did not run). */
export function memorySection(figures: readonly MemoryRow[]): string {
  const lines = [
    '| system | RSS bytes/record | heapUsed+external+arrayBuffers bytes/record | ' +
      'own count bytes/record |',
    '|---|---:|---:|---:|',
  ]
  for (const row of figures) {
    if ('skipped' in row) lines.push(`| ${row.system} | skipped: ${row.skipped} | | |`)
    else if ('failed' in row) lines.push(`| ${row.system} | FAILED: ${row.failed} | | |`)
    else {
      const cells = [
        row.system,
        perRecord(row.rssBytes, row.records),
        perRecord(row.heapBytes, row.records),
        row.usedBytes === undefined ? '-' : perRecord(row.usedBytes, row.records),
      ]
      lines.push(`| ${cells.join(' | ')} |`)
    }
  }
  const tandem = figures.find((row) => row.system === 'tandemdb')
  const sqlite = figures.find((row) => row.system === 'better-sqlite3')
  let target = '- memory per record (RSS) <= better-sqlite3: NOT MEASURED'
  const measured = (row: MemoryRow | undefined): row is MemoryFigures =>
    row !== undefined && 'rssBytes' in row
  if (measured(tandem) && measured(sqlite)) {
    // The target is "at most sqlite's", so the ratio checked is sqlite's bytes over tandemdb's.
    const ratio = sqlite.rssBytes / tandem.rssBytes
    target = `- memory per record (RSS) <= better-sqlite3: ${verdict(ratio, 1)}` +
      ' (better-sqlite3 RSS / tandemdb RSS; wanted >= 1.00x)'
  } else if (tandem !== undefined && !measured(tandem)) {
    target += ` (tandemdb: ${'skipped' in tandem ? tandem.skipped : tandem.failed})`
  }
  const legend = [
    '',
    'Each system loads the records in a child process of its own (`node --expose-gc`); the ' +
      'figures are the growth from before opening the system to after the load and a full GC, ' +
      'divided by the record count. RSS is what the OS holds for the process (the only ' +
      'column that sees better-sqlite3\'s native memory); heapUsed+external+arrayBuffers is ' +
      'what V8 accounts for (tandemdb\'s SharedArrayBuffer pages included); own count is ' +
      'tandemdb\'s `db.memory.usedBytes`. The load is verified (every record read back in key ' +
      'order) before the figures are reported.',
  ]
  return [...lines, ...legend, '', target].join('\n')
}

/** The last line a failed child wrote on stderr (its error), or the error itself. */
function childFailure(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr
  const lines = typeof stderr === 'string' ? stderr.trim().split('\n') : []
  const thrown = lines.find((line) => /Error\b/.test(line))
  return thrown ?? (error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error))
}

/** Runs the core suite and the memory children; returns the markdown section. */
export async function coreSuiteRun(options: HarnessOptions, command: string): Promise<string> {
  const results = await runSuite(coreSuite, options)
  const records = memoryRecords(options.size)
  const figures: MemoryRow[] = []
  for (const system of MEMORY_SYSTEMS) {
    options.log?.(`core: memory, ${system}, ${records} records`)
    try {
      const measured = await measureMemoryInChild(system, records)
      figures.push(isSkipped(measured) ? { system, skipped: measured.skipped } : measured)
    } catch (error) {
      figures.push({ system, failed: childFailure(error) })
    }
  }
  return [
    `## ${coreSuite.title}`,
    '',
    ...environmentLines(command, [
      `- runs: 1 warm-up + ${options.runs} measured per case, interleaved; the median run counts`,
    ]),
    '',
    resultTable(results),
    '',
    '### Targets (same run)',
    '',
    ...targetLines(results, coreSuite.targets),
    '',
    `### Memory per record (${records.toLocaleString('en-US')} records, one child process each)`,
    '',
    memorySection(figures),
    '',
    '### How each case runs',
    '',
    ...coreSuite.notes.map((note) => `- ${note}`),
  ].join('\n')
}

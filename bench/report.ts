/**
 * Turns suite results into markdown (a table per suite, its targets, the machine it ran on) and
 * writes each suite's section of bench/RESULTS.md, leaving the other sections as they were.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import type { CaseResult, RowRef, Target } from './harness.js'

const SECTION_ORDER = ['core', 'commit', 'replication']

function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US')
}

function formatUs(value: number | undefined): string {
  if (value === undefined) return '-'
  return value < 10 ? value.toFixed(2) : value < 1000 ? value.toFixed(1) : formatCount(value)
}

function formatRatio(ratio: number): string {
  return ratio >= 10 ? `${ratio.toFixed(1)}x` : `${ratio.toFixed(2)}x`
}

function referenceOf(results: readonly CaseResult[], workload: string): CaseResult | undefined {
  return results.find((row) => row.workload === workload && row.reference)
}

/** The markdown table of a suite's rows: ratio against the reference row of each workload. */
export function resultTable(results: readonly CaseResult[]): string {
  const withLag = results.some((row) => row.lagP50Us !== undefined)
  const lagHeads = withLag ? ' replica lag p50 µs | replica lag p99 µs |' : ''
  const lines = [
    `| case | ops | ops/s | p50 µs | p99 µs | ratio vs reference |${lagHeads}`,
    `|---|---:|---:|---:|---:|---:|${withLag ? '---:|---:|' : ''}`,
  ]
  for (const row of results) {
    const name = `${row.workload} — ${row.system}`
    if (row.opsPerSec === undefined) {
      const empty = withLag ? ' | | | | | | |' : ' | | | | |'
      const why = row.failed !== undefined ? `FAILED: ${row.failed}` : `skipped: ${row.skipped}`
      lines.push(`| ${name} | ${why.replaceAll('|', '/')}${empty}`)
      continue
    }
    const reference = referenceOf(results, row.workload)
    const ratio =
      row.reference || reference?.opsPerSec === undefined
        ? row.reference
          ? 'reference'
          : '-'
        : formatRatio(row.opsPerSec / reference.opsPerSec)
    const cells = [
      name,
      formatCount(row.ops ?? 0),
      formatCount(row.opsPerSec),
      formatUs(row.p50Us),
      formatUs(row.p99Us),
      ratio,
      ...(withLag ? [formatUs(row.lagP50Us), formatUs(row.lagP99Us)] : []),
    ]
    lines.push(`| ${cells.join(' | ')} |`)
  }
  return lines.join('\n')
}

function findRow(results: readonly CaseResult[], which: RowRef): CaseResult | undefined {
  return results.find((row) => row.workload === which.workload && row.system === which.system)
}

/** One line per target: the ratio measured in this run and MET, or MISSED by how much. */
export function targetLines(results: readonly CaseResult[], targets: readonly Target[]): string[] {
  return targets.map((target) => {
    if ('maxLagP99Ms' in target) return lagTargetLine(results, target)
    const subject = findRow(results, target.subject)
    const base = findRow(results, target.base)
    const wanted = `wanted >= ${formatRatio(target.minRatio)}`
    if (subject?.opsPerSec === undefined || base?.opsPerSec === undefined) {
      const missing = subject?.opsPerSec === undefined ? target.subject : target.base
      const which = `${missing.workload} — ${missing.system}`
      return `- ${target.label}: NOT MEASURED (${which} did not run)`
    }
    return `- ${target.label}: ${verdict(subject.opsPerSec / base.opsPerSec, target.minRatio)}` +
      ` (${wanted})`
  })
}

function lagTargetLine(
  results: readonly CaseResult[],
  target: { readonly label: string; readonly subject: RowRef; readonly maxLagP99Ms: number },
): string {
  const lagP99Us = findRow(results, target.subject)?.lagP99Us
  const which = `${target.subject.workload} — ${target.subject.system}`
  if (lagP99Us === undefined) return `- ${target.label}: NOT MEASURED (${which} did not run)`
  const lagMs = lagP99Us / 1000
  const measured = `${lagMs.toFixed(2)} ms`
  const wanted = `wanted <= ${target.maxLagP99Ms} ms`
  if (lagMs <= target.maxLagP99Ms) return `- ${target.label}: MET: ${measured} (${wanted})`
  const overPercent = ((lagMs - target.maxLagP99Ms) / target.maxLagP99Ms) * 100
  return `- ${target.label}: MISSED: ${measured}, ${overPercent.toFixed(0)}% over (${wanted})`
}

/** 'MET: 3.41x' or 'MISSED: 2.10x, 30% short'. */
export function verdict(ratio: number, minRatio: number): string {
  if (ratio >= minRatio) return `MET: ${formatRatio(ratio)}`
  const shortPercent = ((minRatio - ratio) / minRatio) * 100
  return `MISSED: ${formatRatio(ratio)}, ${shortPercent.toFixed(0)}% short`
}

/** The disk a directory lives on, as `df` describes it (device, type, size), when it can tell. */
export function diskOf(directory: string): string {
  try {
    const output = execFileSync('df', ['-hT', directory], { encoding: 'utf8' })
    const fields = (output.trim().split('\n')[1] ?? '').split(/\s+/)
    return `${fields[0] ?? '?'} (${fields[1] ?? '?'}, ${fields[2] ?? '?'})`
  } catch {
    return 'unknown (df failed)'
  }
}

/** The machine and run facts every section starts with. */
export function environmentLines(command: string, extra: readonly string[] = []): string[] {
  const cpus = os.cpus()
  const memoryGiB = (os.totalmem() / 1024 ** 3).toFixed(1)
  return [
    `- command: \`${command}\``,
    `- date: ${new Date().toISOString()}`,
    `- node: ${process.version} (${process.platform} ${process.arch})`,
    `- cpu: ${cpus[0]?.model.trim() ?? 'unknown'}, ${cpus.length} cores`,
    `- memory: ${memoryGiB} GiB`,
    ...extra,
  ]
}

function sectionMarkers(suite: string): { start: string; end: string } {
  return { start: `<!-- bench:${suite}:start -->`, end: `<!-- bench:${suite}:end -->` }
}

/** Replaces (or adds, in suite order) the section of `suite` in the results file. */
export function writeSection(file: string, suite: string, body: string): void {
  const header = '# tandemdb benchmark results\n\nEach section is written by `npm run bench -- ' +
    '<suite>`; the command, machine and date of the run head the section.\n'
  const current = existsSync(file) ? readFileSync(file, 'utf8') : header
  const sections = new Map<string, string>()
  for (const name of SECTION_ORDER) {
    const { start, end } = sectionMarkers(name)
    const from = current.indexOf(start)
    const to = current.indexOf(end)
    if (from >= 0 && to > from) sections.set(name, current.slice(from, to + end.length))
  }
  const { start, end } = sectionMarkers(suite)
  sections.set(suite, `${start}\n${body.trim()}\n${end}`)
  const firstMarker = current.indexOf('<!-- bench:')
  const preamble = (firstMarker >= 0 ? current.slice(0, firstMarker) : current).trimEnd()
  const ordered = SECTION_ORDER.flatMap((name) => sections.get(name) ?? [])
  writeFileSync(file, `${preamble}\n\n${ordered.join('\n\n')}\n`)
}

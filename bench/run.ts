/**
 * `npm run bench [-- <suite> ...] [--runs N] [--budget-ms N] [--small]`: builds, then runs the
 * chosen suites (core, commit, replication; all when none is named), prints each suite's
 * markdown and writes it into its section of bench/RESULTS.md.
 */
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { assert } from '../src/util/assert.js'
import { commitSuiteRun } from './commit.bench.js'
import { coreSuiteRun } from './core-run.js'
import type { HarnessOptions } from './harness.js'
import { replicationSuiteRun } from './replication.bench.js'
import { writeSection } from './report.js'
import { repoRoot } from './tandem.js'

/** A suite as the CLI runs it: its markdown section, from its options. */
export type SuiteRun = (options: HarnessOptions, command: string) => Promise<string>

const SUITES: Record<string, SuiteRun> = {
  core: coreSuiteRun,
  commit: commitSuiteRun,
  replication: replicationSuiteRun,
}

interface Cli {
  readonly suites: string[]
  readonly options: HarnessOptions
}

function parseCli(args: readonly string[]): Cli {
  const suites: string[] = []
  let runs = 3
  let budgetMs = 2_000
  let size: 'small' | 'large' = 'large'
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    if (arg === '--runs') runs = Number(args[++i])
    else if (arg === '--budget-ms') budgetMs = Number(args[++i])
    else if (arg === '--small') size = 'small'
    else suites.push(arg)
  }
  for (const suite of suites) {
    assert(suite in SUITES, `unknown suite '${suite}' (known: ${Object.keys(SUITES).join(', ')})`)
  }
  assert(Number.isSafeInteger(runs) && runs >= 1, '--runs takes a positive integer')
  assert(budgetMs > 0, '--budget-ms takes a positive number')
  const log = (line: string): void => void process.stderr.write(`${line}\n`)
  return {
    suites: suites.length === 0 ? Object.keys(SUITES) : suites,
    options: { size, runs, budgetMs, log },
  }
}

function commandOf(args: readonly string[]): string {
  const tail = args.length === 0 ? '' : ` -- ${args.join(' ')}`
  return process.env.npm_lifecycle_event === 'bench'
    ? `npm run bench${tail}`
    : `node dist/bench/run.js${args.length === 0 ? '' : ` ${args.join(' ')}`}`
}

/**
 * Runs the suites the arguments name (the CLI's `tandemdb bench` may call this with its own
 * arguments): prints each section, and writes it into bench/RESULTS.md unless `--small`.
 */
export async function runBench(args: readonly string[]): Promise<void> {
  const { suites, options } = parseCli(args)
  const command = commandOf(args)
  const resultsFile = path.join(repoRoot(), 'bench', 'RESULTS.md')
  for (const name of suites) {
    const suiteRun = SUITES[name] as SuiteRun
    const section = await suiteRun(options, command)
    process.stdout.write(`${section}\n\n`)
    // A small run is a check of the harness, not a result: it never replaces a real figure.
    if (options.size === 'large') writeSection(resultsFile, name, section)
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runBench(process.argv.slice(2))
}

/**
 * Opens tandemdb for the benchmarks. Its modules load through `tryImport`, so the harness still
 * runs (and says which part is missing) when the engine, the schema compiler or the HA classes
 * are not in the build.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Database, DatabaseOptions } from '../src/node/database.js'
import type { Dictionary } from '../src/schema/dictionary.js'
import { isSkipped, tryImport, type Skipped } from './harness.js'

/** A tandemdb database, as the benchmarks use it. */
export type TandemDatabase = Database

/** The options of `Database.open` the benchmarks pass (the dictionary is the bench schema's). */
export type TandemOpenOptions = Omit<DatabaseOptions, 'dictionary'>

type DatabaseModule = typeof import('../src/node/database.js')
type LoadDictionaryModule = typeof import('../src/schema/load-dictionary.js')

/** The repository root: the nearest folder above this module that holds package.json. */
export function repoRoot(): string {
  let folder = path.dirname(fileURLToPath(import.meta.url))
  while (!existsSync(path.join(folder, 'package.json'))) {
    const parent = path.dirname(folder)
    if (parent === folder) return process.cwd()
    folder = parent
  }
  return folder
}

/** A module of the tandemdb source tree, by its path under src/ (compiled: `.js`). */
export function tandemModule<T>(pathUnderSrc: string): Promise<T | Skipped> {
  const label = `src/${pathUnderSrc.replace(/\.js$/, '.ts')}`
  return tryImport<T>(new URL(`../src/${pathUnderSrc}`, import.meta.url).href, label)
}

let benchDictionary: Promise<Dictionary | Skipped> | undefined

/** The dictionary of schema/bench.mco, compiled once per process. */
export function loadBenchDictionary(): Promise<Dictionary | Skipped> {
  benchDictionary ??= (async () => {
    const file = path.join(repoRoot(), 'schema', 'bench.mco')
    if (!existsSync(file)) return { skipped: 'schema/bench.mco is missing' }
    const schema = await tandemModule<LoadDictionaryModule>('schema/load-dictionary.js')
    if (isSkipped(schema)) return schema
    return schema.loadDictionary(readFileSync(file, 'utf8'), 'schema/bench.mco')
  })()
  return benchDictionary
}

/** Opens a database of the bench schema, or says why it cannot. */
export async function openTandem(options: TandemOpenOptions): Promise<TandemDatabase | Skipped> {
  const dictionary = await loadBenchDictionary()
  if (isSkipped(dictionary)) return dictionary
  const module = await tandemModule<DatabaseModule>('node/database.js')
  if (isSkipped(module)) return module
  return module.Database.open({ ...options, dictionary })
}

/**
 * A memory size that holds `records` bench records with their two indexes, with room to spare:
 * the benchmarks measure speed, not how tightly the database can be sized.
 */
export function memorySizeFor(records: number): number {
  return 64 * 1024 * 1024 + records * 512
}

/**
 * Finds a schema file of the project (`schema/filtermstdb.mco`, `samples/common/hasample.mco`)
 * from a sample's source or compiled location, and loads its dictionary.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { TandemError } from '../../src/errors.js'
import { loadDictionary } from '../../src/schema/load-dictionary.js'
import type { Dictionary } from '../../src/schema/dictionary.js'

/** The absolute path of `relativePath` under the first folder above this module that has it. */
export function projectFile(relativePath: string): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = path.join(dir, relativePath)
    if (existsSync(candidate)) return candidate
    const parent = path.dirname(dir)
    if (parent === dir) {
      throw new TandemError('TDB_INVALID_ARGUMENT', `cannot find ${relativePath} above the samples`)
    }
    dir = parent
  }
}

/** Loads the dictionary of a project schema file. */
export function loadSchema(relativePath: string): Dictionary {
  const file = projectFile(relativePath)
  return loadDictionary(readFileSync(file, 'utf8'), relativePath)
}

/** Reads the DDL files of the repository's schema/ folder for the schema tests. */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Dictionary } from '../../../src/schema/dictionary.js'
import { loadDictionary } from '../../../src/schema/load-dictionary.js'

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** The text of `schema/<name>.mco`. */
export function schemaText(name: string): string {
  return readFileSync(`${REPO_ROOT}schema/${name}.mco`, 'utf8')
}

/** The dictionary of `schema/<name>.mco`. */
export function schemaDictionary(name: string): Dictionary {
  return loadDictionary(schemaText(name), `schema/${name}.mco`)
}

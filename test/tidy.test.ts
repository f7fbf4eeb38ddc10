/**
 * Tidy: the layer and style rules of DESIGN.md ("Layers") and STYLE.md 5.2, checked as a test
 * (after tigerbeetle's src/tidy.zig). It reads every file under src/ as text and checks:
 * - imports run only up the layer order (schema, store, txn, log, ha, channels, node, client,
 *   cli; util and the top-level files are shared by all);
 * - the pure layers (schema outside its CLI, store, ha) touch no sockets, files, threads or
 *   timers and read no clock or randomness; src/ha has no async code at all;
 * - no unfinished markers and no line over 100 columns.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { describe, expect, it } from 'vitest'

const LAYERS = ['schema', 'store', 'txn', 'log', 'ha', 'channels', 'node', 'client', 'cli']
const SHARED = new Set(['util', '.'])
const PURE = ['schema', 'store', 'ha']
const FORBIDDEN_IMPORTS = /from 'node:(net|dgram|fs|fs\/promises|worker_threads|timers|child_process)'/
const FORBIDDEN_CALLS = /\b(setTimeout|setInterval|setImmediate|Date\.now|performance\.now|process\.hrtime|Math\.random)\b/

const root = join(import.meta.dirname, '..', 'src')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return path.endsWith('.ts') ? [path] : []
  })
}

function layerOf(file: string): string {
  const parts = relative(root, file).split(sep)
  return parts.length === 1 ? '.' : (parts[0] ?? '.')
}

function relativeImports(text: string): string[] {
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) => m[1] ?? '')
}

const files = sourceFiles(root).map((path) => ({
  path,
  name: relative(root, path),
  layer: layerOf(path),
  text: readFileSync(path, 'utf8'),
}))

describe('tidy (DESIGN.md "Layers", STYLE.md 5.2)', () => {
  it('finds the source tree', () => {
    expect(files.length).toBeGreaterThan(5)
  })

  it('imports only run up the layer order', () => {
    const violations: string[] = []
    for (const file of files) {
      if (SHARED.has(file.layer)) continue
      const own = LAYERS.indexOf(file.layer)
      for (const spec of relativeImports(file.text)) {
        const target = layerOf(join(file.path, '..', spec))
        if (SHARED.has(target)) continue
        if (LAYERS.indexOf(target) > own) violations.push(`${file.name} imports ${spec}`)
      }
    }
    expect(violations).toEqual([])
  })

  it('pure layers touch no I/O, clock or randomness', () => {
    const violations: string[] = []
    for (const file of files) {
      if (!PURE.includes(file.layer)) continue
      if (FORBIDDEN_IMPORTS.test(file.text)) violations.push(`${file.name}: I/O import`)
      const code = file.text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')
      if (FORBIDDEN_CALLS.test(code)) violations.push(`${file.name}: clock, timer or randomness`)
      // String literals are data, not code: the replication mode 'async' is a value.
      const codeOnly = code.replace(/'(?:[^'\\\n]|\\.)*'/g, "''")
      if (file.layer === 'ha' && /\basync\b|\bawait\b|\bPromise\b/.test(codeOnly)) {
        violations.push(`${file.name}: async code in src/ha`)
      }
    }
    expect(violations).toEqual([])
  })

  it('has no unfinished markers and no line over 100 columns', () => {
    const violations: string[] = []
    for (const file of files) {
      file.text.split('\n').forEach((line, index) => {
        if (line.length > 100) violations.push(`${file.name}:${index + 1}: ${line.length} columns`)
        if (/\b(TODO|FIXME|XXX)\b|not implemented/i.test(line)) {
          violations.push(`${file.name}:${index + 1}: unfinished marker`)
        }
      })
    }
    expect(violations).toEqual([])
  })
})

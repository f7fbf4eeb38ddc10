/**
 * `tandemdb compile` (DESIGN.md "The schema language": `compile` writes a TypeScript module; a
 * syntax or type error names file, line, column and what was expected). The command runs on
 * schema files in a temporary folder with captured stdout/stderr, and its exit codes (0 written,
 * 1 schema error or unreadable file, 2 usage) and its single stderr line are checked.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { compileCommand } from '../../../src/cli/compile.js'
import { schemaText } from './schema-files.js'

const folder = mkdtempSync(join(tmpdir(), 'tandemdb-compile-'))

function captured() {
  const out: string[] = []
  const err: string[] = []
  return {
    io: {
      stdout: { write: (text: string) => out.push(text) },
      stderr: { write: (text: string) => err.push(text) },
    },
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  }
}

describe('tandemdb compile (DESIGN.md "The schema language")', () => {
  afterAll(() => rmSync(folder, { recursive: true, force: true }))

  it('writes the module next to the schema and exits 0', async () => {
    const file = join(folder, 'bench.mco')
    writeFileSync(file, schemaText('bench'))
    const run = captured()
    expect(await compileCommand([file], run.io)).toBe(0)
    const module = readFileSync(join(folder, 'bench.ts'), 'utf8')
    expect(module).toContain("from 'tandemdb'")
    expect(module).toContain('export interface Record {')
    expect(run.stderr()).toBe('')
  })

  it('writes to -o, with --runtime as the import specifier', async () => {
    const file = join(folder, 'demo.mco')
    writeFileSync(file, schemaText('demo'))
    const out = join(folder, 'demo-schema.ts')
    const run = captured()
    expect(await compileCommand([file, '-o', out, '--runtime', '../lib/index.js'], run.io)).toBe(0)
    expect(readFileSync(out, 'utf8')).toContain("from '../lib/index.js'")
  })

  it('writes to stdout with -o -', async () => {
    const file = join(folder, 'seed.mco')
    writeFileSync(file, schemaText('filtermstdb'))
    const run = captured()
    expect(await compileCommand(['-o', '-', file], run.io)).toBe(0)
    expect(run.stdout()).toContain('export const T4 = {')
    expect(existsSync(join(folder, 'seed.ts'))).toBe(false)
  })

  it('prints file:line:col: message on stderr and exits 1 for a bad schema', async () => {
    const file = join(folder, 'bad.mco')
    writeFileSync(file, 'declare database bad;\nclass A {\n  unsigned<3> k;\n};\n')
    const run = captured()
    expect(await compileCommand([file], run.io)).toBe(1)
    expect(run.stderr()).toBe(`${file}:3:12: expected a size of 1, 2, 4 or 8 bytes, found '3'\n`)
    expect(existsSync(join(folder, 'bad.ts'))).toBe(false)
  })

  it('exits 1 for a schema that cannot be read', async () => {
    const run = captured()
    const missing = join(folder, 'missing.mco')
    expect(await compileCommand([missing], run.io)).toBe(1)
    expect(run.stderr()).toMatch(/^tandemdb compile: cannot read .*missing\.mco: ENOENT/)
  })

  const usages: [string, string[], string][] = [
    ['no file', [], 'a schema file is needed'],
    ['two files', ['a.mco', 'b.mco'], 'one schema file at a time (also given: b.mco)'],
    ['an unknown option', ['a.mco', '--fast'], 'unknown option --fast'],
    ['-o without a value', ['a.mco', '-o'], '-o needs a value'],
    ['a quote in the runtime', ['a.mco', '--runtime', "x'y"], "not a module specifier: x'y"],
    ['an output over the schema', ['a.ts'], 'the output a.ts would overwrite the schema'],
  ]
  for (const [what, args, problem] of usages) {
    it(`exits 2 with the usage for ${what}`, async () => {
      const run = captured()
      expect(await compileCommand(args, run.io)).toBe(2)
      expect(run.stderr()).toBe(
        `tandemdb compile: ${problem}\n` +
          'usage: tandemdb compile <file> [-o <out.ts> | -o -] [--runtime <specifier>]\n',
      )
    })
  }
})

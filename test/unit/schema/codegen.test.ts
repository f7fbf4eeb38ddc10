/**
 * The code generator (DESIGN.md "The schema language": `compile` writes a TypeScript module with
 * the types and typed accessors of every class). Modules generated from the schema/ files are
 * written to test/typings/.generated and compiled with the TypeScript compiler together with
 * test/typings/*.ts, whose `expectTypeOf` and `@ts-expect-error` lines pin the generated types;
 * the checked-in modules test/typings/*.generated.ts must equal a fresh generation (REWRITE=1
 * rewrites them). Accessors are also run against a recording transaction to check that they
 * pass the class id and index positions.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { generateModule } from '../../../src/schema/codegen.js'
import { loadDictionary } from '../../../src/schema/load-dictionary.js'
import { REPO_ROOT, schemaDictionary } from './schema-files.js'

const GENERATED = `${REPO_ROOT}test/typings/.generated/`
const TYPINGS = `${REPO_ROOT}test/typings/`
const SCHEMAS = ['alltypes', 'bench', 'demo', 'filtermstdb']

/** The options of a module generated into `folder` relative to the repository root. */
function importsFrom(up: string) {
  return {
    runtimeImport: `${up}src/txn/api.js`,
    dictionaryTypeImport: `${up}src/schema/dictionary.js`,
  }
}

function runTsc(project: string): { status: number; output: string } {
  const tsc = `${REPO_ROOT}node_modules/typescript/bin/tsc`
  try {
    const output = execFileSync(process.execPath, [tsc, '-p', project, '--listFiles'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    })
    return { status: 0, output }
  } catch (error) {
    const failed = error as { status: number; stdout: string }
    return { status: failed.status, output: failed.stdout }
  }
}

describe('generated modules compile (DESIGN.md "The schema language")', () => {
  afterAll(() => rmSync(GENERATED, { recursive: true, force: true }))

  it('compiles every schema/ module and the typings tests with tsc', () => {
    mkdirSync(GENERATED, { recursive: true })
    for (const name of SCHEMAS) {
      const source = generateModule(schemaDictionary(name), {
        ...importsFrom('../../../'),
        source: `schema/${name}.mco`,
      })
      writeFileSync(`${GENERATED}${name}.ts`, source)
    }
    const tsconfig = {
      extends: '../../../tsconfig.json',
      compilerOptions: { noEmit: true, noUnusedLocals: true, noUnusedParameters: true },
      include: ['./*.ts', '../*.ts'],
    }
    writeFileSync(`${GENERATED}tsconfig.json`, JSON.stringify(tsconfig, null, 2))
    const { status, output } = runTsc(`${GENERATED}tsconfig.json`)
    const errors = output.split('\n').filter((line) => line.includes('error TS'))
    expect(errors).toEqual([])
    expect(status).toBe(0)
    for (const name of SCHEMAS) expect(output).toContain(`.generated/${name}.ts`)
    expect(output).toContain('test/typings/accessor-types.test.ts')
  })

  it('reports a type error in code that misuses a generated accessor', () => {
    mkdirSync(GENERATED, { recursive: true })
    const source = generateModule(schemaDictionary('bench'), importsFrom('../../../'))
    writeFileSync(`${GENERATED}misuse-bench.ts`, source)
    writeFileSync(
      `${GENERATED}misuse.ts`,
      "import type { WriteTransaction } from '../../../src/txn/api.js'\n" +
        "import { Record } from './misuse-bench.js'\n" +
        "export function misuse(tx: WriteTransaction): void {\n" +
        "  Record.insert(tx, { key: 'not a number' })\n}\n",
    )
    const tsconfig = { extends: '../../../tsconfig.json', compilerOptions: { noEmit: true } }
    writeFileSync(
      `${GENERATED}tsconfig.misuse.json`,
      JSON.stringify({ ...tsconfig, files: ['./misuse.ts'], include: [] }),
    )
    const { status, output } = runTsc(`${GENERATED}tsconfig.misuse.json`)
    expect(status).not.toBe(0)
    expect(output).toContain(
      "misuse.ts(4,23): error TS2322: Type 'string' is not assignable to type 'number'",
    )
  })
})

describe('checked-in generated modules (test/typings/*.generated.ts)', () => {
  for (const name of ['alltypes', 'bench']) {
    it(`test/typings/${name}.generated.ts equals a fresh generation`, () => {
      const fresh = generateModule(schemaDictionary(name), {
        ...importsFrom('../../'),
        source: `schema/${name}.mco`,
      })
      const path = `${TYPINGS}${name}.generated.ts`
      if (process.env['REWRITE'] === '1') writeFileSync(path, fresh)
      expect(readFileSync(path, 'utf8')).toBe(fresh)
    })
  }
})

describe('generated module text', () => {
  const schema = `
    declare database small;
    enum Level { Low = -1, Mid, High = 10 };
    class Note { string text; Level level; list; hash<text> byText[16]; };
  `

  it('imports only the types it uses, from one specifier by default', () => {
    const source = generateModule(loadDictionary(schema), { runtimeImport: 'tandemdb' })
    const imports = source.split('\n').filter((line) => line.startsWith('import'))
    expect(imports).toEqual([
      "import type { Cursor, Dictionary, Oid, ReadTransaction, WriteTransaction } from 'tandemdb'",
    ])
  })

  it('writes enums as a const object and a union of their values', () => {
    const source = generateModule(loadDictionary(schema), { runtimeImport: 'tandemdb' })
    expect(source).toContain('export const Level = { Low: -1, Mid: 0, High: 10 } as const\n')
    expect(source).toContain('export type Level = -1 | 0 | 10\n')
  })

  it('embeds the dictionary that loadDictionary gives', () => {
    const dictionary = schemaDictionary('alltypes')
    const source = generateModule(dictionary, { runtimeImport: 'tandemdb' })
    const start = source.indexOf('export const dictionary: Dictionary = ')
    const end = source.indexOf('\n}\n', start)
    const literal = source.slice(start + 'export const dictionary: Dictionary = '.length, end + 2)
    expect(JSON.parse(literal)).toEqual(dictionary)
  })

  it('refuses an import specifier it cannot write', () => {
    expect(() => generateModule(loadDictionary(schema), { runtimeImport: "it's" })).toThrow(
      expect.objectContaining({ code: 'TDB_INVALID_ARGUMENT' }),
    )
  })
})

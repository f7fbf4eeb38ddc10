/**
 * `tandemdb compile <file> [-o <out.ts>] [--runtime <specifier>]`: compiles a DDL schema into a
 * TypeScript module (see src/schema/codegen.ts). Without `-o` the module is written next to the
 * schema with the extension `.ts`; `-o -` writes it to stdout. Exit codes: 0 written, 1 the
 * schema does not compile (one `file:line:col: message` line on stderr) or a file could not be
 * read or written, 2 wrong usage.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { SchemaError } from '../errors.js'
import { DEFAULT_RUNTIME_IMPORT, generateModule, isImportSpecifier } from '../schema/codegen.js'
import { loadDictionary } from '../schema/load-dictionary.js'

/** Where the command writes; a test passes its own. */
export interface CompileIo {
  readonly stdout: { write(text: string): unknown }
  readonly stderr: { write(text: string): unknown }
}

interface CompileArgs {
  readonly file: string
  readonly out: string
  readonly runtimeImport: string
}

export const COMPILE_USAGE =
  'usage: tandemdb compile <file> [-o <out.ts> | -o -] [--runtime <specifier>]\n'

/**
 * Runs `tandemdb compile` with the arguments after the subcommand name; resolves to the exit code.
 *
 * @example
 * process.exitCode = await compileCommand(['schema/bench.mco', '-o', 'src/bench-schema.ts'])
 */
export async function compileCommand(
  args: string[],
  io: CompileIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const parsed = parseArgs(args)
  if (typeof parsed === 'string') {
    io.stderr.write(`tandemdb compile: ${parsed}\n${COMPILE_USAGE}`)
    return 2
  }
  let text: string
  try {
    text = await readFile(parsed.file, 'utf8')
  } catch (error) {
    io.stderr.write(`tandemdb compile: cannot read ${parsed.file}: ${errorText(error)}\n`)
    return 1
  }
  let source: string
  try {
    const dictionary = loadDictionary(text, parsed.file)
    const { runtimeImport, file } = parsed
    source = generateModule(dictionary, { runtimeImport, source: file })
  } catch (error) {
    if (!(error instanceof SchemaError)) throw error
    io.stderr.write(`${error.message}\n`)
    return 1
  }
  return await writeModule(parsed, source, io)
}

async function writeModule(args: CompileArgs, source: string, io: CompileIo): Promise<number> {
  if (args.out === '-') {
    io.stdout.write(source)
    return 0
  }
  try {
    await writeFile(args.out, source, 'utf8')
  } catch (error) {
    io.stderr.write(`tandemdb compile: cannot write ${args.out}: ${errorText(error)}\n`)
    return 1
  }
  io.stdout.write(`${args.file} -> ${args.out}\n`)
  return 0
}

/** The parsed arguments, or what is wrong with them. */
function parseArgs(args: readonly string[]): CompileArgs | string {
  const files: string[] = []
  let out: string | null = null
  let runtimeImport = DEFAULT_RUNTIME_IMPORT
  for (let at = 0; at < args.length; at += 1) {
    const arg = args[at] ?? ''
    if (arg === '-o' || arg === '--runtime') {
      const value = args[at + 1]
      if (value === undefined || value === '') return `${arg} needs a value`
      at += 1
      if (arg === '-o') out = value
      else if (isImportSpecifier(value)) runtimeImport = value
      else return `not a module specifier: ${value}`
    } else if (arg.startsWith('-') && arg !== '-') {
      return `unknown option ${arg}`
    } else {
      files.push(arg)
    }
  }
  const [file, extra] = files
  if (file === undefined || file === '') return 'a schema file is needed'
  if (extra !== undefined) return `one schema file at a time (also given: ${extra})`
  const target = out ?? file.replace(/(\.[^./\\]*)?$/, '.ts')
  if (target !== '-' && resolve(target) === resolve(file)) {
    return `the output ${target} would overwrite the schema`
  }
  return { file, out: target, runtimeImport }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

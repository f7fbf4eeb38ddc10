/**
 * Malformed DDL never crashes the compiler (DESIGN.md "Testing": bad input, malformed DDL — a
 * clear error, no crash). fast-check feeds loadDictionary arbitrary text, every prefix-cut of
 * the valid schemas, and valid schemas with a token deleted or a random token inserted; each
 * run either compiles or throws a SchemaError with a position inside the text.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SchemaError } from '../../../src/errors.js'
import { loadDictionary } from '../../../src/schema/load-dictionary.js'
import { schemaText } from './schema-files.js'

const SCHEMAS = ['alltypes', 'bench', 'demo', 'filtermstdb'].map(schemaText)

/** Compiles `text`; returns 'ok' or the SchemaError, and fails on any other throw. */
function outcome(text: string): 'ok' | SchemaError {
  try {
    loadDictionary(text, 'fuzz.mco')
    return 'ok'
  } catch (error) {
    if (error instanceof SchemaError) return error
    throw error
  }
}

function expectWellPlaced(text: string): void {
  const result = outcome(text)
  if (result === 'ok') return
  const lines = text.split('\n')
  expect(result.file).toBe('fuzz.mco')
  expect(result.line).toBeGreaterThanOrEqual(1)
  expect(result.line).toBeLessThanOrEqual(lines.length)
  expect(result.column).toBeGreaterThanOrEqual(1)
  expect(result.column).toBeLessThanOrEqual((lines[result.line - 1]?.length ?? 0) + 1)
  expect(result.message).toMatch(/^fuzz\.mco:\d+:\d+: expected .+, found .+$/s)
}

const WORDS = [
  'class', 'struct', 'enum', 'declare', 'local', 'unique', 'tree', 'hash', 'list', 'autoid',
  'oid', 'vector', 'signed', 'unsigned', 'char', '<', '>', '{', '}', '[', ']', ';', ',', '.',
  '=', '#define', '#ifdef', '#endif', '\n#else\n', '/*', '*/', '//', '"', '0', '4', 'x',
]

describe('malformed DDL (DESIGN.md "Testing")', () => {
  it('every prefix of the schema files compiles or fails with a placed SchemaError', () => {
    for (const text of SCHEMAS) {
      for (let cut = 0; cut <= text.length; cut += 1) expectWellPlaced(text.slice(0, cut))
    }
  })

  it('arbitrary text compiles or fails with a placed SchemaError', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), expectWellPlaced), { numRuns: 500 })
  })

  it('schema files with a token inserted or a span deleted fail cleanly', () => {
    const edited = fc
      .record({
        schema: fc.constantFrom(...SCHEMAS),
        at: fc.nat(),
        length: fc.nat({ max: 12 }),
        word: fc.constantFrom(...WORDS, ''),
      })
      .map(({ schema, at, length, word }) => {
        const start = at % (schema.length + 1)
        return schema.slice(0, start) + word + schema.slice(start + length)
      })
    fc.assert(fc.property(edited, expectWellPlaced), { numRuns: 1000 })
  })
})

/**
 * The DDL preprocessor: `#define NAME tokens` (token substitution), `#undef`, `#ifdef`,
 * `#ifndef`, `#else`, `#endif`. A directive is a `#` that starts its line and runs to the end of
 * that line. `#include` is recognised and rejected (tandemdb compiles one file). An identical
 * redefinition of a macro is accepted, as the seed schema needs; a different one is an error.
 * Substituted tokens take the position of the macro's use, which is where an error in them is
 * reported.
 */
import { assert } from '../util/assert.js'
import { schemaErrorAt, unsupportedAt } from './schema-error-at.js'
import { describeToken, lineColumn } from './token.js'
import type { SourcePosition, Token } from './token.js'

interface Macro {
  readonly name: Token
  readonly body: readonly Token[]
}

interface Conditional {
  /** `ifdef` or `ifndef`, and where its `#` is, for the error when it is never closed. */
  readonly directive: string
  readonly pos: SourcePosition
  readonly parentActive: boolean
  readonly condition: boolean
  elseSeen: boolean
}

const DIRECTIVES = '#define, #undef, #ifdef, #ifndef, #else or #endif'

/** Runs the directives over a token list and returns the tokens the parser reads. */
export function preprocess(tokens: readonly Token[]): Token[] {
  return new Preprocessor(tokens).run()
}

/** The source text of tokens, spaced only where two words would otherwise merge. */
export function joinTokens(tokens: readonly Token[]): string {
  let text = ''
  let previousIsWord = false
  for (const token of tokens) {
    const isWord = token.kind === 'ident' || token.kind === 'number'
    if (previousIsWord && isWord) text += ' '
    text += token.text
    previousIsWord = isWord
  }
  return text
}

class Preprocessor {
  readonly #input: readonly Token[]
  readonly #output: Token[] = []
  readonly #macros = new Map<string, Macro>()
  readonly #conditionals: Conditional[] = []
  #index = 0

  constructor(input: readonly Token[]) {
    this.#input = input
  }

  run(): Token[] {
    for (;;) {
      const token = this.#input[this.#index]
      if (token === undefined || token.kind === 'eof') break
      if (token.kind === 'punct' && token.text === '#' && token.lineStart) {
        this.#directive(token, this.#restOfLine(token))
      } else {
        this.#index += 1
        if (this.#active()) this.#expand(token, token.pos, new Set())
      }
    }
    const eof = this.#input[this.#input.length - 1]
    assert(eof !== undefined && eof.kind === 'eof', 'the token list ends with eof')
    const open = this.#conditionals[this.#conditionals.length - 1]
    if (open !== undefined) {
      const expected = `'#endif' for the '#${open.directive}' at ${lineColumn(open.pos)}`
      throw schemaErrorAt('TDB_SCHEMA_SYNTAX', eof.pos, expected, 'end of file')
    }
    this.#output.push(eof)
    return this.#output
  }

  #active(): boolean {
    const top = this.#conditionals[this.#conditionals.length - 1]
    return top === undefined || (top.parentActive && top.condition !== top.elseSeen)
  }

  /** The tokens after `#` on its line; advances past them. */
  #restOfLine(hash: Token): Token[] {
    const line: Token[] = []
    this.#index += 1
    for (;;) {
      const token = this.#input[this.#index]
      if (token === undefined || token.kind === 'eof' || token.pos.line !== hash.pos.line) break
      line.push(token)
      this.#index += 1
    }
    return line
  }

  #directive(hash: Token, line: Token[]): void {
    const [name, ...args] = line
    if (name === undefined || name.kind !== 'ident') {
      const found = name === undefined ? 'end of line' : describeToken(name)
      const pos = name?.pos ?? hash.pos
      throw schemaErrorAt('TDB_SCHEMA_SYNTAX', pos, `a directive (${DIRECTIVES})`, found)
    }
    switch (name.text) {
      case 'ifdef':
      case 'ifndef':
        return this.#ifdef(hash, name, args)
      case 'else':
        return this.#else(hash, args)
      case 'endif':
        return this.#endif(hash, args)
    }
    // Other directives in a skipped group are not looked at, as in C.
    if (!this.#active()) return
    switch (name.text) {
      case 'define':
        return this.#define(name, args)
      case 'undef':
        this.#macros.delete(this.#onlyName(name, args).text)
        return
      case 'include':
        throw unsupportedAt(hash.pos, 'directive', '#include')
      default:
        const found = `'#${name.text}'`
        throw schemaErrorAt('TDB_SCHEMA_SYNTAX', hash.pos, `a directive (${DIRECTIVES})`, found)
    }
  }

  #define(directive: Token, args: Token[]): void {
    const [name, ...body] = args
    if (name === undefined || name.kind !== 'ident') {
      const found = name === undefined ? 'end of line' : describeToken(name)
      throw schemaErrorAt('TDB_SCHEMA_SYNTAX', name?.pos ?? directive.pos, 'a macro name', found)
    }
    const previous = this.#macros.get(name.text)
    if (previous !== undefined && joinTokens(previous.body) !== joinTokens(body)) {
      const expected =
        `the same definition as at ${lineColumn(previous.name.pos)} ` +
        `('${joinTokens(previous.body)}')`
      throw schemaErrorAt('TDB_SCHEMA_INVALID', name.pos, expected, `'${joinTokens(body)}'`)
    }
    if (previous === undefined) this.#macros.set(name.text, { name, body })
  }

  #ifdef(hash: Token, directive: Token, args: Token[]): void {
    const name = this.#onlyName(directive, args)
    const defined = this.#macros.has(name.text)
    this.#conditionals.push({
      directive: directive.text,
      pos: hash.pos,
      parentActive: this.#active(),
      condition: directive.text === 'ifdef' ? defined : !defined,
      elseSeen: false,
    })
  }

  #else(hash: Token, args: Token[]): void {
    this.#endOfLine(args)
    const top = this.#conditionals[this.#conditionals.length - 1]
    if (top === undefined || top.elseSeen) {
      const found = top === undefined ? "'#else' without '#ifdef'" : "a second '#else'"
      throw schemaErrorAt('TDB_SCHEMA_SYNTAX', hash.pos, "'#endif'", found)
    }
    top.elseSeen = true
  }

  #endif(hash: Token, args: Token[]): void {
    this.#endOfLine(args)
    if (this.#conditionals.pop() === undefined) {
      const expected = "'#ifdef' or '#ifndef' before it"
      throw schemaErrorAt('TDB_SCHEMA_SYNTAX', hash.pos, expected, "'#endif'")
    }
  }

  #onlyName(directive: Token, args: Token[]): Token {
    const [name, ...rest] = args
    if (name === undefined || name.kind !== 'ident') {
      const found = name === undefined ? 'end of line' : describeToken(name)
      throw schemaErrorAt('TDB_SCHEMA_SYNTAX', name?.pos ?? directive.pos, 'a macro name', found)
    }
    this.#endOfLine(rest)
    return name
  }

  #endOfLine(rest: Token[]): void {
    const extra = rest[0]
    if (extra !== undefined) {
      throw schemaErrorAt('TDB_SCHEMA_SYNTAX', extra.pos, 'end of line', describeToken(extra))
    }
  }

  /** Appends a token, substituting macros (a macro is not expanded inside its own body). */
  #expand(token: Token, usePos: SourcePosition, expanding: Set<string>): void {
    const macro = token.kind === 'ident' ? this.#macros.get(token.text) : undefined
    if (macro === undefined || expanding.has(token.text)) {
      this.#output.push(token.pos === usePos ? token : { ...token, pos: usePos, lineStart: false })
      return
    }
    expanding.add(token.text)
    for (const inner of macro.body) this.#expand(inner, usePos, expanding)
    expanding.delete(token.text)
  }
}

/**
 * The DDL lexer: text to tokens, each with its file, line and column. Line comments, block
 * comments and white space are dropped. Tokens are identifiers, unsigned integers (decimal or
 * `0x` hex), string literals and single-character punctuation; `#` directives are split into
 * ordinary tokens and recognised by the preprocessor (a `#` that starts its line).
 */
import { schemaErrorAt } from './schema-error-at.js'
import type { SourcePosition, Token, TokenKind } from './token.js'

const PUNCTUATION = new Set(['{', '}', '[', ']', '<', '>', '(', ')', ';', ',', '.', '=', '-', '#'])

function isIdentStart(ch: string): boolean {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch === '_'
}

function isDigit(ch: string): boolean {
  return ch >= '0' && ch <= '9'
}

function isIdentPart(ch: string): boolean {
  return isIdentStart(ch) || isDigit(ch)
}

/** Splits schema text into tokens; the last token is always `eof`. */
export function tokenize(text: string, file: string): Token[] {
  return new Lexer(text, file).run()
}

class Lexer {
  readonly #text: string
  readonly #file: string
  readonly #tokens: Token[] = []
  #offset = 0
  #line = 1
  #lineOffset = 0
  #lineHasToken = false

  constructor(text: string, file: string) {
    this.#text = text
    this.#file = file
  }

  run(): Token[] {
    for (;;) {
      this.#skipBlankAndComments()
      if (this.#offset >= this.#text.length) break
      this.#readToken()
    }
    this.#push('eof', '', 0, this.#position())
    return this.#tokens
  }

  #position(): SourcePosition {
    return { file: this.#file, line: this.#line, column: this.#offset - this.#lineOffset + 1 }
  }

  #push(kind: TokenKind, text: string, value: number, pos: SourcePosition): void {
    this.#tokens.push({ kind, text, value, pos, lineStart: !this.#lineHasToken })
    this.#lineHasToken = true
  }

  #newline(): void {
    this.#line += 1
    this.#lineOffset = this.#offset
    this.#lineHasToken = false
  }

  #skipBlankAndComments(): void {
    const text = this.#text
    while (this.#offset < text.length) {
      const ch = text[this.#offset]
      if (ch === '\n') {
        this.#offset += 1
        this.#newline()
      } else if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\f' || ch === '\v') {
        this.#offset += 1
      } else if (ch === '/' && text[this.#offset + 1] === '/') {
        while (this.#offset < text.length && text[this.#offset] !== '\n') this.#offset += 1
      } else if (ch === '/' && text[this.#offset + 1] === '*') {
        this.#skipBlockComment()
      } else {
        return
      }
    }
  }

  #skipBlockComment(): void {
    const start = this.#position()
    this.#offset += 2
    for (;;) {
      if (this.#offset >= this.#text.length) {
        throw schemaErrorAt('TDB_SCHEMA_SYNTAX', start, "'*/' closing this comment", 'end of file')
      }
      const ch = this.#text[this.#offset]
      if (ch === '*' && this.#text[this.#offset + 1] === '/') {
        this.#offset += 2
        return
      }
      this.#offset += 1
      if (ch === '\n') this.#newline()
    }
  }

  #readToken(): void {
    const pos = this.#position()
    const ch = this.#text[this.#offset] ?? ''
    if (isIdentStart(ch)) {
      const text = this.#take(isIdentPart)
      this.#push('ident', text, 0, pos)
    } else if (isDigit(ch)) {
      this.#readNumber(pos)
    } else if (ch === '"') {
      this.#readString(pos)
    } else if (PUNCTUATION.has(ch)) {
      this.#offset += 1
      this.#push('punct', ch, 0, pos)
    } else {
      throw schemaErrorAt('TDB_SCHEMA_SYNTAX', pos, 'a token', `'${ch}'`)
    }
  }

  #take(accept: (ch: string) => boolean): string {
    const start = this.#offset
    while (this.#offset < this.#text.length && accept(this.#text[this.#offset] ?? '')) {
      this.#offset += 1
    }
    return this.#text.slice(start, this.#offset)
  }

  #readNumber(pos: SourcePosition): void {
    const text = this.#take(isIdentPart)
    const value = /^0[xX][0-9a-fA-F]+$/.test(text)
      ? Number.parseInt(text.slice(2), 16)
      : /^[0-9]+$/.test(text)
        ? Number(text)
        : Number.NaN
    if (!Number.isSafeInteger(value)) {
      throw schemaErrorAt('TDB_SCHEMA_SYNTAX', pos, 'an integer', `'${text}'`)
    }
    this.#push('number', text, value, pos)
  }

  #readString(pos: SourcePosition): void {
    const start = this.#offset
    this.#offset += 1
    for (;;) {
      const ch = this.#text[this.#offset]
      if (ch === undefined || ch === '\n') {
        const found = ch === undefined ? 'end of file' : 'end of line'
        throw schemaErrorAt('TDB_SCHEMA_SYNTAX', pos, "'\"' closing this string", found)
      }
      this.#offset += ch === '\\' ? 2 : 1
      if (ch === '"') break
    }
    this.#push('string', this.#text.slice(start, this.#offset), 0, pos)
  }
}

/**
 * Tokens of the DDL and the positions they carry. Every token knows the file, line and column
 * where it was written, so that any later phase (preprocessor, parser, checker) can report an
 * error at the exact place in the text.
 */

/** A place in a schema file; line and column count from 1. */
export interface SourcePosition {
  readonly file: string
  readonly line: number
  readonly column: number
}

export type TokenKind = 'ident' | 'number' | 'string' | 'punct' | 'eof'

export interface Token {
  readonly kind: TokenKind
  /** The token as written (for a string literal: with its quotes). */
  readonly text: string
  /** For a number token: its value. */
  readonly value: number
  readonly pos: SourcePosition
  /** True when no other token precedes this one on its line (where `#` directives may start). */
  readonly lineStart: boolean
}

/** How an error message names a token: `'text'`, or `end of file`. */
export function describeToken(token: Token): string {
  return token.kind === 'eof' ? 'end of file' : `'${token.text}'`
}

/** `line:column` of a position, for messages that point at an earlier declaration. */
export function lineColumn(pos: SourcePosition): string {
  return `${pos.line}:${pos.column}`
}

import { SchemaError } from '../errors.js'
import type { SourcePosition } from './token.js'

type SchemaErrorCode = 'TDB_SCHEMA_SYNTAX' | 'TDB_SCHEMA_INVALID' | 'TDB_SCHEMA_UNSUPPORTED'

/**
 * A `SchemaError` whose message has the one form every schema error uses:
 * `file:line:col: expected X, found Y` (the constructor adds the position).
 */
export function schemaErrorAt(
  code: SchemaErrorCode,
  pos: SourcePosition,
  expected: string,
  found: string,
): SchemaError {
  return new SchemaError(code, pos, `expected ${expected}, found ${found}`, expected, found)
}

/** A construct of the eXtremeDB DDL that tandemdb recognises but does not implement. */
export function unsupportedAt(pos: SourcePosition, construct: string, text: string): SchemaError {
  return schemaErrorAt(
    'TDB_SCHEMA_UNSUPPORTED',
    pos,
    'a construct tandemdb supports',
    `${construct} '${text}'`,
  )
}

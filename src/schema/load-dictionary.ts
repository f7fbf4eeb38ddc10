/**
 * `loadDictionary(text)`: the run-time entry point of the schema layer. It compiles DDL text to
 * the same dictionary that `tandemdb compile` embeds in a generated module.
 */
import { checkSchema } from './checker.js'
import { deepFreeze } from './deep-freeze.js'
import type { Dictionary } from './dictionary.js'
import { tokenize } from './lexer.js'
import { parseSchema } from './parser.js'
import { preprocess } from './preprocessor.js'

/**
 * Compiles eXtremeDB DDL text into a deep-frozen `Dictionary`.
 *
 * Throws `SchemaError` (codes TDB_SCHEMA_SYNTAX, TDB_SCHEMA_INVALID, TDB_SCHEMA_UNSUPPORTED)
 * naming `file`, line and column, what was expected and what was found.
 *
 * @example
 * const dictionary = loadDictionary(`
 *   declare database shop;
 *   declare auto_oid [1000];
 *   class Item { unsigned<4> id; string name; unique tree<id> byId; };
 * `, 'shop.mco')
 * dictionary.classes[0]?.name // 'Item'
 */
export function loadDictionary(text: string, file = '<schema>'): Dictionary {
  const tokens = preprocess(tokenize(text, file))
  return deepFreeze(checkSchema(parseSchema(tokens)))
}

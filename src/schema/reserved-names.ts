/**
 * Names a class, struct or enum may not take, because the generated TypeScript module declares
 * a type and a value under each of those names: JavaScript and TypeScript reserved words, the
 * TypeScript primitive type names, the globals the module relies on, and the names it imports
 * or exports itself.
 */
export const RESERVED_TYPE_NAMES: ReadonlySet<string> = new Set([
  // JavaScript reserved words (strict mode and modules).
  'await', 'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default',
  'delete', 'do', 'else', 'enum', 'export', 'extends', 'false', 'finally', 'for', 'function',
  'if', 'implements', 'import', 'in', 'instanceof', 'interface', 'let', 'new', 'null',
  'package', 'private', 'protected', 'public', 'return', 'static', 'super', 'switch', 'this',
  'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'yield', 'arguments',
  'eval',
  // TypeScript type names and keywords that cannot name an interface.
  'any', 'bigint', 'boolean', 'never', 'number', 'object', 'string', 'symbol', 'undefined',
  'unknown', 'type', 'declare', 'namespace', 'module', 'readonly', 'keyof', 'infer', 'as',
  'is', 'satisfies',
  // Globals the generated module uses.
  'Partial', 'Uint8Array',
  // What the generated module imports and exports.
  'dictionary', 'Dictionary', 'ReadTransaction', 'WriteTransaction', 'Oid', 'Cursor',
  'CompareOp', 'RangeOptions',
])

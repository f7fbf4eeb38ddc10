import type { FieldType } from './dictionary.js'

/** A field type as DDL text (`unsigned<4>`, `vector<Point>`, `char<8>[4]`), for messages. */
export function typeText(type: FieldType, arrayLength: number | null = null): string {
  const suffix = arrayLength === null ? '' : `[${arrayLength}]`
  return baseText(type) + suffix
}

function baseText(type: FieldType): string {
  switch (type.kind) {
    case 'int':
      return `${type.signed ? 'signed' : 'unsigned'}<${type.bytes}>`
    case 'char':
    case 'binary':
      return `${type.kind}<${type.length}>`
    case 'vector':
      return `vector<${baseText(type.element)}>`
    case 'struct':
    case 'enum':
      return type.name
    case 'autoid':
      return type.className === null ? 'autoid_t' : `autoid_t<${type.className}>`
    default:
      return type.kind
  }
}

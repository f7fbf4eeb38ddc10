/**
 * The dictionary: what a compiled schema says about a database. The parser builds it from DDL
 * text, `compile` embeds it in the generated module, and every other layer reads it. It is
 * plain, serialisable data (no functions) so that it can travel to worker threads and peers.
 */

/** The type of a field, as declared in the DDL (after `#define` substitution). */
export type FieldType =
  | { readonly kind: 'int'; readonly bytes: 1 | 2 | 4 | 8; readonly signed: boolean }
  | { readonly kind: 'float' }
  | { readonly kind: 'double' }
  | { readonly kind: 'boolean' }
  /** Fixed-size text of at most `length` UTF-8 bytes. */
  | { readonly kind: 'char'; readonly length: number }
  | { readonly kind: 'string' }
  /** Fixed-size bytes of at most `length` bytes. */
  | { readonly kind: 'binary'; readonly length: number }
  /** `varbinary` and `blob`: variable-size bytes. */
  | { readonly kind: 'varbinary' }
  /** `date`: days since 1970-01-01 (uint4); `time`: seconds since midnight (uint4). */
  | { readonly kind: 'date' }
  | { readonly kind: 'time' }
  /** `datetime`: milliseconds since the epoch (int8, held as a safe-integer number). */
  | { readonly kind: 'datetime' }
  | { readonly kind: 'vector'; readonly element: FieldType }
  | { readonly kind: 'struct'; readonly name: string }
  | { readonly kind: 'enum'; readonly name: string }
  /** `autoid_t` (optionally `autoid_t<Class>`): the auto id of an object, a number. */
  | { readonly kind: 'autoid'; readonly className: string | null }
  /** `ref`: the oid of another object, a number. */
  | { readonly kind: 'ref' }

export interface FieldDef {
  readonly name: string
  readonly type: FieldType
  readonly nullable: boolean
  /** For a fixed array `T name[N]`: N. Otherwise null. */
  readonly arrayLength: number | null
}

export interface StructDef {
  readonly name: string
  readonly fields: readonly FieldDef[]
}

export interface EnumDef {
  readonly name: string
  readonly members: readonly { readonly name: string; readonly value: number }[]
}

export interface IndexKey {
  /** Field path: `['key']`, or `['addr', 'zip']` for a field of a struct field. */
  readonly path: readonly string[]
  readonly descending: boolean
}

export type IndexDef =
  | {
      readonly kind: 'tree'
      readonly name: string
      readonly unique: boolean
      readonly keys: readonly IndexKey[]
    }
  | {
      readonly kind: 'hash'
      readonly name: string
      readonly unique: boolean
      readonly keys: readonly IndexKey[]
      /** The expected number of entries (`hash<k>[N]`). */
      readonly initialSize: number
    }
  /** `list`: a cursor over every object of the class. */
  | { readonly kind: 'list'; readonly name: string }
  /** `autoid[N]`: find an object by its auto id. */
  | { readonly kind: 'autoid'; readonly name: string; readonly initialSize: number }
  /** `oid`: the class is found by the database-wide declared oid. */
  | { readonly kind: 'oid'; readonly name: string }

export interface ClassDef {
  /** Stable id: the position of the class in the schema, from 1. Carried in change sets. */
  readonly id: number
  readonly name: string
  /** `local class`: never replicated. */
  readonly local: boolean
  /** Accepted qualifiers other than `local` (`compact`, `persistent`, `transient`, `nonatomic`). */
  readonly qualifiers: readonly string[]
  readonly fields: readonly FieldDef[]
  readonly indexes: readonly IndexDef[]
  /**
   * A stable hash (hex) of the class's shape: id, name, fields and their types (structs and
   * enums expanded), indexes. The `local` flag does not enter it, so a master and a replica
   * that mark different classes local can check, class by class, that what one sends the other
   * can store.
   */
  readonly shapeHash: string
}

export interface Dictionary {
  /** `declare database NAME;` */
  readonly name: string
  /** `declare auto_oid [N];`: N, or null when not declared. */
  readonly autoOid: number | null
  /** `declare oid Struct[N];`, or null. */
  readonly oid: { readonly struct: string; readonly size: number } | null
  readonly structs: readonly StructDef[]
  readonly enums: readonly EnumDef[]
  readonly classes: readonly ClassDef[]
  /**
   * A stable hash (hex) of the replicated part: the non-local classes, their fields, types and
   * indexes, and the structs and enums they use. Master and replica compare it on attach; the
   * `local` flags and the database name do not enter it.
   */
  readonly replicatedHash: string
}

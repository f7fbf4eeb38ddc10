/**
 * The parsed schema before its names are resolved: what the DDL says, where it says it. The
 * checker turns it into a `Dictionary`; positions stay here so that every semantic error can
 * point at its token.
 */
import type { FieldType } from './dictionary.js'
import type { SourcePosition } from './token.js'

export type TypeNode =
  /** A built-in type, already complete (`signed<4>`, `char<16>`, `string`, ...). */
  | { readonly kind: 'builtin'; readonly type: FieldType; readonly pos: SourcePosition }
  /** A struct or enum name, resolved by the checker. */
  | { readonly kind: 'named'; readonly name: string; readonly pos: SourcePosition }
  | { readonly kind: 'vector'; readonly element: TypeNode; readonly pos: SourcePosition }
  /** `autoid_t` or `autoid_t<Class>`; `classPos` is where the class is named. */
  | {
      readonly kind: 'autoid'
      readonly className: string | null
      readonly pos: SourcePosition
      readonly classPos: SourcePosition
    }

export interface FieldNode {
  readonly name: string
  readonly pos: SourcePosition
  readonly type: TypeNode
  readonly nullable: boolean
  readonly arrayLength: number | null
}

export interface KeyNode {
  readonly path: readonly string[]
  /** The position of each part of the path. */
  readonly positions: readonly SourcePosition[]
  readonly descending: boolean
  /** Where `asc`/`desc` was written, or null. */
  readonly orderPos: SourcePosition | null
}

export interface IndexNode {
  readonly kind: 'tree' | 'hash' | 'list' | 'autoid' | 'oid'
  readonly name: string
  /** The index keyword (`tree`, `hash`, `list`, ...). */
  readonly pos: SourcePosition
  /** Where the name was written, or the keyword when the name is implied. */
  readonly namePos: SourcePosition
  readonly unique: boolean
  readonly keys: readonly KeyNode[]
  readonly initialSize: number
}

export interface ClassNode {
  readonly name: string
  readonly pos: SourcePosition
  readonly local: boolean
  readonly qualifiers: readonly string[]
  readonly fields: readonly FieldNode[]
  readonly indexes: readonly IndexNode[]
}

export interface StructNode {
  readonly name: string
  readonly pos: SourcePosition
  readonly fields: readonly FieldNode[]
}

export interface EnumNode {
  readonly name: string
  readonly pos: SourcePosition
  readonly members: readonly { name: string; value: number; pos: SourcePosition }[]
}

/** A `declare` statement (the checker allows each kind once). */
export type DeclareNode =
  | { readonly kind: 'database'; readonly name: string; readonly pos: SourcePosition }
  | { readonly kind: 'auto_oid'; readonly size: number; readonly pos: SourcePosition }
  | {
      readonly kind: 'oid'
      readonly struct: string
      readonly structPos: SourcePosition
      readonly size: number
      readonly pos: SourcePosition
    }

export interface SchemaNode {
  readonly declares: readonly DeclareNode[]
  readonly structs: readonly StructNode[]
  readonly enums: readonly EnumNode[]
  readonly classes: readonly ClassNode[]
  /** The start of the text, where a missing `declare database` is reported. */
  readonly start: SourcePosition
}

/**
 * The wire form of replication messages: a msgpack array `[PROTOCOL_VERSION, tag, ...fields]`
 * where `tag` is the message's index in MESSAGE_KINDS, except for the per-commit messages
 * (Change, Ack, AckRequest), which have a fixed binary layout (codec-fixed.ts). Only this file
 * and codec-fixed.ts in src/ha touch bytes. Encoding validates the message first; decoding
 * validates every field and returns either a whole frozen message or a ProtocolError
 * (TDB_FRAME_MALFORMED), never half a message and never throws.
 *
 * @example
 * const decoded = decodeMessage(encodeMessage(Ack.create({ seq: 4n })))
 * if (decoded instanceof ProtocolError) closeConnection(decoded.code)
 */
import { Packr } from 'msgpackr'
import { ERROR_CODES, ProtocolError } from '../errors.js'
import type { ErrorCode } from '../errors.js'
import { assert, unreachable } from '../util/assert.js'
import type { ChangeOp } from '../txn/change-set.js'
import { decodeFixed, encodeFixed, FIXED_FRAME_MARK, isFixedKind } from './codec-fixed.js'
import { MESSAGE_KINDS, PROTOCOL_VERSION } from './messages.js'
import type { ClassInfo, Message, MessageKind } from './messages.js'

// Plain arrays and maps only; 64-bit integers come back as bigint, so sequencers round-trip.
const packr = new Packr({ useRecords: false, int64AsType: 'bigint', moreTypes: false })

/** The largest sequencer a message may carry (the sequencer is an unsigned 64-bit count). */
export const SEQ_MAX = 2n ** 64n - 1n

type Fields = unknown[]

/** Encodes a message; an invalid message is a programmer error (AssertionError). */
export function encodeMessage(message: Message): Uint8Array {
  if (isFixedKind(message)) return encodeFixed(message)
  const tag = MESSAGE_KINDS.indexOf(message.kind)
  assert(tag >= 0, `unknown message kind ${String(message.kind)}`)
  const fields = fieldsOf(message)
  // Validating our own output the way a peer will catches a bad message at its source.
  const frame = [PROTOCOL_VERSION, tag, ...fields]
  const checked = messageFrom(message.kind, fields)
  if (checked instanceof ProtocolError) assert(false, `invalid ${message.kind}: ${checked.message}`)
  return packr.pack(frame)
}

/** Decodes one frame into a message, or returns the ProtocolError that says what is wrong. */
export function decodeMessage(bytes: Uint8Array): Message | ProtocolError {
  if (bytes[0] === FIXED_FRAME_MARK) {
    const fixed = decodeFixed(bytes)
    return typeof fixed === 'string' ? malformed(fixed) : fixed
  }
  let frame: unknown
  try {
    frame = packr.unpack(bytes)
  } catch (cause) {
    return malformed('the frame is not valid msgpack', cause)
  }
  if (!Array.isArray(frame) || frame.length < 2) return malformed('the frame is not a message')
  const version = asNumber(frame[0])
  if (version !== PROTOCOL_VERSION) {
    return malformed(`protocol version ${String(frame[0])}, expected ${PROTOCOL_VERSION}`)
  }
  const tag = asNumber(frame[1])
  const kind = tag === null ? undefined : MESSAGE_KINDS[tag]
  if (kind === undefined) return malformed(`unknown message tag ${String(frame[1])}`)
  return messageFrom(kind, frame.slice(2))
}

function fieldsOf(message: Message): Fields {
  switch (message.kind) {
    case 'Attach':
      return [
        message.protocolVersion,
        message.dbName,
        message.classes.map((c) => [c.id, c.shapeHash, c.local]),
        message.filter,
        message.seq,
        message.generation,
        message.forceSync,
      ]
    case 'AttachAccepted':
      return [
        message.mode,
        message.windowSize,
        message.sync,
        message.masterSeq,
        message.memorySizeBytes,
        message.generation,
      ]
    case 'AttachRefused':
      return [message.code, message.message]
    case 'LoadBegin':
      return [message.masterSeq, message.batchObjects]
    case 'LoadBatch':
      return [message.ops]
    case 'LoadEnd':
    case 'StatefulEnd':
    case 'AckRequest':
    case 'Ack':
      return [message.seq]
    case 'StatefulBegin':
      return [message.fromSeq, message.toSeq]
    case 'Change':
      return [message.seq, message.changeSet, message.ack]
    case 'KeepAlive':
      return []
    case 'Detach':
      return [message.message]
    case 'Extend':
      return [message.bytes]
    default:
      return unreachable(message, 'message kind')
  }
}

/** Builds a frozen message of `kind` from its wire fields, checking each one. */
function messageFrom(kind: MessageKind, fields: Fields): Message | ProtocolError {
  const read = new FieldReader(kind, fields)
  const message = readFields(kind, read)
  if (read.error !== null) return read.error
  if (!read.atEnd()) return malformed(`${kind} has ${fields.length} fields, too many`)
  return Object.freeze({ kind, ...message }) as Message
}

function readFields(kind: MessageKind, read: FieldReader): Record<string, unknown> {
  switch (kind) {
    case 'Attach':
      return {
        protocolVersion: read.integer('protocolVersion'),
        dbName: read.text('dbName'),
        classes: read.classes('classes'),
        filter: read.boolean('filter'),
        seq: read.seq('seq'),
        generation: read.integer('generation'),
        forceSync: read.boolean('forceSync'),
      }
    case 'AttachAccepted':
      return {
        mode: read.oneOf('mode', ['sync', 'async']),
        windowSize: read.integer('windowSize'),
        sync: read.oneOf('sync', ['equal', 'stateful', 'full']),
        masterSeq: read.seq('masterSeq'),
        memorySizeBytes: read.integer('memorySizeBytes'),
        generation: read.integer('generation'),
      }
    case 'AttachRefused':
      return { code: read.errorCode('code'), message: read.text('message') }
    case 'LoadBegin':
      return { masterSeq: read.seq('masterSeq'), batchObjects: read.integer('batchObjects') }
    case 'LoadBatch':
      return { ops: read.ops('ops') }
    case 'LoadEnd':
    case 'StatefulEnd':
    case 'AckRequest':
    case 'Ack':
      return { seq: read.seq('seq') }
    case 'StatefulBegin':
      return { fromSeq: read.seq('fromSeq'), toSeq: read.seq('toSeq') }
    case 'Change':
      return { seq: read.seq('seq'), changeSet: read.bytes('changeSet'), ack: read.boolean('ack') }
    case 'KeepAlive':
      return {}
    case 'Detach':
      return { message: read.text('message') }
    case 'Extend':
      return { bytes: read.integer('bytes') }
    default:
      return unreachable(kind, 'message kind')
  }
}

/**
 * Reads wire fields in order. The first bad field records a ProtocolError naming the message
 * and the field; later reads return placeholders that are never used.
 */
class FieldReader {
  error: ProtocolError | null = null
  #index = 0
  readonly #kind: MessageKind
  readonly #fields: Fields

  constructor(kind: MessageKind, fields: Fields) {
    this.#kind = kind
    this.#fields = fields
  }

  atEnd(): boolean {
    return this.#index === this.#fields.length
  }

  integer(name: string): number {
    const value = asNumber(this.#next(name))
    if (value === null || value < 0) return this.#fail(name, 'a safe integer >= 0', 0)
    return value
  }

  seq(name: string): bigint {
    const value = this.#next(name)
    const number = asNumber(value)
    const seq = typeof value === 'bigint' ? value : number === null ? -1n : BigInt(number)
    if (seq < 0n || seq > SEQ_MAX) return this.#fail(name, 'an unsigned 64-bit sequencer', 0n)
    return seq
  }

  text(name: string): string {
    const value = this.#next(name)
    return typeof value === 'string' ? value : this.#fail(name, 'a string', '')
  }

  boolean(name: string): boolean {
    const value = this.#next(name)
    return typeof value === 'boolean' ? value : this.#fail(name, 'a boolean', false)
  }

  oneOf(name: string, allowed: readonly string[]): string {
    const value = this.#next(name)
    if (typeof value === 'string' && allowed.includes(value)) return value
    return this.#fail(name, `one of ${allowed.join(', ')}`, allowed[0] ?? '')
  }

  errorCode(name: string): ErrorCode {
    const value = this.#next(name)
    if (typeof value === 'string' && Object.hasOwn(ERROR_CODES, value)) return value as ErrorCode
    return this.#fail(name, 'a tandemdb error code', 'TDB_PROTOCOL')
  }

  bytes(name: string): Uint8Array {
    const value = this.#next(name)
    // A private copy: the decoder may hand out a view into a buffer it reuses.
    if (value instanceof Uint8Array) return Uint8Array.from(value)
    return this.#fail(name, 'bytes', new Uint8Array(0))
  }

  classes(name: string): readonly ClassInfo[] {
    const value = this.#next(name)
    if (!Array.isArray(value)) return this.#fail(name, 'an array of classes', [])
    const classes: ClassInfo[] = []
    for (const entry of value as unknown[]) {
      const info = classInfoFrom(entry)
      if (info === null) return this.#fail(name, '[id, shapeHash, local] entries', [])
      classes.push(info)
    }
    return Object.freeze(classes)
  }

  ops(name: string): readonly ChangeOp[] {
    const value = this.#next(name)
    if (!Array.isArray(value) || !value.every(isChangeOp)) {
      return this.#fail(name, 'an array of change ops', [])
    }
    return Object.freeze(value as ChangeOp[])
  }

  #next(name: string): unknown {
    if (this.#index >= this.#fields.length) {
      this.#fail(name, 'a value (the message ends early)', undefined)
      return undefined
    }
    return this.#fields[this.#index++]
  }

  #fail<T>(name: string, expected: string, placeholder: T): T {
    this.error ??= malformed(`${this.#kind}.${name} is not ${expected}`)
    return placeholder
  }
}

function classInfoFrom(entry: unknown): ClassInfo | null {
  if (!Array.isArray(entry) || entry.length !== 3) return null
  const id = asNumber(entry[0])
  const [, shapeHash, local] = entry as unknown[]
  if (id === null || id < 1 || typeof shapeHash !== 'string' || typeof local !== 'boolean') {
    return null
  }
  return Object.freeze({ id, shapeHash, local })
}

/** The shape rules of src/txn/change-set.ts, checked without throwing. */
function isChangeOp(op: unknown): boolean {
  if (!Array.isArray(op)) return false
  const shapeOk =
    (op.length === 5 && (op[0] === 1 || op[0] === 2) && Array.isArray(op[4])) ||
    (op.length === 4 && op[0] === 3)
  return shapeOk && [op[1], op[2], op[3]].every((n) => asNumber(n) !== null)
}

/** A safe integer from a number or a bigint that fits; null otherwise. */
function asNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : null
  if (typeof value === 'bigint') {
    const big = value
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(big)
      : null
  }
  return null
}

function malformed(message: string, cause?: unknown): ProtocolError {
  const text = `malformed replication message: ${message}`
  return new ProtocolError('TDB_FRAME_MALFORMED', text, {}, cause === undefined ? {} : { cause })
}

/** The encoded size of a value (hot-load batches are cut near hotsyncMsgBytes with it). */
export function encodedSize(value: unknown): number {
  return packr.pack(value).length
}

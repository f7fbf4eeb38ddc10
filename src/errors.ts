/**
 * Every error tandemdb throws is a `TandemError` with a stable `code` from this one table.
 * Codes are API: never renamed, never reused. A code exists only where a caller would react
 * to it differently; `extremedb` names the eXtremeDB return code it corresponds to.
 */
export const ERROR_CODES = {
  // Schema (compile and loadDictionary).
  TDB_SCHEMA_SYNTAX: { extremedb: null, description: 'The schema text is not valid DDL.' },
  TDB_SCHEMA_INVALID: {
    extremedb: null,
    description: 'The schema parses but is inconsistent (unknown type, duplicate name, bad key).',
  },
  TDB_SCHEMA_UNSUPPORTED: {
    extremedb: null,
    description:
      'The schema uses a DDL construct tandemdb does not implement (events, TTL, rtree, ...).',
  },
  // Store and transactions.
  TDB_OUT_OF_MEMORY: {
    extremedb: 'MCO_E_NOMEM',
    description:
      'The write would exceed the database memory size; the transaction was rolled back.',
  },
  TDB_DUPLICATE_KEY: {
    extremedb: 'MCO_S_DUPLICATE',
    description: 'A unique index already holds the key; the transaction was rolled back.',
  },
  TDB_NOT_FOUND: { extremedb: 'MCO_S_NOTFOUND', description: 'No object with that id exists.' },
  TDB_INVALID_ARGUMENT: {
    extremedb: 'MCO_E_ILLEGAL_PARAM',
    description: 'A value, class, field or index name does not fit the dictionary or the call.',
  },
  TDB_TXN_NOT_ACTIVE: {
    extremedb: 'MCO_E_TRANS_NOT_ACTIVE',
    description: 'The transaction (or a cursor of it) was used after it ended.',
  },
  TDB_TXN_ACCESS: {
    extremedb: 'MCO_E_ACCESS',
    description: 'A write was attempted in a read-only transaction.',
  },
  TDB_TXN_ASYNC: {
    extremedb: null,
    description:
      'A write transaction function returned a promise; write functions must be synchronous.',
  },
  TDB_TXN_NESTED: {
    extremedb: 'MCO_E_TRANSACT',
    description: 'A write transaction was started inside another one.',
  },
  TDB_CLOSED: { extremedb: null, description: 'The database is closed.' },
  // Log and recovery.
  TDB_LOG_CORRUPT: {
    extremedb: 'MCO_E_TL_INVALID_LOG',
    description: 'A log or snapshot record fails its checksum where valid records follow it.',
  },
  TDB_LOG_IO: {
    extremedb: 'MCO_E_TL_IO_ERROR',
    description: 'The disk refused a log write or flush (full disk, permission, I/O error).',
  },
  // Replication.
  TDB_READ_ONLY_REPLICA: {
    extremedb: 'MCO_E_HA_NOWRITETXN',
    description: 'A write transaction was started on a replica.',
  },
  TDB_NO_QUORUM: {
    extremedb: 'MCO_E_HA_NO_QUORUM',
    description: 'Fewer active sync replicas than the quorum; the write was refused.',
  },
  TDB_INCOMPATIBLE_MODES: {
    extremedb: 'MCO_E_HA_INCOMPATIBLE_MODES',
    description:
      'The replication parameters contradict each other (quorum with async or window > 1).',
  },
  TDB_INVALID_PARAMETER: {
    extremedb: 'MCO_E_HA_INVALID_PARAMETER',
    description: 'A replication or log parameter is out of range.',
  },
  TDB_DICTIONARY_MISMATCH: {
    extremedb: 'MCO_E_HA_BAD_DICT',
    description: 'The replica and master replicate different dictionaries.',
  },
  TDB_PROTOCOL: {
    extremedb: 'MCO_E_HA_PROTOCOLERR',
    description: 'The peer sent a message that breaks the replication protocol.',
  },
  TDB_MAX_REPLICAS: {
    extremedb: 'MCO_E_HA_MANYREPLICAS',
    description: 'The master already serves its maximum number of replicas.',
  },
  TDB_NOT_MASTER: { extremedb: 'MCO_E_NOT_MASTER', description: 'The call needs a master.' },
  TDB_NOT_REPLICA: { extremedb: 'MCO_E_HA_NOT_REPLICA', description: 'The call needs a replica.' },
  TDB_STOPPED: { extremedb: 'MCO_E_HA_STOPPED', description: 'Replication was stopped.' },
  TDB_CANCELLED: { extremedb: 'MCO_E_HA_CANCEL', description: 'A pending attach was cancelled.' },
  TDB_BUFFER_FULL: {
    extremedb: null,
    description: 'The async replication buffer is full and its overflow limit reached.',
  },
  // Channels and frames.
  TDB_CHANNEL_NOT_REGISTERED: {
    extremedb: 'MCO_E_HA_CHANNEL_NOT_REGISTERED',
    description: 'No registered channel accepts the connection string.',
  },
  TDB_FRAME_TOO_LARGE: {
    extremedb: 'MCO_E_HA_INVALID_MESSAGE',
    description: 'A frame is larger than the channel frame cap; the connection was closed.',
  },
  TDB_FRAME_MALFORMED: {
    extremedb: 'MCO_E_HA_INVALID_MESSAGE',
    description: 'A frame or message could not be decoded; the connection was closed.',
  },
  TDB_FRAME_INCOMPLETE: {
    extremedb: null,
    description: 'A frame was cut short (more bytes are needed to decode it).',
  },
  TDB_CONNECTION_BROKEN: {
    extremedb: 'MCO_E_NW_RECVERR',
    description: 'The connection broke (reset, closed by the peer, or unreachable).',
  },
  TDB_CHANNEL_CLOSED: {
    extremedb: 'MCO_E_NW_CLOSED',
    description: 'The channel or connection was used after it was closed.',
  },
  TDB_TIMEOUT: {
    extremedb: 'MCO_E_HA_TIMEOUT',
    description: 'An operation did not finish in time.',
  },
  // Programmer errors.
  TDB_INTERNAL: {
    extremedb: null,
    description: 'An internal invariant failed (a bug in tandemdb); never caught by tandemdb.',
  },
} as const

export type ErrorCode = keyof typeof ERROR_CODES

/** The base of every error tandemdb throws. Match on `code`, not on the message. */
export class TandemError extends Error {
  readonly code: ErrorCode
  /** Structured facts about the failure (file, offset, class, key, ...). */
  readonly details: Readonly<Record<string, unknown>>

  constructor(
    code: ErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'TandemError'
    this.code = code
    this.details = details
  }

  /** The eXtremeDB return code this error corresponds to, where one exists. */
  get extremedbCode(): string | null {
    return ERROR_CODES[this.code].extremedb
  }
}

/** A schema that does not compile: where, what was expected, what was found. */
export class SchemaError extends TandemError {
  readonly file: string
  readonly line: number
  readonly column: number
  readonly expected: string | null
  readonly found: string | null

  constructor(
    code: 'TDB_SCHEMA_SYNTAX' | 'TDB_SCHEMA_INVALID' | 'TDB_SCHEMA_UNSUPPORTED',
    where: { file: string; line: number; column: number },
    message: string,
    expected: string | null = null,
    found: string | null = null,
  ) {
    super(code, `${where.file}:${where.line}:${where.column}: ${message}`, {
      ...where,
      expected,
      found,
    })
    this.name = 'SchemaError'
    this.file = where.file
    this.line = where.line
    this.column = where.column
    this.expected = expected
    this.found = found
  }
}

/** Store failures: out of memory, duplicate key, unknown object. */
export class StoreError extends TandemError {
  override readonly name = 'StoreError'
}

/** Transaction misuse or refusal. */
export class TxnError extends TandemError {
  override readonly name = 'TxnError'
}

/** Log and snapshot failures; `details.file` and `details.offset` say where. */
export class LogError extends TandemError {
  override readonly name = 'LogError'
}

/** Replication refusals and failures (no quorum, read-only replica, bad dictionary, ...). */
export class ReplicationError extends TandemError {
  override readonly name = 'ReplicationError'
}

/** Channel and connection failures. */
export class ChannelError extends TandemError {
  override readonly name = 'ChannelError'
}

/** A peer broke the wire protocol: malformed, truncated or oversized frame. */
export class ProtocolError extends TandemError {
  override readonly name = 'ProtocolError'
}

/** A broken internal invariant. Programmer error: it is never caught inside tandemdb. */
export class AssertionError extends TandemError {
  override readonly name = 'AssertionError'
  constructor(message: string) {
    super('TDB_INTERNAL', message)
  }
}

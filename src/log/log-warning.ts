/**
 * Warnings of the log: things that went wrong but did not stop the database. Each is a plain
 * object with a stable `code`, a message that says what and where, and the facts as fields.
 */

export type LogWarning =
  /** Recovery cut a torn or corrupt tail: `bytesDropped` bytes of `file` from `offset` on. */
  | {
      readonly code: 'TDB_LOG_TAIL_TRUNCATED'
      readonly message: string
      readonly file: string
      readonly offset: number
      readonly bytesDropped: number
    }
  /** A snapshot failed its checks on open and was passed over for an older one. */
  | { readonly code: 'TDB_LOG_SNAPSHOT_INVALID'; readonly message: string; readonly file: string }
  /** An automatic checkpoint failed; the log stays valid and the next one will retry. */
  | {
      readonly code: 'TDB_LOG_CHECKPOINT_FAILED'
      readonly message: string
      readonly error: unknown
    }

/** The default warning handler: one line on stderr. */
export function printLogWarning(warning: LogWarning): void {
  process.stderr.write(`tandemdb: ${warning.code}: ${warning.message}\n`)
}

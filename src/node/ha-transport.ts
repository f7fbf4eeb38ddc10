/**
 * What the master driver needs from the place its replica connections live: the main thread
 * (sync mode, ha-listeners.ts) or the async sender worker (async mode, async-sender.ts).
 * Connections are numbered by the transport; events come back through `MasterTransportEvents`.
 */
import type { ErrorCode } from '../errors.js'
import type { ChannelCounters } from '../ha/status.js'
import type { ConnId } from '../ha/inputs.js'
import type { AsyncStreamHandoff } from '../ha/ready.js'
import type { CommitRecord } from '../txn/commit-hook.js'

export interface MasterTransportEvents {
  /** A replica connected (its channel name and printable remote address). */
  connected(conn: ConnId, channel: string, remote: string): void
  /** A whole frame arrived from a replica. */
  frame(conn: ConnId, frame: Uint8Array): void
  /** The connection ended; `code` null when it closed cleanly. */
  disconnected(conn: ConnId, code: ErrorCode | null): void
}

export interface MasterTransport {
  /** The connection strings replicas can use, with real ports (`:tcp:127.0.0.1:43121`). */
  readonly addresses: readonly string[]
  /** Sends one encoded message to a replica; a closed connection drops it. */
  send(conn: ConnId, frame: Uint8Array): void
  /** Closes a connection after the frames queued to it. */
  close(conn: ConnId): void
  /** From now on the connection gets every change set above `fromSeq` (async transport only). */
  streamFrom(handoff: AsyncStreamHandoff): void
  /** Hears a commit, to stream it to async replicas (a no-op for the sync transport). */
  committed(record: CommitRecord): void
  /** Throws `TDB_BUFFER_FULL` when the transport cannot take more commits for now. */
  checkWrite(): void
  /** The byte counters of a connection, or null when it is unknown. */
  counters(conn: ConnId): ChannelCounters | null
  /** Stops listening and closes every connection. */
  stop(): Promise<void>
}

/**
 * The postMessage protocol between the master's main thread (async-sender.ts) and the sender
 * worker (async-sender-worker.ts). Control traffic only: connections, control frames
 * (handshake, loads, changes for forceSync replicas, acks, keep-alives, detach) and counters.
 * The hot path — change sets of streaming async replicas — goes through the SharedArrayBuffer
 * ring instead (async-records.ts).
 */
import type { ChannelOptions } from '../channels/channel.js'
import type { ErrorCode } from '../errors.js'

/** What the worker is started with (`workerData`). */
export interface SenderWorkerData {
  /** The ring's shared memory (AsyncRing.buffer). */
  readonly ring: SharedArrayBuffer
  /** Connection strings to listen on. */
  readonly listen: readonly string[]
  readonly channelOptions: Partial<ChannelOptions>
  /** A connection with more bytes than this queued and unsent is cut off (too slow). */
  readonly maxPendingBytes: number
  /** How often the worker posts byte counters. */
  readonly countersIntervalMs: number
}

/** Main thread → worker. */
export type ToWorker =
  /** A control frame for `conn` (every one counts toward the stream gate). */
  | { readonly t: 'send'; readonly conn: number; readonly frame: Uint8Array }
  /** Close `conn` once its queued frames are handed to the transport. */
  | { readonly t: 'close'; readonly conn: number }
  /** Close listeners and connections, then post `stopped`. */
  | { readonly t: 'stop' }

/** Per-connection byte counters. */
export interface ConnCounters {
  readonly conn: number
  readonly bytesSent: number
  readonly bytesReceived: number
  readonly pendingBytes: number
}

/** Worker → main thread. */
export type FromWorker =
  | { readonly t: 'listening'; readonly addresses: readonly string[] }
  | {
      readonly t: 'listenFailed'
      readonly code: ErrorCode
      readonly message: string
      readonly address: string
    }
  | {
      readonly t: 'connected'
      readonly conn: number
      readonly channel: string
      readonly remote: string
    }
  | { readonly t: 'frame'; readonly conn: number; readonly frame: Uint8Array }
  /** `code` TDB_BUFFER_FULL: the worker cut the connection off because it could not keep up. */
  | { readonly t: 'closed'; readonly conn: number; readonly code: ErrorCode | null }
  | { readonly t: 'counters'; readonly counters: readonly ConnCounters[] }
  | { readonly t: 'stopped' }
  /** An unexpected failure inside the worker (a bug); the main thread fails loudly. */
  | { readonly t: 'crashed'; readonly message: string }

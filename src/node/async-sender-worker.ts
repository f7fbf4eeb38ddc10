/**
 * The async sender worker thread (DESIGN "Replication", async mode; eXtremeDB's
 * `mco_HA_async_send_data_to_replicas` loop). In async mode this thread hosts the master's
 * listeners and every replica connection. Control frames come and go by postMessage (the
 * MasterCore stays on the main thread); change sets of streaming async replicas come through
 * the SharedArrayBuffer ring and go straight to the sockets without touching the main thread.
 *
 * Ordering: a `stream` record in the ring switches a connection to streaming. The record
 * carries how many control messages the main thread had posted for that connection before
 * it; until this worker has handled that many, the change sets for the connection wait in a
 * per-connection queue, so that the last frames of its load always go out before its first
 * streamed change set. Change sets at or below the record's `fromSeq` are skipped: the load
 * (or catch-up) already carried them. Nothing is lost or sent twice at the handoff.
 *
 * A connection whose queued, unsent bytes pass `maxPendingBytes` cannot keep up: it is closed
 * and reported with `TDB_BUFFER_FULL`; the replica re-syncs when it attaches again.
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { Connection, Listener } from '../channels/channel.js'
import { listen } from '../channels/registry.js'
import { TandemError } from '../errors.js'
import type { ErrorCode } from '../errors.js'
import { encodeMessage } from '../ha/codec.js'
import { Change } from '../ha/messages.js'
import { filterChangeSet } from '../txn/change-set.js'
import { assert } from '../util/assert.js'
import { decodeAsyncRecord } from './async-records.js'
import type { AsyncRecord } from './async-records.js'
import { AsyncRing } from './async-ring.js'
import type { FromWorker, SenderWorkerData, ToWorker } from './async-sender-protocol.js'

/** Records, and bytes, handled before the loop yields to the event loop (sockets, control). */
const RECORDS_PER_TURN = 4096
const BYTES_PER_TURN = 1024 * 1024
/**
 * The longest the worker sleeps on an empty ring before it looks again. Wake-ups are
 * notified, so this only bounds the delay should one be lost: the stream never stalls.
 */
const RING_RECHECK_MS = 50

interface StreamState {
  readonly fromSeq: bigint
  readonly skip: ReadonlySet<number>
  readonly skipKey: string
  /** Control messages to handle before streamed frames may go out. */
  readonly gateCount: number
}

interface WorkerConn {
  readonly id: number
  readonly connection: Connection
  controlReceived: number
  stream: StreamState | null
  gated: Uint8Array[]
  tooSlow: boolean
}

const port = parentPort
assert(port !== null, 'async-sender-worker runs in a worker thread')
const data = workerData as SenderWorkerData
const ring = AsyncRing.attach(data.ring)
const conns = new Map<number, WorkerConn>()
const listeners: Listener[] = []
let nextConnId = 1
let parts: Uint8Array[] = []
let stopping = false

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer)
}

function onConnection(connection: Connection): void {
  if (stopping) {
    connection.close()
    return
  }
  const conn: WorkerConn = {
    id: nextConnId++,
    connection,
    controlReceived: 0,
    stream: null,
    gated: [],
    tooSlow: false,
  }
  conns.set(conn.id, conn)
  post({ t: 'connected', conn: conn.id, channel: connection.channel, remote: connection.remote })
  connection.onFrame((frame) => {
    // A copy of its own (a Buffer's slice is a view): only the copy's memory is transferred.
    const copy = new Uint8Array(frame)
    post({ t: 'frame', conn: conn.id, frame: copy }, [copy.buffer as ArrayBuffer])
  })
  connection.onClose((error) => {
    conns.delete(conn.id)
    const code: ErrorCode | null = conn.tooSlow ? 'TDB_BUFFER_FULL' : (error?.code ?? null)
    post({ t: 'closed', conn: conn.id, code })
  })
}

function sendTo(conn: WorkerConn, frame: Uint8Array): void {
  if (conn.tooSlow) return
  try {
    conn.connection.send(frame)
  } catch (error) {
    // The connection closed under us; its onClose reports it.
    if (error instanceof TandemError) return
    throw error
  }
  if (conn.connection.pendingBytes > data.maxPendingBytes) {
    conn.tooSlow = true
    conn.connection.close()
  }
}

function onControl(message: ToWorker): void {
  switch (message.t) {
    case 'send': {
      const conn = conns.get(message.conn)
      if (conn === undefined) return
      conn.controlReceived++
      sendTo(conn, message.frame)
      releaseGate(conn)
      return
    }
    case 'close':
      conns.get(message.conn)?.connection.close()
      return
    case 'stop':
      void stop()
      return
  }
}

function releaseGate(conn: WorkerConn): void {
  if (conn.stream === null || conn.controlReceived < conn.stream.gateCount) return
  const gated = conn.gated
  conn.gated = []
  for (const frame of gated) sendTo(conn, frame)
}

function onRecord(record: AsyncRecord): void {
  switch (record.type) {
    case 'part':
      parts.push(record.bytes)
      return
    case 'stream': {
      const conn = conns.get(record.conn)
      if (conn === undefined) return
      assert(conn.stream === null, `connection ${conn.id} handed to the async stream twice`)
      const skip = new Set(record.skipClassIds)
      const skipKey = [...skip].sort((a, b) => a - b).join(',')
      conn.stream = { fromSeq: record.fromSeq, skip, skipKey, gateCount: record.controlCount }
      return
    }
    case 'change': {
      const changeSet = parts.length === 0 ? record.bytes : joined([...parts, record.bytes])
      parts = []
      broadcast(record.seq, record.hasLocal, changeSet)
      return
    }
  }
}

function broadcast(seq: bigint, hasLocal: boolean, changeSet: Uint8Array): void {
  // One encoding per distinct filter, shared by every connection that uses it.
  const frames = new Map<string, Uint8Array>()
  for (const conn of conns.values()) {
    const stream = conn.stream
    if (stream === null || seq <= stream.fromSeq) continue
    const key = hasLocal ? stream.skipKey : ''
    let frame = frames.get(key)
    if (frame === undefined) {
      const bytes =
        key === '' ? changeSet : filterChangeSet(changeSet, (classId) => stream.skip.has(classId))
      frame = encodeMessage(Change.create({ seq, changeSet: bytes, ack: false }))
      frames.set(key, frame)
    }
    if (conn.controlReceived < stream.gateCount) conn.gated.push(frame)
    else sendTo(conn, frame)
  }
}

function joined(pieces: readonly Uint8Array[]): Uint8Array {
  let length = 0
  for (const piece of pieces) length += piece.byteLength
  const whole = new Uint8Array(length)
  let offset = 0
  for (const piece of pieces) {
    whole.set(piece, offset)
    offset += piece.byteLength
  }
  return whole
}

async function drainRing(): Promise<void> {
  for (;;) {
    let handled = 0
    let bytes = 0
    let full = false
    for (let record = ring.read(); record !== undefined; record = ring.read()) {
      onRecord(decodeAsyncRecord(record))
      bytes += record.byteLength
      full = ++handled === RECORDS_PER_TURN || bytes >= BYTES_PER_TURN
      if (full) break
    }
    if (full) {
      await new Promise((resolve) => setImmediate(resolve))
      continue
    }
    if ((await ring.waitReadable(RING_RECHECK_MS)) === 'closed' && ring.usedBytes() === 0) return
  }
}

function postCounters(): void {
  if (conns.size === 0) return
  const counters = [...conns.values()].map(({ id, connection }) => ({
    conn: id,
    bytesSent: connection.bytesSent,
    bytesReceived: connection.bytesReceived,
    pendingBytes: connection.pendingBytes,
  }))
  post({ t: 'counters', counters })
}

async function stop(): Promise<void> {
  if (stopping) return
  stopping = true
  clearInterval(countersTimer)
  await Promise.all(listeners.map((listener) => listener.close()))
  for (const conn of conns.values()) conn.connection.close()
  ring.close()
  post({ t: 'stopped' })
  port?.close()
}

async function start(): Promise<void> {
  for (const address of data.listen) {
    try {
      listeners.push(await listen(address, onConnection, data.channelOptions))
    } catch (error) {
      const code: ErrorCode = error instanceof TandemError ? error.code : 'TDB_CONNECTION_BROKEN'
      post({ t: 'listenFailed', code, message: String((error as Error).message), address })
      await stop()
      return
    }
  }
  post({ t: 'listening', addresses: listeners.map((listener) => listener.address) })
  await drainRing()
}

const countersTimer = setInterval(postCounters, data.countersIntervalMs)
countersTimer.unref()
port.on('message', (message: ToWorker) => onControl(message))
start().catch((error: unknown) => {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
  post({ t: 'crashed', message })
})

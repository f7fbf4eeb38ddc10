/**
 * The master's status table on disk, for `tandemdb status` (Slony's sl_status). The
 * replication protocol has no status request (a replica connection speaks only the
 * replication messages), so `tandemdb serve` writes its MasterStatus as JSON to a status file
 * every few seconds, atomically (write, then rename), and `tandemdb status` reads it. The
 * default path is derived from the listen address, so that `status --connect <address>` on
 * the same machine finds the file of the master listening there: `:tcp:20000` and
 * `:tcp:127.0.0.1:20000` both map to `<tmpdir>/tandemdb-tcp-20000.status.json`.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { TandemError } from '../errors.js'
import type { MasterStatus } from '../ha/status.js'

/** What the status file holds: the master's status, when it was taken, by which process. */
export interface StatusFileContent {
  readonly writtenAtMs: number
  readonly pid: number
  readonly addresses: readonly string[]
  readonly status: MasterStatus
}

/** The default status file of the master listening on (or reached at) `connectionString`. */
export function statusFilePath(connectionString: string): string {
  return path.join(os.tmpdir(), `tandemdb-${statusKey(connectionString)}.status.json`)
}

/** `:tcp:host:20000` → `tcp-20000`; `:pipe:/tmp/x.sock` → `pipe-tmp-x.sock`. */
function statusKey(connectionString: string): string {
  const prefixed = /^:([^:]+):(.*)$/.exec(connectionString)
  const channel = prefixed?.[1] ?? 'tcp'
  const address = prefixed?.[2] ?? connectionString
  const port = /(?:^|:)(\d+)$/.exec(address)?.[1]
  const where = channel === 'tcp' || channel === 'udp' ? (port ?? address) : address
  return `${channel}-${where.replace(/[^A-Za-z0-9.]+/g, '-').replace(/^-+/, '')}`
}

/** Writes the status file atomically (readers never see half a file). */
export function writeStatusFile(file: string, content: StatusFileContent): void {
  const text = JSON.stringify(content, (_, value) =>
    typeof value === 'bigint' ? value.toString() : (value as unknown),
  )
  const temporary = `${file}.${process.pid}.tmp`
  writeFileSync(temporary, text + '\n')
  renameSync(temporary, file)
}

/** Removes the status file (the master stopped). */
export function removeStatusFile(file: string): void {
  rmSync(file, { force: true })
}

/**
 * Reads a status file. Sequencers come back as decimal strings. Throws TandemError
 * `TDB_NOT_FOUND` when there is no file (no master wrote one there).
 */
export function readStatusFile(file: string): StatusFileContent {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (cause) {
    throw new TandemError('TDB_NOT_FOUND', `no status file ${file}`, { file }, { cause })
  }
  return JSON.parse(text) as StatusFileContent
}

/** The status as aligned text lines: the master's line, a header, one line per replica. */
export function formatStatus(status: MasterStatus): string[] {
  const head =
    `master seq ${status.seq}  generation ${status.generation}  mode ${status.mode}  ` +
    `window ${status.windowSize}  quorum ${status.quorum}  ` +
    `active sync ${status.activeSyncReplicas}  backlog ${status.backlogLength}` +
    (status.stopping ? '  STOPPING' : '')
  const rows = status.replicas.map((r) => [
    String(r.conn),
    r.channel,
    r.mode ?? '-',
    r.state,
    r.sync ?? '-',
    String(r.confirmedSeq),
    String(r.lagTransactions),
    String(r.lagMs),
    r.bytesSent === null ? '-' : String(r.bytesSent),
    r.bytesReceived === null ? '-' : String(r.bytesReceived),
    r.loadTotalObjects === null ? '-' : `${r.loadSentObjects}/${r.loadTotalObjects}`,
  ])
  const header = ['id', 'channel', 'mode', 'state', 'sync', 'confirmed', 'lag', 'lagMs']
  header.push('sent', 'recv', 'load')
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)))
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()
  return [head, line(header), ...rows.map(line)]
}

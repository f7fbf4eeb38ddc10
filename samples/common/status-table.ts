/**
 * Formats a master's status (one row per replica: channel, mode, state, confirmed sequencer,
 * lag) as the text lines a sample prints.
 */
import type { MasterStatus } from '../../src/ha/status.js'

/** The status as aligned text lines: a header line, then one line per replica. */
export function statusLines(status: MasterStatus): string[] {
  const header = ['conn', 'channel', 'mode', 'state', 'sync', 'confirmed', 'lag', 'sent']
  const rows = status.replicas.map((r) => [
    String(r.conn),
    r.channel,
    r.mode ?? '-',
    r.state,
    r.sync ?? '-',
    String(r.confirmedSeq),
    String(r.lagTransactions),
    r.bytesSent === null ? '-' : String(r.bytesSent),
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)))
  const line = (cells: string[]): string =>
    cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()
  const title =
    `sequencer ${status.seq}, ${status.mode} mode, window ${status.windowSize}, ` +
    `quorum ${status.quorum}, backlog ${status.backlogLength}`
  return [title, line(header), ...rows.map(line)]
}

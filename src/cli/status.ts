/**
 * `tandemdb status (--connect <connStr> | --status-file PATH) [--json]`: prints the replica
 * table of a master started with `tandemdb serve` on this machine. The replication protocol
 * carries no status request, so serve writes its status to a file every few seconds and this
 * command reads it: `--connect` names the master's address (`:tcp:127.0.0.1:20000`, the same
 * string a replica uses) and maps to serve's default status file; `--status-file` names the
 * file directly. Exit codes: 0 printed, 1 no status found (no master serving there), 2 usage.
 */
import { parseArgs } from 'node:util'
import type { MasterStatus } from '../ha/status.js'
import { formatStatus, readStatusFile, statusFilePath } from '../node/ha-status-file.js'
import { errorText } from './serve.js'
import type { HaCliIo } from './serve.js'

export const STATUS_USAGE =
  'usage: tandemdb status (--connect <connStr> | --status-file PATH) [--json]\n'

/**
 * Runs `tandemdb status`; resolves to the exit code.
 *
 * @example
 * process.exitCode = await statusCommand(['--connect', ':tcp:127.0.0.1:20000'])
 */
export async function statusCommand(
  args: readonly string[],
  io: HaCliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let values
  try {
    values = parseArgs({
      args: [...args],
      options: {
        connect: { type: 'string' },
        'status-file': { type: 'string' },
        json: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }).values
  } catch (error) {
    io.stderr.write(`tandemdb status: ${errorText(error)}\n${STATUS_USAGE}`)
    return 2
  }
  const file =
    values['status-file'] ??
    (values.connect === undefined ? undefined : statusFilePath(values.connect))
  if (file === undefined) {
    io.stderr.write(`tandemdb status: --connect or --status-file is required\n${STATUS_USAGE}`)
    return 2
  }
  let content
  try {
    content = readStatusFile(file)
  } catch (error) {
    const where = values.connect ?? file
    io.stderr.write(
      `tandemdb status: no status for ${where}: is \`tandemdb serve\` running on this ` +
        `machine? (${errorText(error)})\n`,
    )
    return 1
  }
  if (values.json === true) {
    io.stdout.write(`${JSON.stringify(content)}\n`)
    return 0
  }
  const ageMs = Date.now() - content.writtenAtMs
  io.stdout.write(
    `master pid ${content.pid} on ${content.addresses.join(' ')} (status ${ageMs} ms old)\n`,
  )
  // Sequencers were written as decimal strings; formatting prints them as they are.
  for (const line of formatStatus(content.status as MasterStatus)) io.stdout.write(`${line}\n`)
  return 0
}

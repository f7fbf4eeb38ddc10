/**
 * `tandemdb replica --schema <file.mco> --connect <connStr> [--force-sync] [--memory BYTES]
 * [--wait-data-timeout MS] [--status-every MS]`: opens an empty database of the schema,
 * attaches it to the master and follows it, printing every notification and a status line
 * every `--status-every` ms (default 5000). It ends when the attach session ends (the master
 * detached it, the link broke, a timeout) or on SIGINT / SIGTERM (it then detaches cleanly).
 * Exit codes: 0 stopped by the master or locally, 1 any other end (connection lost, refused,
 * timeout), 2 usage.
 */
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { Database } from '../node/database.js'
import { HaReplica } from '../node/ha-replica.js'
import { loadDictionary } from '../schema/load-dictionary.js'
import { errorText, integerOption, notificationLine, signalled } from './serve.js'
import type { HaCliIo } from './serve.js'

export const REPLICA_USAGE =
  'usage: tandemdb replica --schema <file.mco> --connect <connStr> [--force-sync]\n' +
  '         [--memory BYTES] [--wait-data-timeout MS] [--status-every MS]\n'

const DEFAULT_STATUS_EVERY_MS = 5000

interface ReplicaArgs {
  readonly schema: string
  readonly connect: string
  readonly forceSync: boolean
  readonly memorySize: number | undefined
  readonly waitDataTimeoutMs: number | undefined
  readonly statusEveryMs: number
}

/**
 * Runs `tandemdb replica`; resolves to the exit code when the attach session ends.
 *
 * @example
 * const args = ['--schema', 'db.mco', '--connect', ':tcp:127.0.0.1:20000']
 * process.exitCode = await replicaCommand(args)
 */
export async function replicaCommand(
  args: readonly string[],
  io: HaCliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const parsed = parseReplicaArgs(args)
  if (typeof parsed === 'string') {
    io.stderr.write(`tandemdb replica: ${parsed}\n${REPLICA_USAGE}`)
    return 2
  }
  let replica: HaReplica
  try {
    const dictionary = loadDictionary(await readFile(parsed.schema, 'utf8'), parsed.schema)
    const db = await Database.open({ dictionary, memorySize: parsed.memorySize })
    replica = HaReplica.start(db, parsed.connect, {
      forceSync: parsed.forceSync,
      waitDataTimeoutMs: parsed.waitDataTimeoutMs,
      onNotify: (n) => io.stdout.write(`${notificationLine(n)}\n`),
    })
  } catch (error) {
    io.stderr.write(`tandemdb replica: ${errorText(error)}\n`)
    return 1
  }
  replica.synced.then(
    () => io.stdout.write(`[replica] synced at seq ${replica.status().appliedSeq}\n`),
    () => undefined,
  )
  const timer = setInterval(() => {
    const s = replica.status()
    io.stdout.write(
      `[status] ${s.state} mode ${s.mode ?? '-'} sync ${s.sync ?? '-'} applied ${s.appliedSeq}\n`,
    )
  }, parsed.statusEveryMs)
  const stopSignal = io.stopSignal ?? signalled()
  void stopSignal.then(() => replica.stop())
  const stopped = await replica.stopped
  clearInterval(timer)
  const code = stopped.code === null ? '' : ` (${stopped.code})`
  io.stdout.write(`[replica] stopped: ${stopped.name}${code}\n`)
  const clean = ['MASTER_REQUESTED_DISCONNECT', 'STOPPED_BY_LOCAL_REQUEST'].includes(stopped.name)
  return clean ? 0 : 1
}

function parseReplicaArgs(args: readonly string[]): ReplicaArgs | string {
  let values
  try {
    values = parseArgs({
      args: [...args],
      options: {
        schema: { type: 'string' },
        connect: { type: 'string' },
        'force-sync': { type: 'boolean' },
        memory: { type: 'string' },
        'wait-data-timeout': { type: 'string' },
        'status-every': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }).values
  } catch (error) {
    return errorText(error)
  }
  if (values.schema === undefined) return '--schema is required'
  if (values.connect === undefined) return '--connect is required'
  const memory = integerOption('--memory', values.memory)
  const waitData = integerOption('--wait-data-timeout', values['wait-data-timeout'])
  const statusEvery = integerOption('--status-every', values['status-every'])
  for (const value of [memory, waitData, statusEvery]) if (typeof value === 'string') return value
  return {
    schema: values.schema,
    connect: values.connect,
    forceSync: values['force-sync'] ?? false,
    memorySize: memory as number | undefined,
    waitDataTimeoutMs: waitData as number | undefined,
    statusEveryMs: (statusEvery as number | undefined) ?? DEFAULT_STATUS_EVERY_MS,
  }
}

/**
 * `tandemdb serve --schema <file.mco> --listen <connStr> [--listen ...] [--mode sync|async]
 * [--window N] [--quorum Q] [--memory BYTES] [--status-file PATH] [--status-every MS]`:
 * opens an empty database of the schema and serves it as an HA master until SIGINT or
 * SIGTERM. It prints every notification about its replicas, prints a status line every
 * `--status-every` ms (default 5000), and writes its full status table to a status file
 * (default: derived from the first listen address, see src/node/ha-status-file.ts) that
 * `tandemdb status` reads. Exit codes: 0 stopped by a signal, 1 could not start, 2 usage.
 */
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { SchemaError, TandemError } from '../errors.js'
import { Database } from '../node/database.js'
import { HaMaster } from '../node/ha-master.js'
import type { HaMasterOptions } from '../node/ha-master.js'
import type { HaNotification } from '../node/ha-notification.js'
import { formatStatus, removeStatusFile, statusFilePath } from '../node/ha-status-file.js'
import { writeStatusFile } from '../node/ha-status-file.js'
import { loadDictionary } from '../schema/load-dictionary.js'

/** Where the HA commands write; a test passes its own. */
export interface HaCliIo {
  readonly stdout: { write(text: string): unknown }
  readonly stderr: { write(text: string): unknown }
  /** Resolves when the command should stop (default: on SIGINT or SIGTERM). */
  readonly stopSignal?: Promise<unknown>
}

export const SERVE_USAGE =
  'usage: tandemdb serve --schema <file.mco> --listen <connStr> [--listen <connStr> ...]\n' +
  '         [--mode sync|async] [--window N] [--quorum Q] [--memory BYTES]\n' +
  '         [--status-file PATH] [--status-every MS]\n'

const DEFAULT_STATUS_EVERY_MS = 5000

interface ServeArgs {
  readonly schema: string
  readonly listen: string[]
  readonly master: Omit<HaMasterOptions, 'listen'>
  readonly memorySize: number | undefined
  readonly statusFile: string
  readonly statusEveryMs: number
}

/**
 * Runs `tandemdb serve` with the arguments after the subcommand name; resolves to the exit
 * code once stopped.
 *
 * @example
 * process.exitCode = await serveCommand(['--schema', 'db.mco', '--listen', ':tcp:20000'])
 */
export async function serveCommand(
  args: readonly string[],
  io: HaCliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const parsed = parseServeArgs(args)
  if (typeof parsed === 'string') {
    io.stderr.write(`tandemdb serve: ${parsed}\n${SERVE_USAGE}`)
    return 2
  }
  let master: HaMaster
  try {
    const dictionary = loadDictionary(await readFile(parsed.schema, 'utf8'), parsed.schema)
    const db = await Database.open({ dictionary, memorySize: parsed.memorySize })
    master = await HaMaster.start(db, {
      ...parsed.master,
      listen: parsed.listen,
      onNotify: (n) => io.stdout.write(`${notificationLine(n)}\n`),
    })
  } catch (error) {
    io.stderr.write(`tandemdb serve: ${errorText(error)}\n`)
    return 1
  }
  const mode = parsed.master.mode ?? 'sync'
  io.stdout.write(`[serve] ${mode} master listening on ${master.addresses.join(' ')}\n`)
  io.stdout.write(`[serve] status file ${parsed.statusFile}\n`)
  const report = () => {
    const status = master.masterStatus()
    const [head] = formatStatus(status)
    io.stdout.write(`[status] ${head} replicas ${status.replicas.length}\n`)
    writeStatusFile(parsed.statusFile, {
      writtenAtMs: Date.now(),
      pid: process.pid,
      addresses: master.addresses,
      status,
    })
  }
  report()
  const timer = setInterval(report, parsed.statusEveryMs)
  await (io.stopSignal ?? signalled())
  clearInterval(timer)
  io.stdout.write('[serve] stopping: detaching replicas\n')
  await master.stop()
  removeStatusFile(parsed.statusFile)
  io.stdout.write('[serve] stopped\n')
  return 0
}

/** One printed line per notification, after eXtremeDB's sample_HA_replica_notifying. */
export function notificationLine(n: HaNotification): string {
  const who = n.replica === undefined ? '' : ` replica ${n.replica}:`
  const params = [
    n.param1 === undefined ? '' : ` param1=${n.param1}`,
    n.param2 === undefined ? '' : ` param2=${n.param2}`,
  ].join('')
  return `** Notification **${who} ${n.name} (${n.code})${params} ${n.message}`
}

/** Resolves on the first SIGINT or SIGTERM. */
export function signalled(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on)
      process.off('SIGTERM', on)
      resolve(signal)
    }
    process.on('SIGINT', on)
    process.on('SIGTERM', on)
  })
}

/** A readable one-line reason for an error. */
export function errorText(error: unknown): string {
  if (error instanceof SchemaError) return error.message
  if (error instanceof TandemError) return `${error.message} (${error.code})`
  return error instanceof Error ? error.message : String(error)
}

function parseServeArgs(args: readonly string[]): ServeArgs | string {
  let values
  try {
    values = parseArgs({
      args: [...args],
      options: {
        schema: { type: 'string' },
        listen: { type: 'string', multiple: true },
        mode: { type: 'string' },
        window: { type: 'string' },
        quorum: { type: 'string' },
        memory: { type: 'string' },
        'status-file': { type: 'string' },
        'status-every': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }).values
  } catch (error) {
    return errorText(error)
  }
  const listen = values.listen ?? []
  if (values.schema === undefined) return '--schema is required'
  if (listen.length === 0) return 'at least one --listen is required'
  if (values.mode !== undefined && values.mode !== 'sync' && values.mode !== 'async') {
    return `--mode must be sync or async, not ${values.mode}`
  }
  const numbers = {
    window: integerOption('--window', values.window),
    quorum: integerOption('--quorum', values.quorum),
    memory: integerOption('--memory', values.memory),
    statusEvery: integerOption('--status-every', values['status-every']),
  }
  for (const value of Object.values(numbers)) if (typeof value === 'string') return value
  return {
    schema: values.schema,
    listen,
    master: {
      mode: values.mode as 'sync' | 'async' | undefined,
      windowSize: numbers.window as number | undefined,
      quorum: numbers.quorum as number | undefined,
    },
    memorySize: numbers.memory as number | undefined,
    statusFile: values['status-file'] ?? statusFilePath(listen[0] as string),
    statusEveryMs: (numbers.statusEvery as number | undefined) ?? DEFAULT_STATUS_EVERY_MS,
  }
}

/** A positive integer option; a string says what is wrong. */
export function integerOption(
  name: string,
  text: string | undefined,
): number | undefined | string {
  if (text === undefined) return undefined
  const value = Number(text)
  if (Number.isSafeInteger(value) && value >= 0) return value
  return `${name} must be an integer >= 0, not ${text}`
}

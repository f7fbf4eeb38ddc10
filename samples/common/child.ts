/**
 * The child side of a sample: a master or replica program that the sample's runner forked. It
 * prints what happens on its own stdout (one line per event, prefixed with who it is) and
 * answers the runner's requests over the IPC channel, so that the runner can compare content
 * hashes, counts and sequencers between processes.
 */
import { TandemError } from '../../src/errors.js'

/** A request from the runner: `cmd` names a handler of the child. */
export interface SampleRequest {
  readonly id: number
  readonly cmd: string
  readonly args: Readonly<Record<string, unknown>>
}

/** The child's answer to one request. */
export type SampleReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly code: string; readonly message: string }

/** An event the child reports without being asked (`ready`, `synced`, `stopped`, ...). */
export interface SampleEvent {
  readonly event: string
  readonly [field: string]: unknown
}

// The handlers read their arguments as the runner sent them (structured-clone data).
export type SampleHandler = (args: any) => unknown
export type SampleHandlers = Readonly<Record<string, SampleHandler>>

/** Prints one line as `who: text`. */
export function say(who: string, text: string): void {
  process.stdout.write(`${who}: ${text}\n`)
}

/** Reports an event to the runner. */
export function emit(event: string, fields: Record<string, unknown> = {}): void {
  process.send?.({ event, ...fields } satisfies SampleEvent)
}

/**
 * Answers the runner's requests with `handlers` until the runner goes away or sends `exit`
 * (then `shutdown` runs and the process exits). A handler that throws answers `ok: false`
 * with the error's code (TandemError) or TDB_INTERNAL.
 */
export function serveRunner(
  handlers: SampleHandlers,
  shutdown: () => Promise<void> = async () => undefined,
): void {
  if (process.send === undefined) {
    throw new TandemError('TDB_INVALID_ARGUMENT', 'a sample program is forked by its runner')
  }
  process.on('message', (message: SampleRequest) => {
    if (message.cmd === 'exit') void shutdown().finally(() => process.exit(0))
    else void answer(handlers, message)
  })
  // A runner that died leaves no orphan behind.
  process.on('disconnect', () => process.exit(0))
}

async function answer(handlers: SampleHandlers, request: SampleRequest): Promise<void> {
  const handler = handlers[request.cmd]
  let reply: SampleReply
  try {
    if (handler === undefined) {
      throw new TandemError('TDB_INVALID_ARGUMENT', `unknown sample command '${request.cmd}'`)
    }
    reply = { id: request.id, ok: true, value: await handler(request.args) }
  } catch (error) {
    const code = error instanceof TandemError ? error.code : 'TDB_INTERNAL'
    const message = error instanceof Error ? error.message : String(error)
    reply = { id: request.id, ok: false, code, message }
  }
  process.send?.(reply)
}

/** The JSON argument the runner passed on the command line. */
export function configFromArgv<T>(): T {
  const text = process.argv[2]
  if (text === undefined) {
    throw new TandemError('TDB_INVALID_ARGUMENT', 'a sample program takes its config as argv[2]')
  }
  return JSON.parse(text) as T
}

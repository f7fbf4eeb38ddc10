#!/usr/bin/env node
/**
 * The `tandemdb` command: one subcommand per file of this folder, loaded on demand so that a
 * command pays only for the layers it uses.
 */
type Command = (args: string[]) => Promise<number>

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  compile: {
    summary: 'compile <file.mco> [-o <out.ts>] [--runtime <module>]   DDL -> typed TS module',
    load: async () => (await import('./compile.js')).compileCommand,
  },
  serve: {
    summary: 'serve --schema <f.mco> --listen <conn> [--mode sync|async] [--window N] [--quorum Q]',
    load: async () => (await import('./serve.js')).serveCommand,
  },
  replica: {
    summary: 'replica --schema <f.mco> --connect <conn> [--force-sync]   follow a master',
    load: async () => (await import('./replica.js')).replicaCommand,
  },
  status: {
    summary: 'status --connect <conn>             the replica table of a running master',
    load: async () => (await import('./status.js')).statusCommand,
  },
  demo: {
    summary: 'demo                                     a master, two replica processes, a tour',
    load: async () => (await import('./demo.js')).demoCommand,
  },
}

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  tandemdb ${c.summary}`)
  return `usage:\n${lines.join('\n')}\n`
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv
  const command = name === undefined ? undefined : COMMANDS[name]
  if (command === undefined) {
    process.stderr.write(name === undefined ? usage() : `unknown command '${name}'\n${usage()}`)
    return 2
  }
  return (await command.load())(args)
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error)
    process.stderr.write(`${text}\n`)
    process.exitCode = 1
  },
)

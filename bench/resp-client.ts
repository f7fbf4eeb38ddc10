/**
 * A tiny Redis client (RESP2 over node:net) for the replication benchmark: commands go out in
 * one write per batch, replies come back in order. Enough for SET, GET, MGET, WAIT, INFO, PING.
 */
import net from 'node:net'
import { TandemError } from '../src/errors.js'
import { assert } from '../src/util/assert.js'

/** A decoded reply; an error reply is `{ error }`. */
export type RespValue = string | number | null | RespValue[] | { readonly error: string }

interface Pending {
  resolve(value: RespValue): void
  reject(error: unknown): void
}

const CRLF = '\r\n'

/** Encodes one command as a RESP array of bulk strings. */
export function encodeCommand(args: readonly (string | number)[]): string {
  let text = `*${args.length}${CRLF}`
  for (const arg of args) {
    const value = String(arg)
    text += `$${Buffer.byteLength(value)}${CRLF}${value}${CRLF}`
  }
  return text
}

/** Decodes one reply at `offset`; undefined when the buffer does not hold all of it yet. */
export function decodeReply(
  buffer: Buffer,
  offset: number,
): { value: RespValue; next: number } | undefined {
  const lineEnd = buffer.indexOf(CRLF, offset)
  if (lineEnd < 0) return undefined
  const line = buffer.toString('utf8', offset + 1, lineEnd)
  const afterLine = lineEnd + 2
  switch (String.fromCharCode(buffer[offset] as number)) {
    case '+':
      return { value: line, next: afterLine }
    case '-':
      return { value: { error: line }, next: afterLine }
    case ':':
      return { value: Number(line), next: afterLine }
    case '$': {
      const length = Number(line)
      if (length < 0) return { value: null, next: afterLine }
      if (buffer.length < afterLine + length + 2) return undefined
      const value = buffer.toString('utf8', afterLine, afterLine + length)
      return { value, next: afterLine + length + 2 }
    }
    case '*':
      return decodeArray(buffer, afterLine, Number(line))
    default:
      assert(false, `RESP: unexpected reply type byte ${buffer[offset]}`)
  }
}

function decodeArray(
  buffer: Buffer,
  offset: number,
  count: number,
): { value: RespValue; next: number } | undefined {
  if (count < 0) return { value: null, next: offset }
  const items: RespValue[] = []
  let next = offset
  for (let i = 0; i < count; i++) {
    const item = decodeReply(buffer, next)
    if (item === undefined) return undefined
    items.push(item.value)
    next = item.next
  }
  return { value: items, next }
}

/** One connection to a Redis server. */
export class RespClient {
  readonly #socket: net.Socket
  readonly #pending: Pending[] = []
  #buffer: Buffer = Buffer.alloc(0)

  private constructor(socket: net.Socket) {
    this.#socket = socket
    socket.on('data', (chunk: Buffer) => this.#receive(chunk))
    socket.on('error', (error) => this.#failAll(error))
    socket.on('close', () => {
      this.#failAll(new TandemError('TDB_CONNECTION_BROKEN', 'the Redis connection closed'))
    })
  }

  /** Connects to a server on the loopback. */
  static connect(port: number): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port })
      socket.setNoDelay(true)
      socket.once('error', reject)
      socket.once('connect', () => {
        socket.off('error', reject)
        resolve(new RespClient(socket))
      })
    })
  }

  /** Sends commands in one write; resolves with their replies, in order. */
  send(commands: readonly (readonly (string | number)[])[]): Promise<RespValue[]> {
    const replies = commands.map(
      () => new Promise<RespValue>((resolve, reject) => this.#pending.push({ resolve, reject })),
    )
    this.#socket.write(commands.map(encodeCommand).join(''))
    return Promise.all(replies)
  }

  /** Sends one command. */
  async command(...args: (string | number)[]): Promise<RespValue> {
    const [reply] = await this.send([args])
    return reply as RespValue
  }

  close(): void {
    this.#socket.destroy()
  }

  #receive(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk])
    let offset = 0
    for (;;) {
      if (offset >= this.#buffer.length) break
      const reply = decodeReply(this.#buffer, offset)
      if (reply === undefined) break
      offset = reply.next
      this.#pending.shift()?.resolve(reply.value)
    }
    this.#buffer = this.#buffer.subarray(offset)
  }

  #failAll(error: unknown): void {
    for (const pending of this.#pending.splice(0)) pending.reject(error)
  }
}

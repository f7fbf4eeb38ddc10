// A log device for tests: the real file system, with counts of writes and flushes, and a switch
// that makes the disk refuse writes or flushes with a chosen OS error (ENOSPC, EACCES, EIO).
import type { LogDevice, LogFile } from '../../../src/log/log-device.js'
import { nodeLogDevice } from '../../../src/log/log-device.js'
import type { Clock } from '../../../src/log/clock.js'

export type FailingCall = 'write' | 'datasync' | 'create' | 'snapshot'

export class TestDevice implements LogDevice {
  writes = 0
  datasyncs = 0
  asyncDatasyncs = 0
  /** When set, calls of this kind throw an OS-style error with this code. */
  failing: { call: FailingCall; code: string } | null = null

  #check(call: FailingCall): void {
    if (this.failing?.call !== call) return
    const error = new Error(`${this.failing.code}: simulated ${call} failure`) as Error & {
      code: string
    }
    error.code = this.failing.code
    throw error
  }

  #wrap(file: LogFile): LogFile {
    return {
      path: file.path,
      writeSync: (bytes, position) => {
        this.#check('write')
        this.writes++
        file.writeSync(bytes, position)
      },
      datasyncSync: () => {
        this.#check('datasync')
        this.datasyncs++
        file.datasyncSync()
      },
      datasync: async () => {
        this.#check('datasync')
        this.asyncDatasyncs++
        await file.datasync()
      },
      truncateSync: (bytes) => file.truncateSync(bytes),
      sizeSync: () => file.sizeSync(),
      closeSync: () => file.closeSync(),
    }
  }

  makeDirSync(dir: string): void {
    nodeLogDevice.makeDirSync(dir)
  }
  listSync(dir: string): string[] {
    return nodeLogDevice.listSync(dir)
  }
  readFileSync(file: string): Uint8Array {
    return nodeLogDevice.readFileSync(file)
  }
  openSync(file: string): LogFile {
    return this.#wrap(nodeLogDevice.openSync(file))
  }
  createSync(file: string): LogFile {
    this.#check('create')
    return this.#wrap(nodeLogDevice.createSync(file))
  }
  renameSync(source: string, target: string): void {
    nodeLogDevice.renameSync(source, target)
  }
  unlinkSync(file: string): void {
    nodeLogDevice.unlinkSync(file)
  }
  syncDirSync(dir: string): void {
    nodeLogDevice.syncDirSync(dir)
  }
  async writeFileDurable(file: string, chunks: readonly Uint8Array[]): Promise<void> {
    this.#check('snapshot')
    await nodeLogDevice.writeFileDurable(file, chunks)
  }
  writeFileDurableSync(file: string, chunks: readonly Uint8Array[]): void {
    this.#check('snapshot')
    nodeLogDevice.writeFileDurableSync(file, chunks)
  }
}

/** A clock moved by hand: `advance(ms)` runs the timers that come due. */
export class ManualClock implements Clock {
  #now = 0
  #timers: { at: number; fn: () => void; cancelled: boolean }[] = []

  nowMs(): number {
    return this.#now
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer = { at: this.#now + ms, fn, cancelled: false }
    this.#timers.push(timer)
    return () => {
      timer.cancelled = true
    }
  }

  /** Timers armed and not yet fired or cancelled. */
  get armed(): number {
    return this.#timers.filter((timer) => !timer.cancelled).length
  }

  /** Moves time without running timers, as when the event loop is too busy to run them. */
  skip(ms: number): void {
    this.#now += ms
  }

  advance(ms: number): void {
    this.#now += ms
    const due = this.#timers.filter((timer) => timer.at <= this.#now && !timer.cancelled)
    this.#timers = this.#timers.filter((timer) => timer.at > this.#now && !timer.cancelled)
    for (const timer of due) timer.fn()
  }
}

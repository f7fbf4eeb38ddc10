/**
 * The file system as the log sees it: a few calls over `node:fs`, behind an interface so that
 * tests can put a failing disk (ENOSPC, EACCES, EIO) in its place. Appends and flushes of the
 * commit path are synchronous system calls (a hop through the libuv threadpool costs more than
 * a small write); the flush of the delayed policy and snapshot files go through the threadpool
 * so that commits keep running while the disk works.
 */
import fs from 'node:fs'
import path from 'node:path'

/** An open log file written at explicit positions. */
export interface LogFile {
  readonly path: string
  /** Writes all of `bytes` at `position`. */
  writeSync(bytes: Uint8Array, position: number): void
  /** Forces the file's data (and the size, when it changed) to stable storage: fdatasync. */
  datasyncSync(): void
  /** `datasyncSync` on the threadpool. */
  datasync(): Promise<void>
  truncateSync(bytes: number): void
  sizeSync(): number
  closeSync(): void
}

export interface LogDevice {
  /** Creates the directory (and its parents) when missing. */
  makeDirSync(dir: string): void
  /** The names of the entries of a directory. */
  listSync(dir: string): string[]
  readFileSync(file: string): Uint8Array
  /** Opens an existing file for reading and writing. */
  openSync(file: string): LogFile
  /** Creates a new file; fails when it exists. */
  createSync(file: string): LogFile
  renameSync(source: string, target: string): void
  unlinkSync(file: string): void
  /** Makes the directory's entries (creations, renames, removals) durable: fsync of the dir. */
  syncDirSync(dir: string): void
  /** Creates `file`, writes the chunks in order, fsyncs and closes it, off the main thread. */
  writeFileDurable(file: string, chunks: readonly Uint8Array[]): Promise<void>
  /** `writeFileDurable` on the main thread. */
  writeFileDurableSync(file: string, chunks: readonly Uint8Array[]): void
}

class NodeLogFile implements LogFile {
  readonly path: string
  readonly #fd: number

  constructor(file: string, fd: number) {
    this.path = file
    this.#fd = fd
  }

  writeSync(bytes: Uint8Array, position: number): void {
    let done = 0
    while (done < bytes.length) {
      done += fs.writeSync(this.#fd, bytes, done, bytes.length - done, position + done)
    }
  }

  datasyncSync(): void {
    fs.fdatasyncSync(this.#fd)
  }

  datasync(): Promise<void> {
    return new Promise((resolve, reject) => {
      fs.fdatasync(this.#fd, (error) => (error ? reject(error) : resolve()))
    })
  }

  truncateSync(bytes: number): void {
    fs.ftruncateSync(this.#fd, bytes)
  }

  sizeSync(): number {
    return fs.fstatSync(this.#fd).size
  }

  closeSync(): void {
    fs.closeSync(this.#fd)
  }
}

/** The real file system. */
export const nodeLogDevice: LogDevice = {
  makeDirSync(dir) {
    fs.mkdirSync(dir, { recursive: true })
  },
  listSync(dir) {
    return fs.readdirSync(dir)
  },
  readFileSync(file) {
    return fs.readFileSync(file)
  },
  openSync(file) {
    return new NodeLogFile(file, fs.openSync(file, 'r+'))
  },
  createSync(file) {
    return new NodeLogFile(file, fs.openSync(file, 'wx+'))
  },
  renameSync(source, target) {
    fs.renameSync(source, target)
  },
  unlinkSync(file) {
    fs.unlinkSync(file)
  },
  syncDirSync(dir) {
    // Windows cannot open a directory to fsync it; NTFS journals directory entries itself.
    if (process.platform === 'win32') return
    const fd = fs.openSync(dir, 'r')
    try {
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
  },
  writeFileDurableSync(file, chunks) {
    const fd = fs.openSync(file, 'wx')
    try {
      for (const chunk of chunks) {
        let done = 0
        while (done < chunk.length) done += fs.writeSync(fd, chunk, done, chunk.length - done)
      }
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
  },
  async writeFileDurable(file, chunks) {
    const handle = await fs.promises.open(file, 'wx')
    try {
      let position = 0
      for (const chunk of chunks) {
        let done = 0
        while (done < chunk.length) {
          const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, position)
          done += bytesWritten
          position += bytesWritten
        }
      }
      await handle.sync()
    } finally {
      await handle.close()
    }
  },
}

/** `dir/name`, for the log's own file names. */
export function logPath(dir: string, name: string): string {
  return path.join(dir, name)
}

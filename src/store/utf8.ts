/**
 * UTF-8 helpers for short strings, where a JS loop beats a call into Buffer. Longer strings go
 * through Buffer. Lone surrogates encode as U+FFFD, as Buffer does, so lengths always agree.
 */

/** Strings at most this long are encoded and decoded in JS. */
const SHORT_STRING = 48

/** The UTF-8 byte length of `text`. */
export function utf8Length(text: string): number {
  if (text.length > SHORT_STRING) return Buffer.byteLength(text, 'utf8')
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x80) bytes += 1
    else if (code < 0x800) bytes += 2
    else if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4
      i++
    } else bytes += 3
  }
  return bytes
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff
}

/** Writes `text` (whose UTF-8 length is `length`) into `target` at `offset`. */
export function writeUtf8(target: Buffer, offset: number, text: string, length: number): void {
  if (text.length > SHORT_STRING) {
    target.write(text, offset, length, 'utf8')
    return
  }
  let at = offset
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i)
    if (code < 0x80) {
      target[at++] = code
    } else if (code < 0x800) {
      target[at++] = 0xc0 | (code >> 6)
      target[at++] = 0x80 | (code & 0x3f)
    } else if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      code = 0x10000 + ((code - 0xd800) << 10) + (text.charCodeAt(i + 1) - 0xdc00)
      i++
      target[at++] = 0xf0 | (code >> 18)
      target[at++] = 0x80 | ((code >> 12) & 0x3f)
      target[at++] = 0x80 | ((code >> 6) & 0x3f)
      target[at++] = 0x80 | (code & 0x3f)
    } else {
      if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd
      target[at++] = 0xe0 | (code >> 12)
      target[at++] = 0x80 | ((code >> 6) & 0x3f)
      target[at++] = 0x80 | (code & 0x3f)
    }
  }
}

/** ASCII strings at most this long are decoded in JS; Buffer wins above. */
const SHORT_DECODE = 16

/** Node's Buffer has a direct UTF-8 slice (what `toString('utf8')` calls after its checks). */
interface SliceableBuffer {
  utf8Slice?(start: number, end: number): string
}

const directSlice = typeof (Buffer.prototype as SliceableBuffer).utf8Slice === 'function'
const fromCharCode = String.fromCharCode

function sliceUtf8(source: Buffer, start: number, end: number): string {
  if (directSlice) return (source as SliceableBuffer).utf8Slice!(start, end)
  return source.toString('utf8', start, end)
}

/** Decodes `length` UTF-8 bytes of `source` at `offset`. */
export function readUtf8(source: Buffer, offset: number, length: number): string {
  const end = offset + length
  if (length > SHORT_DECODE) return sliceUtf8(source, offset, end)
  for (let i = offset; i < end; i++) {
    if ((source[i] as number) >= 0x80) return sliceUtf8(source, offset, end)
  }
  // One call with sixteen codes beats a loop of concatenations and a call into C++; codes
  // past the string (or past the buffer: undefined, read as NUL) are cut off.
  const b = source as unknown as ArrayLike<number>
  const o = offset
  const text = fromCharCode(
    b[o] as number, b[o + 1] as number, b[o + 2] as number, b[o + 3] as number,
    b[o + 4] as number, b[o + 5] as number, b[o + 6] as number, b[o + 7] as number,
    b[o + 8] as number, b[o + 9] as number, b[o + 10] as number, b[o + 11] as number,
    b[o + 12] as number, b[o + 13] as number, b[o + 14] as number, b[o + 15] as number,
  )
  return length === SHORT_DECODE ? text : text.slice(0, length)
}

/** Orders two byte ranges by unsigned bytes, then by length (a prefix sorts first). */
export function compareBytes(
  a: Uint8Array,
  aOffset: number,
  aLength: number,
  b: Uint8Array,
  bOffset: number,
  bLength: number,
): number {
  const common = aLength < bLength ? aLength : bLength
  for (let i = 0; i < common; i++) {
    const difference = (a[aOffset + i] as number) - (b[bOffset + i] as number)
    if (difference !== 0) return difference
  }
  return aLength - bLength
}

/** FNV-1a over a byte range, folded into `seed`. */
export function hashBytes(seed: number, bytes: Uint8Array, offset: number, length: number): number {
  let hash = seed ^ 0x811c9dc5
  for (let i = offset; i < offset + length; i++) {
    hash = Math.imul(hash ^ (bytes[i] as number), 0x01000193)
  }
  return hash ^ length
}

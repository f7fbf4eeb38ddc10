import { ChannelError } from '../errors.js'
import type { ChannelOptions } from './channel.js'
import {
  CONNECT_TIMEOUT_MS_DEFAULT,
  CONNECT_TIMEOUT_MS_LIMIT,
  MAX_FRAME_BYTES_DEFAULT,
  MAX_FRAME_BYTES_LIMIT,
} from './limits.js'

/** The options every `listen` and `connect` uses unless told otherwise. */
export const DEFAULT_CHANNEL_OPTIONS: Readonly<ChannelOptions> = Object.freeze({
  maxFrameBytes: MAX_FRAME_BYTES_DEFAULT,
  connectTimeoutMs: CONNECT_TIMEOUT_MS_DEFAULT,
})

/**
 * Fills in defaults and checks ranges. Throws `ChannelError` `TDB_INVALID_PARAMETER` naming
 * the option that is out of range.
 */
export function resolveChannelOptions(options: Partial<ChannelOptions> = {}): ChannelOptions {
  const resolved = {
    maxFrameBytes: options.maxFrameBytes ?? DEFAULT_CHANNEL_OPTIONS.maxFrameBytes,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CHANNEL_OPTIONS.connectTimeoutMs,
  }
  checkRange('maxFrameBytes', resolved.maxFrameBytes, 1, MAX_FRAME_BYTES_LIMIT)
  checkRange('connectTimeoutMs', resolved.connectTimeoutMs, 1, CONNECT_TIMEOUT_MS_LIMIT)
  return resolved
}

/** Throws `TDB_INVALID_PARAMETER` unless `value` is an integer in [min, max]. */
export function checkRange(name: string, value: unknown, min: number, max: number): void {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return
  throw new ChannelError(
    'TDB_INVALID_PARAMETER',
    `channel option ${name} must be an integer in [${min}, ${max}], got ${String(value)}`,
    { option: name, value, min, max },
  )
}

/**
 * Named maxima and defaults of the channels layer. Every queue, frame and retry count in
 * `src/channels` is bounded by a constant here or by a validated option.
 */
import { assert } from '../util/assert.js'

/** Bytes of the length prefix in front of every frame on a byte stream (tcp, pipe). */
export const FRAME_HEADER_BYTES = 4

/** The default frame cap: 16 MiB. A larger frame is refused on send and on receive. */
export const MAX_FRAME_BYTES_DEFAULT = 16 * 1024 * 1024

/** The largest frame cap an application may configure: 1 GiB (the length prefix is a u32). */
export const MAX_FRAME_BYTES_LIMIT = 1024 * 1024 * 1024

/** The default time `connect` waits for the peer before failing with `TDB_TIMEOUT`. */
export const CONNECT_TIMEOUT_MS_DEFAULT = 10_000

/** The largest connect timeout an application may configure: one hour. */
export const CONNECT_TIMEOUT_MS_LIMIT = 60 * 60 * 1000

/**
 * Bytes a stream connection copies into its write batch; larger frames go to the socket as
 * they are, without a copy. Small frames coalesce into one socket write per tick.
 */
export const WRITE_COPY_THRESHOLD_BYTES = 16 * 1024

/** Size of a write-batch slab. Small frames of one tick share slabs of this size. */
export const WRITE_SLAB_BYTES = 64 * 1024

/**
 * Frames a connection may receive before the application registers its first frame handler
 * are held, up to this many bytes; a peer that sends more is cut off.
 */
export const EARLY_FRAMES_MAX_BYTES = 64 * 1024 * 1024

assert(
  WRITE_COPY_THRESHOLD_BYTES + FRAME_HEADER_BYTES <= WRITE_SLAB_BYTES,
  'a copied frame fits a slab',
)
assert(MAX_FRAME_BYTES_DEFAULT <= MAX_FRAME_BYTES_LIMIT, 'default frame cap within limit')
assert(MAX_FRAME_BYTES_LIMIT < 2 ** 32, 'frame cap fits the u32 length prefix')
assert(CONNECT_TIMEOUT_MS_DEFAULT <= CONNECT_TIMEOUT_MS_LIMIT, 'default timeout within limit')

/** How long a closed stream waits for the peer's FIN before its socket is destroyed. */
export const CLOSE_LINGER_MS = 2_000

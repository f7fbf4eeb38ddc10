import { AssertionError } from '../errors.js'

/** Asserts an internal invariant. A failure is a bug in tandemdb, never an operating error. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message)
}

/** Marks a branch that a `switch` over a closed union can never reach. */
export function unreachable(value: never, what: string): never {
  throw new AssertionError(`unreachable ${what}: ${String(value)}`)
}

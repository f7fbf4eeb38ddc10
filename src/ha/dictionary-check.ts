/**
 * Partial replication (`local class`) and the attach-time dictionary check. The master sends
 * the classes that are not local on the master (all of them when its filter is off); the
 * replica writes the classes that are not local on the replica (all when its filter is off).
 * Every class the master sends must exist on the replica with the same id, and where the
 * replica writes it the shape hashes must match. Database names may differ.
 */
import type { ClassInfo } from './messages.js'

/** The ids of the classes a node does not replicate: its local classes while filtering. */
export function skippedClassIds(classes: readonly ClassInfo[], filter: boolean): number[] {
  return filter ? classes.filter((c) => c.local).map((c) => c.id) : []
}

/** One side of the check: a node's classes and whether it honours `local`. */
export interface DictionarySide {
  readonly classes: readonly ClassInfo[]
  readonly filter: boolean
}

/**
 * Null when the replica can follow the master; otherwise a sentence naming the first class
 * that breaks the rule (for AttachRefused and the replica's HANDSHAKE_FAILED).
 */
export function dictionaryMismatch(master: DictionarySide, replica: DictionarySide): string | null {
  const replicaById = new Map(replica.classes.map((c) => [c.id, c]))
  for (const sent of master.classes) {
    if (master.filter && sent.local) continue
    const target = replicaById.get(sent.id)
    if (target === undefined) {
      return `class ${sent.id} is replicated by the master but missing on the replica`
    }
    const written = !(replica.filter && target.local)
    if (written && target.shapeHash !== sent.shapeHash) {
      const shapes = `${target.shapeHash} on the replica, ${sent.shapeHash} on the master`
      return `class ${sent.id} has shape ${shapes}`
    }
  }
  return null
}

/**
 * The child process of the memory measurement: `node --expose-gc memory-child.js <system>
 * <records>` loads the records into one system and prints its figures as one JSON line.
 */
import { MEMORY_SYSTEMS, measureMemory, type MemorySystem } from './memory.js'
import { assert } from '../src/util/assert.js'

const [system, recordsText] = process.argv.slice(2)
assert(MEMORY_SYSTEMS.includes(system as MemorySystem), `unknown system ${system}`)
const records = Number(recordsText)
assert(Number.isSafeInteger(records) && records > 0, `bad record count ${recordsText}`)
process.stdout.write(`${JSON.stringify(await measureMemory(system as MemorySystem, records))}\n`)

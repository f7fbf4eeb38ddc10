// Worker half of async-ring.test.ts: attaches to the ring the test posts, reads `count`
// records and checks each one's length and bytes against the pattern the producer wrote.
import { parentPort, workerData } from 'node:worker_threads'

const { AsyncRing } = await import(workerData.ringModule)
const ring = AsyncRing.attach(workerData.buffer)
const { count, maxRecordBytes, slowEvery } = workerData
let bad = 0
let firstBad = null

function expectedLength(i) {
  return (i * 7919) % (maxRecordBytes + 1)
}

for (let i = 0; i < count; ) {
  const record = ring.read()
  if (record === undefined) {
    const outcome = await ring.waitReadable(5_000)
    if (outcome !== 'ready') {
      parentPort.postMessage({ received: i, bad, firstBad, outcome })
      process.exit(0)
    }
    continue
  }
  const length = expectedLength(i)
  let ok = record.byteLength === length
  for (let j = 0; ok && j < length; j++) ok = record[j] === ((i * 31 + j) & 255)
  if (!ok) {
    bad++
    firstBad ??= { index: i, length: record.byteLength, expected: length }
  }
  i++
  // Pausing now and then lets the producer fill the ring so that it must wait for room.
  if (slowEvery > 0 && i % slowEvery === 0) await new Promise((r) => setTimeout(r, 1))
}
parentPort.postMessage({ received: count, bad, firstBad, outcome: 'done' })

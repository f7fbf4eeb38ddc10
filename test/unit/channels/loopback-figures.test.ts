/**
 * Loopback figures for every built-in channel (DESIGN "Benchmarks": replication throughput
 * and latency over tcp, udp and pipe): the round-trip time of 64-byte frames, one at a
 * time, and the one-way throughput of 1 KiB frames sent in a burst. The figures are printed;
 * the test checks that every frame came back or arrived, in order, so a measurement over a
 * broken channel fails instead of printing a number.
 */
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Connection } from '../../../src/channels/channel.js'
import { Resources, socketLeakCheck } from './harness.js'

const resources = new Resources()
let checkNoLeaks: () => Promise<void> = async () => undefined
beforeAll(() => {
  checkNoLeaks = socketLeakCheck()
})
afterAll(() => checkNoLeaks())
afterEach(() => resources.closeAll())

const ROUND_TRIPS = 2000
const THROUGHPUT_FRAMES = 40_000
const figures: string[] = []

afterAll(() => {
  const header = '| channel | 64 B round trip (median / p99) | 1 KiB one-way |\n|---|---|---|'
  console.log(`\nLoopback figures, Node ${process.version}\n${header}\n${figures.join('\n')}`)
})

const channels = [
  { name: 'pipe', listenString: () => `:pipe:${join(resources.tempDirectory(), 'figures.sock')}` },
  { name: 'tcp', listenString: () => ':tcp:0' },
  { name: 'udp', listenString: () => ':udp:0' },
  { name: 'mem', listenString: () => ':mem:figures' },
]

async function roundTrips(client: Connection): Promise<number[]> {
  const times: number[] = []
  let resolveEcho: (frame: Uint8Array) => void = () => undefined
  client.onFrame((frame) => resolveEcho(frame))
  const frame = new Uint8Array(64)
  for (let i = 0; i < ROUND_TRIPS; i++) {
    frame[0] = i & 0xff
    const echoed = new Promise<Uint8Array>((resolve) => (resolveEcho = resolve))
    const start = performance.now()
    client.send(frame.slice())
    const back = await echoed
    times.push(performance.now() - start)
    expect(back[0]).toBe(i & 0xff)
  }
  return times.sort((a, b) => a - b)
}

async function oneWay(listenString: string): Promise<{ seconds: number; frames: number }> {
  let received = 0
  let outOfOrder = 0
  let resolveDone: (ms: number) => void = () => undefined
  const done = new Promise<number>((resolve) => (resolveDone = resolve))
  const listener = await resources.listen(listenString, (connection) => {
    connection.onFrame((frame) => {
      const index = frame[0]! | (frame[1]! << 8) | (frame[2]! << 16)
      if (index !== received) outOfOrder++
      received++
      if (received === THROUGHPUT_FRAMES) resolveDone(performance.now())
    })
  })
  const client = await resources.connect(listener.address)
  const start = performance.now()
  for (let i = 0; i < THROUGHPUT_FRAMES; i++) {
    const frame = new Uint8Array(1024)
    frame[0] = i & 0xff
    frame[1] = (i >>> 8) & 0xff
    frame[2] = (i >>> 16) & 0xff
    client.send(frame)
  }
  const end = await done
  expect(outOfOrder).toBe(0)
  return { seconds: (end - start) / 1000, frames: received }
}

describe('loopback figures (printed)', () => {
  for (const channel of channels) {
    it(`${channel.name}: 64 B round trips and 1 KiB one-way throughput`, async () => {
      const { client } = await resources.echoPair(channel.listenString())
      const times = await roundTrips(client)
      await resources.closeAll()
      const { seconds, frames } = await oneWay(channel.listenString())
      expect(frames).toBe(THROUGHPUT_FRAMES)
      const median = times[Math.floor(times.length / 2)] as number
      const p99 = times[Math.floor(times.length * 0.99)] as number
      const perSecond = Math.round(frames / seconds)
      const mibPerSecond = ((frames * 1024) / seconds / 2 ** 20).toFixed(1)
      const microseconds = (ms: number): string => `${(ms * 1000).toFixed(0)} µs`
      figures.push(
        `| ${channel.name} | ${microseconds(median)} / ${microseconds(p99)} | ` +
          `${perSecond} frames/s (${mibPerSecond} MiB/s) |`,
      )
    })
  }
})

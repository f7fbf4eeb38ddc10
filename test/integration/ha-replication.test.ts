/**
 * HA replication with real processes on loopback (DESIGN "Replication" and "Testing":
 * integration tests with real processes and sockets). Each test starts a master and replicas
 * as separate Node processes (fixtures/ha-node.mjs, built code under dist/) and drives them
 * over JSON lines: writes on the master, then content hashes, sequencers, notifications and
 * stop reasons on the replicas. Covers sync and async modes, forceSync under async, window N
 * and commitWindow, quorum, read-only replicas, dictionary mismatch, hot full load under
 * writes, stateful catch-up, extend, waitData timeout, detach timeouts and kill -9.
 */
import { afterEach, describe, expect, it } from 'vitest'
import net from 'node:net'
import { cleanupNodes, OTHER_SCHEMA, startMaster, startReplica } from './fixtures/ha-harness.js'
import { tempSocketPath, until } from './fixtures/ha-harness.js'
import type { HaNode } from './fixtures/ha-harness.js'

afterEach(cleanupNodes)

const TCP = ':tcp:127.0.0.1:0'

async function sameContent(master: HaNode, replica: HaNode): Promise<void> {
  await until(async () => {
    const [m, r] = [await master.request('seq'), await replica.request('seq')]
    return m.seq === r.seq
  })
  const [m, r] = [await master.request('hash'), await replica.request('hash')]
  expect(r).toMatchObject({ ok: true, seq: m.seq, hash: m.hash })
}

async function synced(replica: HaNode): Promise<void> {
  await replica.event((e) => e.event === 'synced' || e.event === 'stopped', 20_000, 'synced')
  expect(replica.events.find((e) => e.event === 'stopped')).toBeUndefined()
}

describe('sync mode (DESIGN Replication: sync, window, quorum, read-only replica)', () => {
  it('tcp: durable ok once applied; the replica refuses writes; extend reaches it', async () => {
    const { node: master, address } = await startMaster({ listen: TCP })
    await master.request('insert', { from: 0, count: 500 })
    const replica = startReplica(address)
    await synced(replica)
    const write = await master.request('write', { from: 1000, count: 10 })
    expect(write).toMatchObject({ ok: true, status: 'ok' })
    // A sync commit resolves after the replica applied it: no polling needed.
    expect((await replica.request('seq')).seq).toBe(write.seq)
    await sameContent(master, replica)
    expect(await replica.request('insert', { from: 9000, count: 1 })).toMatchObject({
      ok: false,
      code: 'TDB_READ_ONLY_REPLICA',
    })
    const before = (await replica.request('memory')).sizeBytes as number
    await master.request('extend', { bytes: 1 << 20 })
    const extended = await replica.notified('MASTER_DB_EXTENDED')
    expect(extended.param2).toBe(1 << 20)
    await until(async () => (await replica.request('memory')).sizeBytes === before + (1 << 20))
  })

  it('pipe: a replica attaches over a Unix socket', async () => {
    const socket = tempSocketPath('sync')
    const { node: master, address } = await startMaster({ listen: `:pipe:${socket}` })
    expect(address).toBe(`:pipe:${socket}`)
    const replica = startReplica(address)
    await synced(replica)
    expect(await master.request('write', { from: 0, count: 5 })).toMatchObject({ status: 'ok' })
    await sameContent(master, replica)
  })

  it('one master on tcp, udp and pipe at once feeds a replica on each channel', async () => {
    const socket = tempSocketPath('multi')
    const listen = [TCP, ':udp:127.0.0.1:0', `:pipe:${socket}`]
    const { node: master } = await startMaster({ listen })
    const ready = master.events.find((e) => e.event === 'ready')
    const addresses = ready?.addresses as string[]
    expect(addresses.map((a) => a.split(':')[1])).toEqual(['tcp', 'udp', 'pipe'])
    await master.request('insert', { from: 0, count: 2000 })
    const replicas = addresses.map((address) => startReplica(address))
    for (const replica of replicas) await synced(replica)
    expect(await master.request('write', { from: 5000, count: 50 })).toMatchObject({ status: 'ok' })
    for (const replica of replicas) await sameContent(master, replica)
  })

  it('window N: commits wait for the window; commitWindow acknowledges the rest', async () => {
    const { node: master, address } = await startMaster({ listen: TCP, windowSize: 5 })
    const replica = startReplica(address)
    await synced(replica)
    await master.request('pending', { from: 0, count: 3 })
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect((await master.request('outcomes')).settled).toEqual([])
    await master.request('commitWindow')
    await until(async () => (await master.request('outcomes')).settled.length === 3)
    expect((await master.request('outcomes')).settled).toEqual(['ok', 'ok', 'ok'])
    const seven = await master.request('writeMany', { from: 10, count: 7 })
    expect(seven.statuses).toHaveLength(7)
  })

  it('quorum: writes are refused until enough sync replicas stream', async () => {
    const { node: master, address } = await startMaster({ listen: TCP, quorum: 1 })
    expect(await master.request('insert', { from: 0, count: 1 })).toMatchObject({
      ok: false,
      code: 'TDB_NO_QUORUM',
    })
    const replica = startReplica(address)
    await synced(replica)
    expect(await master.request('write', { from: 0, count: 1 })).toMatchObject({ status: 'ok' })
    replica.kill()
    await master.notified('REPLICA_STOPPED')
    expect(await master.request('insert', { from: 5, count: 1 })).toMatchObject({
      code: 'TDB_NO_QUORUM',
    })
  })

  it('a commit whose sync replica dies before acking resolves replica-detached', async () => {
    const { node: master, address } = await startMaster({ listen: TCP, quorum: 1 })
    const replica = startReplica(address)
    await synced(replica)
    replica.kill('SIGSTOP')
    await master.request('pending', { from: 0, count: 2 })
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect((await master.request('outcomes')).settled).toEqual([])
    replica.kill('SIGKILL')
    await until(async () => (await master.request('outcomes')).settled.length === 2)
    const { settled } = await master.request('outcomes')
    expect(settled).toEqual(['replica-detached', 'replica-detached'])
    // The commits applied on the master all the same.
    expect((await master.request('count', { cls: 'Item' })).count).toBe(2)
  })

  it('a replica with a different dictionary is refused (HANDSHAKE_FAILED)', async () => {
    const { address } = await startMaster({ listen: TCP })
    const replica = startReplica(address, {}, { schema: OTHER_SCHEMA })
    const failed = await replica.event((e) => e.event === 'attachFailed')
    expect(failed.code).toBe('TDB_DICTIONARY_MISMATCH')
    const stopped = await replica.event((e) => e.event === 'stopped')
    expect(stopped).toMatchObject({ name: 'HANDSHAKE_FAILED', code: 'TDB_DICTIONARY_MISMATCH' })
  })
})

describe('async mode (DESIGN Replication: async ring, sender worker, forceSync)', () => {
  it('tcp: replicas converge; a forceSync replica is served synchronously', async () => {
    const { node: master, address } = await startMaster({ listen: TCP, mode: 'async' })
    await master.request('insert', { from: 0, count: 300 })
    const asyncReplica = startReplica(address)
    const syncReplica = startReplica(address, { forceSync: true })
    await synced(asyncReplica)
    await synced(syncReplica)
    for (let i = 0; i < 20; i++) {
      const write = await master.request('write', { from: 1000 + i * 10, count: 10 })
      expect(write.status).toBe('ok')
      // The forceSync replica acknowledged this commit before it resolved.
      const replicaSeq = BigInt((await syncReplica.request('seq')).seq)
      expect(replicaSeq).toBeGreaterThanOrEqual(BigInt(write.seq))
    }
    await sameContent(master, asyncReplica)
    await sameContent(master, syncReplica)
    const modes = (await master.request('status')).replicas.map((r: { mode: string }) => r.mode)
    expect(modes.sort()).toEqual(['async', 'sync'])
  })

  it('udp: an async replica loads and streams over reliable udp', async () => {
    const listen = ':udp:127.0.0.1:0'
    const { node: master, address } = await startMaster({ listen, mode: 'async' })
    await master.request('insert', { from: 0, count: 3000 })
    const replica = startReplica(address)
    await synced(replica)
    await master.request('writeMany', { from: 10_000, count: 300 })
    await sameContent(master, replica)
  })

  it('pipe: an async replica streams over a Unix socket', async () => {
    const socket = tempSocketPath('async')
    const listen = `:pipe:${socket}`
    const { node: master, address } = await startMaster({ listen, mode: 'async' })
    const replica = startReplica(address)
    await synced(replica)
    await master.request('writeMany', { from: 0, count: 200 })
    await sameContent(master, replica)
  })
})

describe('initial sync and catch-up (DESIGN Replication: backlog or full load)', () => {
  for (const mode of ['sync', 'async']) {
    it(`${mode}: a hot full load under writes ends with equal content`, async () => {
      const { node: master, address } = await startMaster({
        listen: TCP,
        mode,
        transLogLength: 0,
        hotsyncMsgObjects: 200,
      })
      await master.request('insert', { from: 0, count: 20_000 })
      await master.request('startWriting', { from: 100_000 })
      const replica = startReplica(address)
      await replica.notified('DB_LOAD_BEGIN')
      await synced(replica)
      const written = await master.request('stopWriting')
      expect(written.written).toBeGreaterThan(0)
      await sameContent(master, replica)
      expect(replica.events.some((e) => e.name === 'DB_LOAD_OK')).toBe(true)
    })
  }

  it('a replica that re-attaches catches up statefully from the backlog', async () => {
    const { node: master, address } = await startMaster({ listen: TCP, transLogLength: 500 })
    await master.request('insert', { from: 0, count: 100 })
    const replica = startReplica(address)
    await synced(replica)
    await replica.request('stop')
    await replica.event((e) => e.event === 'stopped')
    await master.request('writeMany', { from: 1000, count: 50 })
    const notesBefore = replica.events.length
    await replica.request('reattach')
    await replica.event((e) => e.event === 'synced' && replica.events.indexOf(e) > notesBefore)
    const later = replica.events.slice(notesBefore).map((e) => e.name)
    expect(later).toContain('STATEFUL_SYNC')
    expect(later).toContain('STATEFUL_SYNC_END')
    await sameContent(master, replica)
  })
})

describe('stopping (DESIGN Replication: detach, timeouts, notifications)', () => {
  it('a replica stops on waitDataTimeoutMs when an idle master sends no keep-alive', async () => {
    const { address } = await startMaster({ listen: TCP, keepAliveIntervalMs: 60_000 })
    const replica = startReplica(address, { waitDataTimeoutMs: 300 })
    await synced(replica)
    const stopped = await replica.event((e) => e.event === 'stopped')
    expect(stopped).toMatchObject({ name: 'CONNECTION_ABORTED', code: 'TDB_TIMEOUT' })
  })

  it('keep-alives hold an idle replica past waitDataTimeoutMs', async () => {
    const { node: master, address } = await startMaster({ listen: TCP, keepAliveIntervalMs: 50 })
    const replica = startReplica(address, { waitDataTimeoutMs: 300 })
    await synced(replica)
    await new Promise((resolve) => setTimeout(resolve, 900))
    expect(replica.events.find((e) => e.event === 'stopped')).toBeUndefined()
    await master.request('stop')
  })

  it('stop with detachTimeoutMs > 0 sends DETACH: MASTER_REQUESTED_DISCONNECT', async () => {
    const { node: master, address } = await startMaster({ listen: TCP, detachTimeoutMs: 2000 })
    const replica = startReplica(address)
    await synced(replica)
    await master.request('stop')
    const stopped = await replica.event((e) => e.event === 'stopped')
    expect(stopped).toMatchObject({ name: 'MASTER_REQUESTED_DISCONNECT' })
  })

  it('stop with detachTimeoutMs 0 just closes: the replica sees CONNECTION_ABORTED', async () => {
    const { node: master, address } = await startMaster({ listen: TCP, detachTimeoutMs: 0 })
    const replica = startReplica(address)
    await synced(replica)
    await master.request('stop')
    const stopped = await replica.event((e) => e.event === 'stopped')
    expect(stopped).toMatchObject({ name: 'CONNECTION_ABORTED' })
  })

  it('kill -9 of the master: the replica stops (CONNECTION_ABORTED), keeps its data', async () => {
    const { node: master, address } = await startMaster({ listen: TCP })
    await master.request('insert', { from: 0, count: 50 })
    const replica = startReplica(address)
    await synced(replica)
    const before = await master.request('hash')
    master.kill('SIGKILL')
    const stopped = await replica.event((e) => e.event === 'stopped')
    expect(stopped).toMatchObject({ name: 'CONNECTION_ABORTED', code: 'TDB_CONNECTION_BROKEN' })
    expect(await replica.request('hash')).toMatchObject({ hash: before.hash })
    // The session is over: the replica is writable again (it may take over as master).
    expect(await replica.request('insert', { from: 900, count: 1 })).toMatchObject({ ok: true })
  })

  it('the master detaches one replica on request; cancel abandons a pending attach', async () => {
    const { node: master, address } = await startMaster({ listen: TCP })
    const replica = startReplica(address)
    await synced(replica)
    const conn = (await master.request('status')).replicas[0].conn
    await master.request('detach', { conn })
    expect(await replica.event((e) => e.event === 'stopped')).toMatchObject({
      name: 'MASTER_REQUESTED_DISCONNECT',
    })
    // A listener that accepts and never answers: the attach stays pending until cancelled.
    const silent = net.createServer(() => undefined)
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const port = (silent.address() as net.AddressInfo).port
      const stuck = startReplica(`:tcp:127.0.0.1:${port}`)
      await stuck.event((e) => e.event === 'ready')
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(stuck.events.find((e) => e.event === 'attached')).toBeUndefined()
      await stuck.request('cancel')
      expect(await stuck.event((e) => e.event === 'attachFailed', 2000)).toMatchObject({
        code: 'TDB_CANCELLED',
      })
      expect(await stuck.event((e) => e.event === 'stopped')).toMatchObject({
        name: 'STOPPED_BY_LOCAL_REQUEST',
      })
    } finally {
      silent.close()
    }
  })
})

describe('bad peers (DESIGN Testing: bad input never crashes)', () => {
  it('a client sending garbage is cut off; the master keeps serving replicas', async () => {
    const { node: master, address } = await startMaster({ listen: TCP })
    const port = Number(address.split(':').at(-1))
    const garbage = net.connect(port, '127.0.0.1')
    await new Promise((resolve) => garbage.once('connect', resolve))
    // A well-framed (u32 length prefix) frame whose content is not a message.
    garbage.write(Buffer.from([0, 0, 0, 4, 0xc1, 0xc1, 0xc1, 0xc1]))
    await new Promise((resolve) => garbage.once('close', resolve))
    const stopped = await master.notified('REPLICA_STOPPED')
    expect(stopped.message).toContain('TDB_FRAME_MALFORMED')
    const replica = startReplica(address)
    await synced(replica)
    expect(await master.request('write', { from: 0, count: 3 })).toMatchObject({ status: 'ok' })
    await sameContent(master, replica)
  })

  it('attaching where nobody listens fails with CONNECT_FAILED', async () => {
    const probe = net.createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const port = (probe.address() as net.AddressInfo).port
    await new Promise((resolve) => probe.close(resolve))
    const replica = startReplica(`:tcp:127.0.0.1:${port}`)
    const failed = await replica.event((e) => e.event === 'attachFailed')
    expect(failed.code).toBe('TDB_CONNECTION_BROKEN')
    expect(replica.events.some((e) => e.name === 'CONNECT_FAILED')).toBe(true)
    expect(await replica.event((e) => e.event === 'stopped')).toMatchObject({
      name: 'CONNECTION_ABORTED',
    })
  })
})

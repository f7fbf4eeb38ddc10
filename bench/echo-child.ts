/**
 * The far end of the raw TCP ping-pong reference, in a process of its own (as the tandemdb
 * replica is): listens on a loopback port, tells the parent the port over IPC, echoes every
 * byte back, and exits when the parent disconnects.
 */
import net from 'node:net'
import { assert } from '../src/util/assert.js'

const server = net.createServer((socket) => {
  socket.setNoDelay(true)
  socket.on('data', (chunk) => socket.write(chunk))
  socket.on('error', () => socket.destroy())
})
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  assert(typeof address === 'object' && address !== null, 'the echo server has a port')
  assert(process.send !== undefined, 'the echo child runs under fork()')
  process.send({ port: address.port })
})
process.on('disconnect', () => process.exit(0))

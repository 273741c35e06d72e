// Ports for tests that start real processes: the OS picks free ones on
// 127.0.0.1, and `canConnect` tells whether anything still listens there.

import { connect, createServer, type Server } from 'node:net'
import { first } from './lists.js'

function listenOnAnyPort(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      if (address === null || typeof address === 'string') return reject(new Error('free-port: no TCP address'))
      resolve({ server, port: address.port })
    })
  })
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()))
}

/** A port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  return first(await freePorts(1), 'a free port')
}

/** `count` distinct free ports: all are held open together, so none repeats. */
export async function freePorts(count: number): Promise<number[]> {
  const held = []
  for (let i = 0; i < count; i++) held.push(await listenOnAnyPort())
  await Promise.all(held.map(({ server }) => close(server)))
  return held.map(({ port }) => port)
}

/**
 * Whether something accepts connections on 127.0.0.1:port. Only a refusal
 * counts as free; a connection that neither opens nor fails in a second
 * counts as taken, so a hung orphan is not mistaken for a free port.
 */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.setTimeout(1000)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('timeout', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

// The limits every server shares, over real sockets to 127.0.0.1: a slow body
// is cut off, a body over the limit is refused before it is read, an idle
// keep-alive connection closes. The timeouts are the real ones (10 s, 5 s):
// each behaviour is checked on the three servers at once.

import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildAuthServer } from '../../src/auth-server/app.js'
import { MAX_DELAY_MS } from '../../src/auth-server/lab/scenarios.js'
import { buildClientApp } from '../../src/client/app.js'
import { buildResourceServer } from '../../src/resource-server/app.js'
import { loadConfig } from '../../src/shared/config.js'
import { SERVER_LIMITS } from '../../src/shared/fastify-options.js'

const config = loadConfig({ LOG_LEVEL: 'silent' })

interface Server {
  readonly name: string
  readonly app: FastifyInstance
  readonly port: number
  /** A route that reads a body. */
  readonly post: { readonly path: string; readonly type: string }
}

/** A connection whose every byte received is kept, with the times (Date.now()) of its first answer byte and its close. */
interface Connection {
  readonly socket: Socket
  text(): string
  /** When the first byte of an answer came (or the close, if none came). */
  readonly answered: Promise<number>
  readonly closed: Promise<number>
}

function open(port: number): Promise<Connection> {
  return new Promise((resolve, reject) => {
    let text = ''
    const socket = connect({ host: '127.0.0.1', port })
    socket.setEncoding('utf8')
    const answered = new Promise<number>((done) => {
      socket.once('data', () => done(Date.now()))
      socket.once('close', () => done(Date.now()))
    })
    socket.on('data', (chunk: string) => (text += chunk))
    // A write after the server closed: the close event below still reports it.
    socket.on('error', () => undefined)
    const closed = new Promise<number>((done) => socket.on('close', () => done(Date.now())))
    socket.once('connect', () => resolve({ socket, text: () => text, answered, closed }))
    socket.once('error', reject)
  })
}

function statusOf(text: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)
}

const servers: Server[] = []

beforeAll(async () => {
  const built = [
    {
      name: 'auth-server',
      app: await buildAuthServer(config, { logger: false }),
      post: { path: '/token', type: 'application/x-www-form-urlencoded' },
    },
    {
      name: 'resource-server',
      app: await buildResourceServer(config, { logger: false }),
      post: { path: '/resource', type: 'application/json' },
    },
    {
      name: 'client',
      app: await buildClientApp(config, { logger: false }),
      post: { path: '/fetch-resource', type: 'application/x-www-form-urlencoded' },
    },
  ]
  for (const { name, app, post } of built) {
    await app.listen({ host: '127.0.0.1', port: 0 })
    const address = app.server.address()
    if (address === null || typeof address === 'string') throw new Error('no TCP address')
    servers.push({ name, app, port: address.port, post })
  }
})

afterAll(async () => {
  await Promise.all(servers.map(({ app }) => app.close()))
})

describe('server limits', () => {
  it('are set on each server', () => {
    for (const { app } of servers) {
      expect(app.initialConfig.bodyLimit).toBe(64 * 1024)
      expect(app.server.requestTimeout).toBe(10_000)
      expect(app.server.headersTimeout).toBe(10_000)
      expect(app.server.keepAliveTimeout).toBe(5_000)
      expect(app.server.timeout).toBe(SERVER_LIMITS.connectionTimeout)
    }
  })

  it('let a deliberately delayed token request and the inspector heartbeat keep their sockets', () => {
    // The delayTokenEndpoint scenario holds a socket silent up to MAX_DELAY_MS.
    expect(SERVER_LIMITS.connectionTimeout).toBeGreaterThan(MAX_DELAY_MS + 5_000)
  })

  it('cut off a slow body within the request timeout (408, connection closed)', async () => {
    const results = await Promise.all(
      servers.map(async ({ name, port, post }) => {
        const conn = await open(port)
        const started = Date.now()
        conn.socket.write(
          `POST ${post.path} HTTP/1.1\r\nHost: localhost:${port}\r\nContent-Type: ${post.type}\r\nContent-Length: 1000\r\n\r\n`,
        )
        // One byte every 200 ms: 1000 bytes would take 200 s. Bounded by the socket's close.
        const drip = setInterval(() => conn.socket.write('a'), 200)
        const ms = (await conn.closed) - started
        clearInterval(drip)
        return { name, status: statusOf(conn.text()), ms }
      }),
    )
    for (const { name, status, ms } of results) {
      expect({ name, status }).toEqual({ name, status: 408 })
      // 10 s, checked every second; more on a loaded machine, far less than the 40 s of Node's default check.
      expect(ms).toBeGreaterThanOrEqual(9_500)
      expect(ms).toBeLessThan(20_000)
    }
  }, 40_000)

  it('refuse a body over 64 KiB with 413 before reading it, with or without Content-Length', async () => {
    const results = await Promise.all(
      servers.flatMap(({ name, port, post }) => {
        const head = `POST ${post.path} HTTP/1.1\r\nHost: localhost:${port}\r\nContent-Type: ${post.type}\r\n`
        return [
          refused(name, 'content-length', port, async (socket) => {
            // 100 KiB announced (over 64 KiB, under the 1 MiB default), 1 KiB sent: the answer comes without the rest.
            socket.write(`${head}Content-Length: ${100 * 1024}\r\n\r\n${'a'.repeat(1024)}`)
          }),
          refused(name, 'chunked', port, async (socket, conn) => {
            socket.write(`${head}Transfer-Encoding: chunked\r\n\r\n`)
            // 8 KiB chunks, at most 64 of them (512 KiB), until the server answers.
            const chunk = `2000\r\n${'a'.repeat(0x2000)}\r\n`
            for (let i = 0; i < 64 && conn.text() === '' && !socket.destroyed; i++) {
              socket.write(chunk)
              await new Promise((resolve) => setTimeout(resolve, 5))
            }
          }),
        ]
      }),
    )
    for (const { name, kind, status, ms, sent, closedByServer } of results) {
      expect({ name, kind, status, closedByServer }).toEqual({ name, kind, status: 413, closedByServer: true })
      expect(ms).toBeLessThan(5_000)
      // Refused once the limit was crossed, not after the whole body.
      expect(sent).toBeLessThan(200 * 1024)
    }
  })

  it('close an idle keep-alive connection after 5 s', async () => {
    const results = await Promise.all(
      servers.map(async ({ name, port }) => {
        const conn = await open(port)
        conn.socket.write(`GET /healthz HTTP/1.1\r\nHost: localhost:${port}\r\n\r\n`)
        const answeredAt = await conn.answered
        const closedAt = await conn.closed
        return {
          name,
          status: statusOf(conn.text()),
          idle: closedAt - answeredAt,
          keepAlive: /keep-alive: timeout=5/i.test(conn.text()),
        }
      }),
    )
    for (const { name, status, idle, keepAlive } of results) {
      expect({ name, status, keepAlive }).toEqual({ name, status: 200, keepAlive: true })
      expect(idle).toBeGreaterThanOrEqual(4_500)
      expect(idle).toBeLessThan(10_000)
    }
  }, 20_000)
})

/**
 * Sends a request too large; reads the answer's status, how soon it came, how
 * much was sent by then, and whether the server then closed the connection
 * (within 5 s) instead of reading the rest.
 */
async function refused(
  name: string,
  kind: string,
  port: number,
  send: (socket: Socket, conn: Connection) => Promise<void>,
): Promise<{ name: string; kind: string; status: number; ms: number; sent: number; closedByServer: boolean }> {
  const conn = await open(port)
  const started = Date.now()
  await send(conn.socket, conn)
  const ms = (await conn.answered) - started
  const sent = conn.socket.bytesWritten
  const timer = new Promise<false>((resolve) => setTimeout(() => resolve(false), 5_000).unref())
  const closedByServer = await Promise.race([conn.closed.then(() => true), timer])
  conn.socket.destroy()
  return { name, kind, status: statusOf(conn.text()), ms, sent, closedByServer }
}

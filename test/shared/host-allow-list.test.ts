// The Host allow-list over real HTTP: each server listens on 127.0.0.1 port 0
// and gets requests whose Host header the test writes itself, as a page on a
// DNS-rebinding domain would make a browser send them.

import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildAuthServer } from '../../src/auth-server/app.js'
import { buildClientApp } from '../../src/client/app.js'
import { buildResourceServer } from '../../src/resource-server/app.js'
import { loadConfig } from '../../src/shared/config.js'
import { configuredHosts, loopbackHosts } from '../../src/shared/host-allow-list.js'

const config = loadConfig({
  LOG_LEVEL: 'silent',
  AUTH_PUBLIC_URL: 'http://auth.lab.test:8001',
  AUTH_INTERNAL_URL: 'http://auth-internal',
  RESOURCE_PUBLIC_URL: 'http://resource.lab.test:8002',
  RESOURCE_INTERNAL_URL: 'http://resource-internal:9102',
  CLIENT_PUBLIC_URL: 'http://client.lab.test',
  ALLOWED_HOSTS: 'Shared.Lab.test:4000,bare.lab.test:80',
})

interface Answer {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: string
}

/** GET over a fresh connection to 127.0.0.1, with exactly this Host header. */
function get(port: number, path: string, host: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, headers: { host }, agent: false, timeout: 5000 },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (body += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      },
    )
    req.on('timeout', () => req.destroy(new Error('no answer in 5 s')))
    req.on('error', reject)
    req.end()
  })
}

/** A raw request (for one without any Host header, which node:http always adds); the status code of the answer. */
function rawStatus(port: number, head: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(head))
    let text = ''
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer in 5 s')))
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => (text += chunk))
    socket.on('error', reject)
    socket.on('close', () => resolve(Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0)))
  })
}

interface Role {
  readonly name: string
  readonly build: () => Promise<FastifyInstance>
  /** A page the flow recorder records. */
  readonly recordedPath: string
  readonly ownHosts: readonly string[]
  /** Another role's public host: not this server's. */
  readonly otherHost: string
}

const roles: readonly Role[] = [
  {
    name: 'authorization server',
    build: () => buildAuthServer(config, { logger: false }),
    recordedPath: '/jwks',
    ownHosts: ['auth.lab.test:8001', 'AUTH.LAB.TEST:8001', 'auth-internal', 'auth-internal:80'],
    otherHost: 'resource.lab.test:8002',
  },
  {
    name: 'resource server',
    build: () => buildResourceServer(config, { logger: false }),
    recordedPath: '/.well-known/oauth-protected-resource',
    ownHosts: ['resource.lab.test:8002', 'resource-internal:9102'],
    otherHost: 'auth.lab.test:8001',
  },
  {
    name: 'client app',
    build: () => buildClientApp(config, { logger: false }),
    recordedPath: '/',
    ownHosts: ['client.lab.test', 'client.lab.test:80', 'Client.Lab.Test'],
    otherHost: 'auth-internal',
  },
]

describe.each(roles)('Host allow-list of the $name', (role) => {
  let app: FastifyInstance
  let port: number
  const recorded = () => app.flowRecorder.since(0).length

  beforeAll(async () => {
    app = await role.build()
    await app.listen({ host: '127.0.0.1', port: 0 })
    const address = app.server.address()
    if (address === null || typeof address === 'string') throw new Error('no TCP address')
    port = address.port
  })
  afterAll(async () => app.close())

  it('answers its loopback names on its listening port, its URLs and ALLOWED_HOSTS', async () => {
    const allowed = [
      `localhost:${port}`,
      `127.0.0.1:${port}`,
      `[::1]:${port}`,
      `LocalHost:${port}`,
      ...role.ownHosts,
      'shared.lab.test:4000',
      'SHARED.lab.test:4000',
      'bare.lab.test',
      'bare.lab.test:80',
    ]
    for (const host of allowed) {
      const res = await get(port, '/healthz', host)
      expect({ host, status: res.status }).toEqual({ host, status: 200 })
      expect(JSON.parse(res.body)).toEqual({ status: 'ok' })
    }
    const before = recorded()
    expect((await get(port, role.recordedPath, `localhost:${port}`)).status).toBe(200)
    expect(recorded()).toBe(before + 1)
  })

  it('answers any other Host with 421 and a short plain body, before any route or hook', async () => {
    const refused = [
      'evil.example:9001',
      `evil.example:${port}`,
      'localhost:1234',
      'localhost',
      '127.0.0.1',
      `localhost:${port}.evil.example`,
      `127.0.0.2:${port}`,
      'shared.lab.test',
      'shared.lab.test:4001',
      role.otherHost,
    ]
    const before = recorded()
    for (const host of refused) {
      const res = await get(port, role.recordedPath, host)
      expect({ host, status: res.status }).toEqual({ host, status: 421 })
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8')
      expect(res.body).toContain('Misdirected Request')
      expect(res.body.length).toBeLessThan(300)
      // No session, no security headers, nothing from any other hook.
      expect(res.headers['set-cookie']).toBeUndefined()
      expect(res.headers['content-security-policy']).toBeUndefined()
    }
    // The flow recorder (an onSend hook) never saw them.
    expect(recorded()).toBe(before)
  })

  it('refuses a request without Host: 421 over HTTP/1.0, 400 over HTTP/1.1 (RFC 9112 §3.2, from Node)', async () => {
    expect(await rawStatus(port, 'GET /healthz HTTP/1.0\r\n\r\n')).toBe(421)
    expect(await rawStatus(port, 'GET /healthz HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n')).toBe(421)
    expect(await rawStatus(port, 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n')).toBe(400)
    expect(await rawStatus(port, `GET /healthz HTTP/1.0\r\nHost: localhost:${port}\r\n\r\n`)).toBe(200)
  })
})

describe('Host allow-list without a listening server', () => {
  it('lets inject() through whatever its Host (no network traffic can reach it)', async () => {
    const app = await buildAuthServer(config, { logger: false })
    for (const host of ['localhost:80', 'evil.example']) {
      const res = await app.inject({ method: 'GET', url: '/healthz', headers: { host } })
      expect(res.statusCode).toBe(200)
    }
    await app.close()
  })
})

describe('configuredHosts and loopbackHosts', () => {
  it('make explicit or implied default ports, lower-cased', () => {
    expect([
      ...configuredHosts(['http://Lab.Test', 'https://secure.test', 'http://x.test:8080'], ['a.test:443']),
    ]).toEqual(['lab.test:80', 'lab.test', 'secure.test:443', 'secure.test', 'x.test:8080', 'a.test:443', 'a.test'])
    expect(loopbackHosts(80)).toEqual(['localhost:80', 'localhost', '127.0.0.1:80', '127.0.0.1', '[::1]:80', '[::1]'])
    expect(loopbackHosts(9001)).toEqual(['localhost:9001', '127.0.0.1:9001', '[::1]:9001'])
  })
})

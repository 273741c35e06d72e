// The default back channel (undici request() on a keep-alive Agent) against a
// real Fastify server on 127.0.0.1: what goes on the wire, what comes back, and
// how failures come back as data through sendTokenRequest/sendResourceRequest.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import Fastify, { type FastifyInstance } from 'fastify'
import { createBackChannel, type OwnedBackChannel } from '../../src/client/back-channel-http.js'
import { sendResourceRequest, sendTokenRequest, type OutgoingRequest } from '../../src/client/oauth-client.js'
import { first } from '../helpers/lists.js'

interface Seen {
  readonly rawHeaders: string[]
  readonly body: string
  readonly remotePort: number | undefined
}

let server: FastifyInstance
let origin: string
let channel: OwnedBackChannel
const seen: Seen[] = []

beforeAll(async () => {
  // A silent request must not hold close() up once the test is done.
  server = Fastify({ logger: false, forceCloseConnections: true })
  server.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  )
  server.all('/echo', async (request, reply) => {
    seen.push({
      rawHeaders: request.raw.rawHeaders,
      body: typeof request.body === 'string' ? request.body : '',
      remotePort: request.raw.socket.remotePort,
    })
    return reply
      .code(201)
      .header('x-answer', 'yes')
      .header('set-cookie', ['a=1', 'b=2'])
      .type('text/plain')
      .send('hello back')
  })
  server.get('/redirect', async (_request, reply) => reply.redirect(`${origin}/echo`, 302))
  // Never answers: the socket stays open until the client gives up.
  server.get('/silent', (_request, reply) => {
    reply.hijack()
  })
  origin = await server.listen({ host: '127.0.0.1', port: 0 })
  channel = createBackChannel({ timeoutMs: 200 })
})

afterAll(async () => {
  await channel.close()
  await server.close()
})

const tokenRequest = (): OutgoingRequest => ({
  method: 'POST',
  url: `${origin}/echo`,
  headers: {
    Authorization: 'Basic Y2xpZW50OnNlY3JldA==',
    Accept: 'application/json',
    'Content-Type': 'application/x-www-form-urlencoded',
  },
  body: 'grant_type=authorization_code&code=c',
})

/** rawHeaders is [name, value, name, value, …]: the pairs, names lower-cased. */
function pairs(rawHeaders: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = []
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const [name, value] = [rawHeaders[i], rawHeaders[i + 1]]
    if (name !== undefined && value !== undefined) out.push([name.toLowerCase(), value])
  }
  return out
}

describe('createBackChannel (undici request on a keep-alive Agent)', () => {
  it('passes status, headers and body through', async () => {
    const answer = await channel.send(tokenRequest())
    expect(answer.status).toBe(201)
    expect(answer.headers['x-answer']).toBe('yes')
    expect(answer.headers['set-cookie']).toEqual(['a=1', 'b=2'])
    expect(answer.headers['content-type']).toMatch(/^text\/plain/)
    expect(answer.body).toBe('hello back')
  })

  it('puts on the wire exactly the built headers plus host, connection and content-length', async () => {
    const request = tokenRequest()
    seen.length = 0
    await channel.send(request)
    const wire = first(seen, 'wire')
    const names = pairs(wire.rawHeaders).map(([name]) => name)
    const built = Object.keys(request.headers).map((name) => name.toLowerCase())
    expect(names.sort()).toEqual([...built, 'host', 'connection', 'content-length'].sort())
    const received = new Map(pairs(wire.rawHeaders))
    for (const [name, value] of Object.entries(request.headers)) expect(received.get(name.toLowerCase())).toBe(value)
    expect(received.get('host')).toBe(new URL(origin).host)
    expect(received.get('connection')).toBe('keep-alive')
    expect(received.get('content-length')).toBe(String(Buffer.byteLength(request.body!)))
    expect(wire.body).toBe(request.body)
  })

  it('sends a GET without a body and adds no content-length to it', async () => {
    seen.length = 0
    await channel.send({
      method: 'GET',
      url: `${origin}/echo`,
      headers: { Authorization: 'Bearer t', Accept: 'application/json' },
    })
    const names = pairs(first(seen).rawHeaders).map(([name]) => name)
    expect(names.sort()).toEqual(['accept', 'authorization', 'connection', 'host'])
  })

  it('reuses its connections for calls made one after another (keep-alive)', async () => {
    seen.length = 0
    for (let i = 0; i < 6; i++) await channel.send(tokenRequest())
    const ports = new Set(seen.map((s) => s.remotePort))
    expect(seen).toHaveLength(6)
    // undici may open a second socket while the first is being released; never one per call.
    expect(ports.size).toBeLessThanOrEqual(2)
  })

  it('does not follow a redirect: the 302 itself comes back', async () => {
    seen.length = 0
    const answer = await channel.send({ method: 'GET', url: `${origin}/redirect`, headers: {} })
    expect(answer.status).toBe(302)
    expect(answer.headers.location).toBe(`${origin}/echo`)
    expect(seen).toHaveLength(0)
  })

  it('a refused connection comes back as unreachable, with ECONNREFUSED in the reason', async () => {
    const request = { ...tokenRequest(), url: 'http://127.0.0.1:1/token' }
    const result = await sendTokenRequest(channel.send, request)
    expect(result).toMatchObject({ ok: false, unreachable: true })
    expect(result.ok === false && result.unreachable && result.reason).toMatch(/ECONNREFUSED/)
  })

  it('a server that never answers comes back as unreachable with a timeout reason', async () => {
    const started = performance.now()
    const result = await sendResourceRequest(channel.send, { method: 'GET', url: `${origin}/silent`, headers: {} })
    expect(performance.now() - started).toBeLessThan(1000)
    expect(result).toEqual({ reachable: false, reason: 'The operation was aborted due to timeout' })
  })

  it('refuses new calls once closed (the app closes its own in onClose)', async () => {
    const own = createBackChannel({ timeoutMs: 200 })
    expect((await own.send(tokenRequest())).status).toBe(201)
    await own.close()
    const result = await sendResourceRequest(own.send, { method: 'GET', url: `${origin}/echo`, headers: {} })
    expect(result).toMatchObject({ reachable: false })
  })
})

// Client ID Metadata Documents: a client_id that is a URL, its document served
// here by a node:http server on 127.0.0.1, fetched by the authorization
// server at /authorize and /token. A full flow with it, and each way a
// document is refused: always an HTML page at /authorize, never a redirect.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import type { LabConfig } from '../../../src/shared/config.js'
import { authorizeQuery, pkcePair, testAuthServer } from '../../helpers/auth-server.js'
import { postForm } from '../../helpers/back-channel.js'
import { hiddenField, injectBrowser, locationParams } from '../../helpers/inject-browser.js'

const REDIRECT = 'http://127.0.0.1:43110/callback'

let app: FastifyInstance
let config: LabConfig
let server: Server
let base: string
const sockets = new Set<Socket>()
/** How many times each path was fetched. */
const fetches = new Map<string, number>()

/** A valid document for `path`, with `fields` over it. */
function documentFor(path: string, fields: Record<string, unknown> = {}) {
  return {
    client_id: `${base}${path}`,
    client_name: 'Doc Client',
    redirect_uris: [REDIRECT],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    scope: 'foo',
    ...fields,
  }
}

function json(res: ServerResponse, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(200, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

function serve(req: IncomingMessage, res: ServerResponse) {
  const path = req.url ?? '/'
  fetches.set(path, (fetches.get(path) ?? 0) + 1)
  if (path === '/client.json') return json(res, documentFor(path), { 'cache-control': 'max-age=60' })
  if (path === '/liar.json') return json(res, documentFor(path, { client_id: `${base}/someone-else.json` }))
  if (path === '/big.json')
    return json(res, documentFor(path, { client_uri: `https://example.test/${'x'.repeat(6000)}` }))
  if (path === '/secret.json') return json(res, documentFor(path, { client_secret: 'shh' }))
  if (path === '/jwt.json') return json(res, documentFor(path, { token_endpoint_auth_method: 'private_key_jwt' }))
  if (path === '/html.json') {
    res.writeHead(200, { 'content-type': 'text/html' })
    return res.end('<p>not json</p>')
  }
  if (path === '/moved.json') {
    res.writeHead(302, { location: '/client.json' })
    return res.end()
  }
  if (path === '/hang.json') return // never answers: the socket is destroyed at the end
  res.writeHead(404)
  res.end()
}

beforeAll(async () => {
  ;({ app, config } = await testAuthServer())
  server = createServer(serve)
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  base = `http://127.0.0.1:${address.port}`
})
afterAll(async () => {
  for (const socket of sockets) socket.destroy()
  await new Promise((resolve) => server.close(resolve))
  await app.close()
})

function authorizeUrl(clientId: string, extra: Record<string, string> = {}) {
  const { challenge } = pkcePair()
  return `/authorize?${authorizeQuery(config, {
    client_id: clientId,
    redirect_uri: REDIRECT,
    scope: 'foo',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  })}`
}

async function expectPage(clientId: string, status: number, text: RegExp, extra: Record<string, string> = {}) {
  const res = await app.inject({ url: authorizeUrl(clientId, extra) })
  expect(res.statusCode).toBe(status)
  expect(res.headers['content-type']).toMatch(/^text\/html/)
  expect(res.headers.location).toBeUndefined()
  expect(res.body).toMatch(text)
  return res
}

describe('a client known by its metadata document', () => {
  it('goes through the whole flow: the consent page names it and its origin; tokens with PKCE', async () => {
    const clientId = `${base}/client.json`
    const browser = injectBrowser(app)
    const { challenge, verifier } = pkcePair()
    const query = authorizeQuery(config, {
      client_id: clientId,
      redirect_uri: REDIRECT,
      scope: 'foo',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    })
    const login = await browser.get(`/authorize?${query}`)
    expect(login.statusCode).toBe(200)
    let res = await browser.postForm('/login', {
      _csrf: hiddenField(login.body, '_csrf'),
      interaction: hiddenField(login.body, 'interaction'),
      username: 'alice',
      password: 'alice-password',
    })
    res = await browser.get(res.headers.location as string)
    expect(res.body).toContain('Authorize Doc Client')
    expect(res.body).toMatch(new RegExp(`published by <strong>${base.replace(/\./g, '\\.')}</strong>`))
    res = await browser.postForm('/consent', {
      _csrf: hiddenField(res.body, '_csrf'),
      interaction: hiddenField(res.body, 'interaction'),
      decision: 'allow',
    })
    const params = locationParams(res)
    expect(res.headers.location).toMatch(/^http:\/\/127\.0\.0\.1:43110\/callback\?/)
    const token = await postForm(app, '/token', {
      grant_type: 'authorization_code',
      code: params.get('code') ?? '',
      redirect_uri: REDIRECT,
      code_verifier: verifier,
      client_id: clientId,
    })
    expect(token.statusCode, token.body).toBe(200)
    expect(token.json()).toMatchObject({ token_type: 'Bearer', scope: 'foo' })
    // Cache-Control: max-age=60 was honoured: one fetch for /authorize, its resumption and /token.
    expect(fetches.get('/client.json')).toBe(1)
    // Public: PKCE is required.
    const withoutPkce = await app.inject({
      url: `/authorize?${authorizeQuery(config, { client_id: clientId, redirect_uri: REDIRECT, scope: 'foo' })}`,
    })
    expect(new URL(withoutPkce.headers.location as string).searchParams.get('error')).toBe('invalid_request')
  })

  it('shows up on the lab admin page, and is removed from there', async () => {
    const clientId = `${base}/client.json`
    await app.inject({ url: authorizeUrl(clientId) })
    const key = { authorization: `Bearer ${config.labKey}` }
    const list = await app.inject({ url: '/_lab/clients', headers: { ...key, accept: 'application/json' } })
    expect(list.json<{ clients: Array<{ clientId: string; source: string }> }>().clients).toContainEqual(
      expect.objectContaining({ clientId, source: 'metadata-document' }),
    )
    const page = await app.inject({ url: '/_lab/clients', headers: { ...key, accept: 'text/html' } })
    const removed = await app.inject({
      method: 'POST',
      url: '/_lab/clients',
      headers: { ...key, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ client_id: clientId, _csrf: hiddenField(page.body, '_csrf') }).toString(),
    })
    expect(removed.statusCode).toBe(303)
    expect(app.oauthLab.clients.get(clientId)).toBeUndefined()
    // Used again, the document is fetched again.
    const before = fetches.get('/client.json') ?? 0
    expect((await app.inject({ url: authorizeUrl(clientId) })).statusCode).toBe(200)
    expect(fetches.get('/client.json')).toBe(before + 1)
  })
})

describe('documents refused, on an HTML page, never a redirect', () => {
  it('a document whose client_id is not its URL (400), and a token request with it is invalid_client', async () => {
    await expectPage(`${base}/liar.json`, 400, /is not the URL it was fetched from/)
    const token = await postForm(app, '/token', {
      grant_type: 'authorization_code',
      code: 'x',
      redirect_uri: REDIRECT,
      code_verifier: 'v'.repeat(43),
      client_id: `${base}/liar.json`,
    })
    expect(token.statusCode).toBe(401)
    expect(token.json()).toMatchObject({ error: 'invalid_client' })
  })

  it('a redirect_uri the document does not list (400)', async () => {
    await expectPage(`${base}/client.json`, 400, /is not registered for client/, {
      redirect_uri: 'http://127.0.0.1:43110/elsewhere',
    })
  })

  it('a document over 5 KiB (502)', async () => {
    await expectPage(`${base}/big.json`, 502, /larger than 5120 bytes/)
  })

  it('a document server that never answers ends on a page after the 3 s timeout (502), not a hang', async () => {
    await expectPage(`${base}/hang.json`, 502, /did not answer within 3 s/)
  }, 15_000)

  it('a redirect is not followed (502), nor is anything but JSON taken (502), nor a 404 (502)', async () => {
    await expectPage(`${base}/moved.json`, 502, /redirects are not followed/)
    await expectPage(`${base}/html.json`, 502, /not JSON/)
    await expectPage(`${base}/missing.json`, 502, /answered 404/)
    expect(fetches.get('/client.json')).toBeGreaterThan(0)
  })

  it('a document with a client_secret, or private_key_jwt, which the lab does not support (400)', async () => {
    await expectPage(`${base}/secret.json`, 400, /client_secret/)
    await expectPage(`${base}/jwt.json`, 400, /private_key_jwt.*not supported/)
  })

  it('a client_id URL that is plain http off loopback, has no path, or has a fragment or dot segments (400, nothing fetched)', async () => {
    await expectPage('http://app.example.test/client.json', 400, /must use https/)
    await expectPage('https://app.example.test/', 400, /must have a path/)
    await expectPage(`${base}/client.json#x`, 400, /fragment/)
    await expectPage(`${base}/a/../client.json`, 400, /path segments/)
  })

  it('an unreachable document server (502)', async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const address = probe.address()
    await new Promise((resolve) => probe.close(resolve))
    if (address === null || typeof address === 'string') throw new Error('no port')
    await expectPage(`http://127.0.0.1:${address.port}/client.json`, 502, /could not be reached/)
  })
})

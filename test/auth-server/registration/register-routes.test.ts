// Dynamic client registration (RFC 7591) and its management (RFC 7592): each
// rule of POST /register and GET|DELETE /register/:id, registered clients used
// through real flows, the cap, and registrations surviving a restart on
// STORE=sqlite.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildAuthServer } from '../../../src/auth-server/app.js'
import { MAX_DYNAMIC_CLIENTS } from '../../../src/auth-server/registration/dynamic-clients.js'
import { loadConfig, type LabConfig } from '../../../src/shared/config.js'
import { authorizeQuery, basic, obtainCode, pkcePair, testAuthServer } from '../../helpers/auth-server.js'
import { postForm } from '../../helpers/back-channel.js'

let app: FastifyInstance
let config: LabConfig

beforeAll(async () => {
  ;({ app, config } = await testAuthServer())
})
afterAll(() => app.close())

const NATIVE_REDIRECT = 'http://127.0.0.1:53682/callback'

interface Registered {
  readonly client_id: string
  readonly client_secret?: string
  readonly client_secret_expires_at?: number
  readonly client_id_issued_at: number
  readonly registration_access_token: string
  readonly registration_client_uri: string
  readonly redirect_uris: string[]
  readonly token_endpoint_auth_method: string
  readonly grant_types: string[]
  readonly response_types: string[]
  readonly scope: string
  readonly client_name?: string
}

function register(body: unknown, target: FastifyInstance = app) {
  return target.inject({ method: 'POST', url: '/register', payload: body as Record<string, unknown> })
}

async function registered(body: Record<string, unknown>, target: FastifyInstance = app): Promise<Registered> {
  const res = await register(body, target)
  expect(res.statusCode, res.body).toBe(201)
  return res.json<Registered>()
}

function expectError(
  res: { statusCode: number; json: () => unknown; headers: Record<string, unknown> },
  error: string,
) {
  expect(res.statusCode).toBe(400)
  expect(res.headers['cache-control']).toBe('no-store')
  const body = res.json() as { error: string; error_description: string }
  expect(body.error).toBe(error)
  expect(body.error_description.length).toBeGreaterThan(10)
  return body.error_description
}

describe('metadata (RFC 8414)', () => {
  it('advertises the registration endpoint, metadata documents, S256 only and the none auth method', async () => {
    const metadata = (await app.inject({ url: '/.well-known/oauth-authorization-server' })).json<
      Record<string, unknown>
    >()
    expect(metadata.registration_endpoint).toBe(`${config.auth.publicUrl}/register`)
    expect(metadata.client_id_metadata_document_supported).toBe(true)
    expect(metadata.code_challenge_methods_supported).toEqual(['S256'])
    expect(metadata.token_endpoint_auth_methods_supported).toContain('none')
  })
})

describe('POST /register (RFC 7591 §3)', () => {
  it('registers a public client (none): 201, its metadata, no secret, a registration access token', async () => {
    const res = await register({
      client_name: 'My CLI',
      redirect_uris: [NATIVE_REDIRECT],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      scope: 'foo',
      logo_uri: 'https://example.test/logo.png',
      software_id: 'ignored-unknown-field',
    })
    expect(res.statusCode).toBe(201)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    const body = res.json<Registered & Record<string, unknown>>()
    expect(body).toMatchObject({
      client_name: 'My CLI',
      redirect_uris: [NATIVE_REDIRECT],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      // Asked for foo; registered for every scope the lab defines, so the client can step up later (RFC 7591 §3.2.1).
      scope: 'foo bar',
      logo_uri: 'https://example.test/logo.png',
    })
    expect(body.client_secret).toBeUndefined()
    expect(body.software_id).toBeUndefined()
    // Seconds since the epoch (RFC 7591 §3.2.1), from the server's clock (here the test's, started now).
    expect(Math.abs(body.client_id_issued_at - Math.floor(Date.now() / 1000))).toBeLessThan(600)
    expect(body.registration_access_token.length).toBeGreaterThanOrEqual(40)
    expect(body.registration_client_uri).toBe(`${config.auth.publicUrl}/register/${body.client_id}`)
  })

  it('defaults to a confidential client_secret_basic client with a secret of at least 160 bits that never expires', async () => {
    const body = await registered({ redirect_uris: ['https://app.example.test/cb'] })
    expect(body.token_endpoint_auth_method).toBe('client_secret_basic')
    expect(body.grant_types).toEqual(['authorization_code'])
    expect(body.response_types).toEqual(['code'])
    // RFC 7591 §2: no scope asked, the server's default: every scope the lab defines.
    expect(body.scope).toBe('foo bar')
    // 43 characters of a 64-symbol alphabet: 258 bits.
    expect(body.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(body.client_secret_expires_at).toBe(0)
  })

  it('takes optional fields sent as null as absent, and an empty scope as the default', async () => {
    const body = await registered({
      redirect_uris: ['https://app.example.test/cb'],
      client_name: null,
      logo_uri: null,
      token_endpoint_auth_method: null,
      scope: '',
    })
    expect(body.token_endpoint_auth_method).toBe('client_secret_basic')
    expect(body.scope).toBe('foo bar')
    expect(body.client_name).toBeUndefined()
  })

  it('takes loopback redirect URIs on any port (127.0.0.1, [::1], localhost), https, and a private-use scheme for a public client', async () => {
    const body = await registered({
      token_endpoint_auth_method: 'none',
      redirect_uris: [
        'http://127.0.0.1:6274/oauth/callback',
        'http://[::1]:9/cb',
        'http://localhost:33418/callback',
        'https://claude.example.test/api/mcp/auth_callback',
        'com.example.app:/oauth2redirect',
      ],
    })
    expect(body.redirect_uris).toHaveLength(5)
  })

  describe('invalid_redirect_uri (RFC 7591 §3.2.2)', () => {
    const cases: Array<[string, string[], string?]> = [
      ['plain http on another host', ['http://app.example.test/cb']],
      ['a fragment', ['https://app.example.test/cb#frag']],
      ['javascript:', ['javascript:alert(1)']],
      ['data:', ['data:text/html,hi']],
      ['a relative URI', ['/cb']],
      ['a scheme without a dot', ['myapp:/cb'], 'none'],
      ['a private-use scheme for a confidential client', ['com.example.app:/cb'], 'client_secret_basic'],
      ['no redirect URI for authorization_code', []],
    ]
    for (const [what, uris, method] of cases) {
      it(`refuses ${what}`, async () => {
        const res = await register({
          redirect_uris: uris,
          ...(method === undefined ? {} : { token_endpoint_auth_method: method }),
        })
        expectError(res, 'invalid_redirect_uri')
      })
    }
  })

  describe('invalid_client_metadata (RFC 7591 §3.2.2)', () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['a scope the lab does not define', { scope: 'foo admin' }, /admin/],
      [
        'private_key_jwt, which the lab does not support',
        { token_endpoint_auth_method: 'private_key_jwt' },
        /not supported/,
      ],
      ['an unknown auth method', { token_endpoint_auth_method: 'tls_client_auth' }, /token_endpoint_auth_method/],
      [
        'client_credentials for a public client',
        { token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'client_credentials'] },
        /confidential/,
      ],
      ['the implicit grant', { grant_types: ['implicit'] }, /implicit/],
      ['response_type token', { response_types: ['token'] }, /response_types/],
      [
        'grant_types and response_types that disagree',
        { grant_types: ['refresh_token'], response_types: ['code'] },
        /2\.1/,
      ],
      ['grant_types that is not a list', { grant_types: 'authorization_code' }, /array/],
      ['a client_name that is not a string', { client_name: 42 }, /client_name/],
    ]
    for (const [what, fields, description] of cases) {
      it(`refuses ${what}`, async () => {
        const res = await register({ redirect_uris: ['https://app.example.test/cb'], ...(fields as object) })
        expect(expectError(res, 'invalid_client_metadata')).toMatch(description)
      })
    }

    it('refuses a body that is not a JSON object', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/register',
        headers: { 'content-type': 'application/json' },
        payload: '["a"]',
      })
      expectError(res, 'invalid_client_metadata')
      const broken = await app.inject({
        method: 'POST',
        url: '/register',
        headers: { 'content-type': 'application/json' },
        payload: '{"redirect_uris": [',
      })
      expectError(broken, 'invalid_client_metadata')
    })

    it('refuses a form body (415) and a body over 16 KiB (413), in JSON', async () => {
      const form = await app.inject({
        method: 'POST',
        url: '/register',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'redirect_uris=https://app.example.test/cb',
      })
      expect(form.statusCode).toBe(415)
      expect(form.json()).toMatchObject({ error: 'invalid_client_metadata' })
      const big = await register({ redirect_uris: ['https://app.example.test/cb'], client_uri: 'x'.repeat(17 * 1024) })
      expect(big.statusCode).toBe(413)
      expect(big.json()).toMatchObject({ error: 'invalid_client_metadata' })
    })
  })
})

describe('registered clients in real flows', () => {
  it('a public client: code with PKCE, then tokens with its client_id alone; PKCE is required', async () => {
    const client = await registered({
      redirect_uris: [NATIVE_REDIRECT],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      scope: 'foo',
      client_name: 'Inspector',
    })
    const withoutPkce = await app.inject({
      url: `/authorize?${authorizeQuery(config, { client_id: client.client_id, redirect_uri: NATIVE_REDIRECT, scope: 'foo' })}`,
    })
    expect(withoutPkce.statusCode).toBe(302)
    expect(new URL(withoutPkce.headers.location as string).searchParams.get('error')).toBe('invalid_request')

    const { challenge, verifier } = pkcePair()
    const { params } = await obtainCode(app, config, {
      query: {
        client_id: client.client_id,
        redirect_uri: NATIVE_REDIRECT,
        scope: 'foo',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      },
    })
    const code = params.get('code')
    expect(code).toBeTruthy()
    const token = await postForm(app, '/token', {
      grant_type: 'authorization_code',
      code: code ?? '',
      redirect_uri: NATIVE_REDIRECT,
      code_verifier: verifier,
      client_id: client.client_id,
    })
    expect(token.statusCode, token.body).toBe(200)
    expect(token.json()).toMatchObject({ token_type: 'Bearer', scope: 'foo' })
  })

  it('a confidential client: its secret over HTTP Basic; a wrong secret is invalid_client', async () => {
    const client = await registered({ redirect_uris: ['https://app.example.test/cb'], client_name: 'Web app' })
    const { params } = await obtainCode(app, config, {
      query: { client_id: client.client_id, redirect_uri: 'https://app.example.test/cb', scope: 'foo bar' },
    })
    const form = {
      grant_type: 'authorization_code',
      code: params.get('code') ?? '',
      redirect_uri: 'https://app.example.test/cb',
    }
    const wrong = await postForm(app, '/token', form, { headers: { authorization: basic(client.client_id, 'nope') } })
    expect(wrong.statusCode).toBe(401)
    expect(wrong.json()).toMatchObject({ error: 'invalid_client' })
    const { params: again } = await obtainCode(app, config, {
      query: { client_id: client.client_id, redirect_uri: 'https://app.example.test/cb', scope: 'foo bar' },
    })
    const ok = await postForm(
      app,
      '/token',
      { ...form, code: again.get('code') ?? '' },
      { headers: { authorization: basic(client.client_id, client.client_secret ?? '') } },
    )
    expect(ok.statusCode, ok.body).toBe(200)
    expect(ok.json()).toMatchObject({ scope: 'foo bar' })
  })
})

describe('GET and DELETE /register/:client_id (RFC 7592)', () => {
  it('reads the registration with its token, and nothing with a wrong, missing or foreign one', async () => {
    const client = await registered({ redirect_uris: ['https://app.example.test/cb'], client_name: 'Read me' })
    const other = await registered({ redirect_uris: ['https://app.example.test/cb'] })
    const read = (token?: string, clientId = client.client_id) =>
      app.inject({
        url: `/register/${clientId}`,
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      })
    const ok = await read(client.registration_access_token)
    expect(ok.statusCode).toBe(200)
    expect(ok.headers['cache-control']).toBe('no-store')
    expect(ok.json()).toMatchObject({
      client_id: client.client_id,
      client_secret: client.client_secret,
      client_name: 'Read me',
      registration_client_uri: client.registration_client_uri,
    })
    for (const [token, clientId] of [
      [`${client.registration_access_token}x`, client.client_id],
      [other.registration_access_token, client.client_id],
      [client.registration_access_token, 'dyn-unknown'],
    ] as const) {
      const res = await read(token, clientId)
      expect(res.statusCode).toBe(401)
      expect(res.json()).toMatchObject({ error: 'invalid_token' })
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="oauth-lab", error="invalid_token"/)
    }
    const missing = await read()
    expect(missing.statusCode).toBe(401)
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="oauth-lab"')
  })

  it('deletes the registration: 204, then its client_id, secret and token stop working', async () => {
    const client = await registered({ redirect_uris: ['https://app.example.test/cb'] })
    const auth = { authorization: `Bearer ${client.registration_access_token}` }
    const wrong = await app.inject({
      method: 'DELETE',
      url: `/register/${client.client_id}`,
      headers: { authorization: 'Bearer nope' },
    })
    expect(wrong.statusCode).toBe(401)
    const gone = await app.inject({ method: 'DELETE', url: `/register/${client.client_id}`, headers: auth })
    expect(gone.statusCode).toBe(204)
    expect((await app.inject({ url: `/register/${client.client_id}`, headers: auth })).statusCode).toBe(401)
    const authorize = await app.inject({
      url: `/authorize?${authorizeQuery(config, { client_id: client.client_id, redirect_uri: 'https://app.example.test/cb' })}`,
    })
    expect(authorize.statusCode).toBe(400)
    expect(authorize.body).toContain('Unknown client')
    const token = await postForm(
      app,
      '/token',
      { grant_type: 'client_credentials' },
      {
        headers: { authorization: basic(client.client_id, client.client_secret ?? '') },
      },
    )
    expect(token.statusCode).toBe(401)
  })
})

describe(`the cap: at most ${MAX_DYNAMIC_CLIENTS} registrations`, () => {
  it('one more pushes out the oldest registration, which is then unknown', async () => {
    const { app: fresh, config: freshConfig } = await testAuthServer()
    try {
      const first = await registered({ redirect_uris: ['https://first.example.test/cb'] }, fresh)
      for (let i = 1; i < MAX_DYNAMIC_CLIENTS; i++)
        await registered({ redirect_uris: ['https://app.example.test/cb'] }, fresh)
      const auth = { authorization: `Bearer ${first.registration_access_token}` }
      expect((await fresh.inject({ url: `/register/${first.client_id}`, headers: auth })).statusCode).toBe(200)
      const last = await registered({ redirect_uris: ['https://last.example.test/cb'] }, fresh)
      expect((await fresh.inject({ url: `/register/${first.client_id}`, headers: auth })).statusCode).toBe(401)
      const authorize = await fresh.inject({
        url: `/authorize?${authorizeQuery(freshConfig, { client_id: first.client_id, redirect_uri: 'https://first.example.test/cb' })}`,
      })
      expect(authorize.body).toContain('Unknown client')
      expect(fresh.oauthLab.store.listClients()).toHaveLength(MAX_DYNAMIC_CLIENTS)
      expect(fresh.oauthLab.store.listClients().at(-1)?.clientId).toBe(last.client_id)
    } finally {
      await fresh.close()
    }
  })
})

describe('STORE=sqlite: registrations survive a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oauth-lab-dcr-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('a client registered before a restart still signs in, authenticates and reads its registration', async () => {
    const sqliteConfig = loadConfig({ LOG_LEVEL: 'silent', STORE: `sqlite:${join(dir, 'lab.db')}` })
    const before = await buildAuthServer(sqliteConfig, { logger: false })
    const client = await registered({ redirect_uris: ['https://app.example.test/cb'], client_name: 'Durable' }, before)
    const deleted = await registered({ redirect_uris: ['https://app.example.test/cb'] }, before)
    await before.inject({
      method: 'DELETE',
      url: `/register/${deleted.client_id}`,
      headers: { authorization: `Bearer ${deleted.registration_access_token}` },
    })
    await before.close()

    const after = await buildAuthServer(sqliteConfig, { logger: false })
    try {
      const read = await after.inject({
        url: `/register/${client.client_id}`,
        headers: { authorization: `Bearer ${client.registration_access_token}` },
      })
      expect(read.statusCode).toBe(200)
      expect(read.json()).toMatchObject({ client_name: 'Durable', client_secret: client.client_secret })
      expect(after.oauthLab.clients.get(deleted.client_id)).toBeUndefined()
      const { params } = await obtainCode(after, sqliteConfig, {
        query: { client_id: client.client_id, redirect_uri: 'https://app.example.test/cb', scope: 'foo' },
      })
      const token = await postForm(
        after,
        '/token',
        {
          grant_type: 'authorization_code',
          code: params.get('code') ?? '',
          redirect_uri: 'https://app.example.test/cb',
        },
        { headers: { authorization: basic(client.client_id, client.client_secret ?? '') } },
      )
      expect(token.statusCode, token.body).toBe(200)
    } finally {
      await after.close()
    }
  })
})

describe('the lab admin page /_lab/clients', () => {
  const key = () => ({ authorization: `Bearer ${config.labKey}` })

  it('lists registered clients (JSON or HTML) behind the lab key', async () => {
    const client = await registered({
      redirect_uris: ['https://app.example.test/cb'],
      client_name: 'Listed <b>app</b>',
    })
    expect((await app.inject({ url: '/_lab/clients' })).statusCode).toBe(401)
    const list = await app.inject({ url: '/_lab/clients', headers: { ...key(), accept: 'application/json' } })
    const clients = list.json<{ clients: Array<Record<string, unknown>> }>().clients
    expect(clients).toContainEqual(
      expect.objectContaining({ clientId: client.client_id, source: 'dynamic', name: 'Listed <b>app</b>' }),
    )
    // Configured clients are not listed as removable.
    expect(clients.some((c) => c.clientId === 'oauth-client-1')).toBe(false)
    const page = await app.inject({ url: '/_lab/clients', headers: { ...key(), accept: 'text/html' } })
    expect(page.headers['content-type']).toMatch(/^text\/html/)
    expect(page.body).toContain(client.client_id)
    expect(page.body).toContain('Listed &lt;b&gt;app&lt;/b&gt;')
    expect(page.body).toContain('<form method="post" action="/_lab/clients">')
  })

  it('removes a registered client with the form; refuses without its CSRF token, and for a configured client', async () => {
    const client = await registered({ redirect_uris: ['https://app.example.test/cb'] })
    const page = await app.inject({ url: '/_lab/clients', headers: { ...key(), accept: 'text/html' } })
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? ''
    const remove = (form: Record<string, string>) =>
      app.inject({
        method: 'POST',
        url: '/_lab/clients',
        headers: { ...key(), 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(form).toString(),
      })
    expect((await remove({ client_id: client.client_id })).statusCode).toBe(403)
    expect((await remove({ client_id: client.client_id, _csrf: `${csrf}x` })).statusCode).toBe(403)
    expect((await remove({ client_id: 'oauth-client-1', _csrf: csrf })).statusCode).toBe(400)
    expect(app.oauthLab.clients.get('oauth-client-1')).toBeDefined()
    const done = await remove({ client_id: client.client_id, _csrf: csrf })
    expect(done.statusCode).toBe(303)
    expect(done.headers.location).toBe('/_lab/clients')
    expect(app.oauthLab.clients.get(client.client_id)).toBeUndefined()
    expect(app.oauthLab.store.findClient(client.client_id)).toBeUndefined()
  })
})

describe('CORS for browser-based clients (the MCP Inspector registers and redeems from its page)', () => {
  const INSPECTOR = 'http://localhost:6274'
  const preflight = (url: string, origin: string, method = 'POST') =>
    app.inject({
      method: 'OPTIONS',
      url,
      headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'content-type' },
    })

  it('any origin may register (open registration, no cookies)', async () => {
    const res = await preflight('/register', INSPECTOR)
    expect(res.statusCode).toBe(204)
    expect(res.headers['access-control-allow-origin']).toBe(INSPECTOR)
    expect(res.headers['access-control-allow-credentials']).toBeUndefined()
    const created = await app.inject({
      method: 'POST',
      url: '/register',
      headers: { origin: INSPECTOR },
      payload: { redirect_uris: [`${INSPECTOR}/oauth/callback`], token_endpoint_auth_method: 'none' },
    })
    expect(created.statusCode).toBe(201)
    expect(created.headers['access-control-allow-origin']).toBe(INSPECTOR)
  })

  it("a registered client's origin may call /token from the browser once it is registered, and not before", async () => {
    const origin = 'http://localhost:6399'
    expect((await preflight('/token', origin)).statusCode).toBe(404)
    await registered({ redirect_uris: [`${origin}/oauth/callback`], token_endpoint_auth_method: 'none' })
    const res = await preflight('/token', origin)
    expect(res.statusCode).toBe(204)
    expect(res.headers['access-control-allow-origin']).toBe(origin)
  })
})

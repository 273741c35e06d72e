// Resource indicators (RFC 8707) over HTTP: `resource` at /authorize (may
// repeat) and at /token for each grant; every access token has exactly one
// audience, chosen among the registered resource servers.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { decodeJwt } from 'jose'
import { buildAuthServer } from '../../src/auth-server/app.js'
import { loadConfig, type LabConfig } from '../../src/shared/config.js'
import { authorizeQuery, obtainCode, pkcePair, testClock } from '../helpers/auth-server.js'
import {
  confidential,
  expectOAuthError,
  introspect,
  postForm,
  redeemCode,
  refresh,
  type Caller,
} from '../helpers/back-channel.js'
import { locationParams } from '../helpers/inject-browser.js'

const OPAQUE = 'opaque-client'
let app: FastifyInstance
let config: LabConfig
let BUILTIN: string
let MCP: string

beforeAll(async () => {
  config = loadConfig(
    { LOG_LEVEL: 'silent', AUTO_LOGIN: 'alice' },
    {
      labOptions: {
        label: 'resources test',
        options: {
          extraClients: [
            {
              clientId: OPAQUE,
              clientSecret: 'opaque-secret',
              redirectUris: ['http://localhost:3000/authenticated'],
              scopes: ['foo', 'bar'],
              accessTokenFormat: 'opaque',
            },
          ],
        },
      },
    },
  )
  app = await buildAuthServer(config, { now: testClock(Date.now()).now, logger: false })
  BUILTIN = config.resource.publicUrl
  MCP = `${BUILTIN}/mcp`
})
afterAll(() => app.close())

/** Step 1 with the given `resource` values (repeated as given); AUTO_LOGIN answers at once. */
async function authorize(resources: readonly string[], query: Record<string, string> = {}) {
  const pkce = pkcePair()
  const base = authorizeQuery(config, { code_challenge: pkce.challenge, code_challenge_method: 'S256', ...query })
  const extra = resources.map((r) => `&resource=${encodeURIComponent(r)}`).join('')
  const res = await app.inject({ method: 'GET', url: `/authorize?${base}${extra}` })
  return { res, params: locationParams(res), verifier: pkce.verifier }
}

async function codeFor(resources: readonly string[], query: Record<string, string> = {}) {
  const { params, verifier } = await authorize(resources, query)
  const code = params.get('code')
  if (code === null) throw new Error(`no code: ${params.toString()}`)
  return { code, verifier }
}

async function redeem(resources: readonly string[], extra: Record<string, string> = {}, caller: Caller = confidential) {
  const { code, verifier } = await codeFor(resources, caller === confidential ? {} : { client_id: OPAQUE })
  return redeemCode(app, config, code, verifier, caller, extra)
}

const audienceOf = (token: string) => decodeJwt(token).aud

describe('/authorize with resource (RFC 8707 §2.1)', () => {
  it.each([
    ['an unknown resource', ['http://localhost:9999/api']],
    ['a relative one', ['/api']],
    ['one with a fragment', [`http://localhost:9002/mcp#x`]],
    ['a known one beside an unknown one', ['http://localhost:9002', 'urn:unknown']],
  ])('redirects %s back as invalid_target, with state and iss', async (_what, resources) => {
    const { res, params } = await authorize(resources)
    expect(res.statusCode).toBe(302)
    expect(String(res.headers.location)).toMatch(/^http:\/\/localhost:3000\/authenticated\?/)
    expect(params.get('error')).toBe('invalid_target')
    expect(params.get('error_description')).toMatch(/resource/)
    expect(params.get('state')).toBe('state-123')
    expect(params.get('iss')).toBe(config.auth.publicUrl)
    expect(params.get('code')).toBeNull()
  })

  it('accepts a registered resource, repeated ones and an empty one (treated as absent)', async () => {
    for (const resources of [[MCP], [BUILTIN, MCP], [MCP, MCP], ['']]) {
      const { params } = await authorize(resources)
      expect(params.get('code'), resources.join(' ')).toBeTruthy()
    }
  })

  it('still refuses any other repeated parameter as invalid_request', async () => {
    const { params } = await authorize([], {})
    expect(params.get('code')).toBeTruthy()
    const res = await app.inject({
      method: 'GET',
      url: `/authorize?${authorizeQuery(config)}&state=again&resource=${encodeURIComponent(MCP)}`,
    })
    expect(locationParams(res).get('error')).toBe('invalid_request')
  })

  it('keeps the resource through the sign-in and consent pages', async () => {
    const browserConfig = loadConfig({ LOG_LEVEL: 'silent' })
    const pages = await buildAuthServer(browserConfig, { logger: false })
    try {
      const pkce = pkcePair()
      const { params } = await obtainCode(pages, browserConfig, {
        query: { resource: MCP, code_challenge: pkce.challenge, code_challenge_method: 'S256' },
      })
      const res = await redeemCode(pages, browserConfig, params.get('code')!, pkce.verifier)
      expect(audienceOf(res.json<{ access_token: string }>().access_token)).toBe(MCP)
    } finally {
      await pages.close()
    }
  })
})

describe('/token, authorization_code (RFC 8707 §2.2)', () => {
  it('without resource anywhere, the aud is the built-in resource server, as before', async () => {
    const res = await redeem([])
    expect(res.statusCode).toBe(200)
    expect(audienceOf(res.json<{ access_token: string }>().access_token)).toBe(BUILTIN)
  })

  it('the one resource asked for at /authorize is the aud', async () => {
    const res = await redeem([MCP])
    expect(res.statusCode).toBe(200)
    expect(audienceOf(res.json<{ access_token: string }>().access_token)).toBe(MCP)
  })

  it('several at /authorize: the token request picks one; none picked is invalid_target', async () => {
    const picked = await redeem([BUILTIN, MCP], { resource: MCP })
    expect(picked.statusCode).toBe(200)
    expect(audienceOf(picked.json<{ access_token: string }>().access_token)).toBe(MCP)
    const none = await redeem([BUILTIN, MCP])
    expectOAuthError(none, 400, 'invalid_target')
    expect(none.json<{ error_description: string }>().error_description).toMatch(/pick one/)
  })

  it('a resource not asked for at /authorize is invalid_target', async () => {
    const other = await redeem([BUILTIN], { resource: MCP })
    expectOAuthError(other, 400, 'invalid_target')
    expect(other.json()).toMatchObject({
      error_description: `resource ${MCP} was not asked for in the authorization request (${BUILTIN}).`,
    })
    // With none asked for, the authorization covers the built-in resource server only.
    expectOAuthError(await redeem([], { resource: MCP }), 400, 'invalid_target')
    const same = await redeem([], { resource: BUILTIN })
    expect(audienceOf(same.json<{ access_token: string }>().access_token)).toBe(BUILTIN)
  })

  it('an unknown resource is invalid_target and leaves the code unspent', async () => {
    const { code, verifier } = await codeFor([MCP])
    const unknown = await redeemCode(app, config, code, verifier, confidential, { resource: 'http://elsewhere.test/' })
    expectOAuthError(unknown, 400, 'invalid_target')
    expect(unknown.json()).toMatchObject({
      error_description: 'resource http://elsewhere.test/ is not a registered resource server.',
    })
    const res = await redeemCode(app, config, code, verifier)
    expect(res.statusCode).toBe(200)
    expect(audienceOf(res.json<{ access_token: string }>().access_token)).toBe(MCP)
  })

  it('a repeated resource is invalid_target: one audience per token', async () => {
    const { code, verifier } = await codeFor([BUILTIN, MCP])
    const res = await app.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...confidential.headers },
      payload: new URLSearchParams([
        ['grant_type', 'authorization_code'],
        ['code', code],
        ['redirect_uri', `${config.client.publicUrl}/authenticated`],
        ['code_verifier', verifier],
        ['resource', BUILTIN],
        ['resource', MCP],
      ]).toString(),
    })
    expectOAuthError(res, 400, 'invalid_target')
  })

  it('an opaque token has the chosen aud, and introspection reports it', async () => {
    const caller = { headers: { authorization: `Basic ${Buffer.from(`${OPAQUE}:opaque-secret`).toString('base64')}` } }
    const res = await redeem([MCP], {}, caller)
    expect(res.statusCode).toBe(200)
    const { access_token: token } = res.json<{ access_token: string }>()
    expect(token.split('.')).toHaveLength(1)
    expect((await introspect(app, token)).json()).toMatchObject({ active: true, aud: MCP })
  })
})

describe('/token, refresh_token: the family remembers the resources granted', () => {
  async function family(resources: readonly string[], extra: Record<string, string> = {}) {
    const res = await redeem(resources, extra)
    expect(res.statusCode).toBe(200)
    return res.json<{ refresh_token: string }>().refresh_token
  }

  it('a refresh may pick any of them; without resource when there are several, invalid_target', async () => {
    let token = await family([BUILTIN, MCP], { resource: BUILTIN })
    for (const resource of [MCP, BUILTIN, MCP]) {
      const res = await refresh(app, token, { resource })
      expect(res.statusCode).toBe(200)
      const body = res.json<{ access_token: string; refresh_token: string }>()
      expect(audienceOf(body.access_token)).toBe(resource)
      token = body.refresh_token
    }
    expectOAuthError(await refresh(app, token), 400, 'invalid_target')
    // Refused before rotation: the refresh token still works.
    expect((await refresh(app, token, { resource: MCP })).statusCode).toBe(200)
  })

  it('a resource the family does not cover, or an unknown one, is invalid_target and rotates nothing', async () => {
    const token = await family([MCP])
    expectOAuthError(await refresh(app, token, { resource: BUILTIN }), 400, 'invalid_target')
    expectOAuthError(await refresh(app, token, { resource: 'urn:nobody' }), 400, 'invalid_target')
    const res = await refresh(app, token)
    expect(res.statusCode).toBe(200)
    expect(audienceOf(res.json<{ access_token: string }>().access_token)).toBe(MCP)
  })

  it('a family from a request without resource refreshes for the built-in resource server', async () => {
    const res = await refresh(app, await family([]))
    expect(audienceOf(res.json<{ access_token: string }>().access_token)).toBe(BUILTIN)
  })

  it('a reused refresh token is still a replay (invalid_grant), whatever resource it names', async () => {
    const token = await family([MCP])
    expect((await refresh(app, token)).statusCode).toBe(200)
    expectOAuthError(await refresh(app, token, { resource: BUILTIN }), 400, 'invalid_grant')
  })
})

describe('/token, client_credentials', () => {
  const credentials = (extra: Record<string, string> = {}) =>
    postForm(app, '/token', { grant_type: 'client_credentials', scope: 'foo', ...extra }, confidential)

  it('any registered resource is the aud; none, the built-in one; an unknown one is invalid_target', async () => {
    expect(audienceOf((await credentials({ resource: MCP })).json<{ access_token: string }>().access_token)).toBe(MCP)
    expect(audienceOf((await credentials()).json<{ access_token: string }>().access_token)).toBe(BUILTIN)
    expectOAuthError(await credentials({ resource: 'http://localhost:9999' }), 400, 'invalid_target')
    expectOAuthError(await credentials({ resource: 'not a uri' }), 400, 'invalid_target')
  })

  it('accepts an upper-case scheme and host, the path as written (MCP authorization: canonical server URI)', async () => {
    const shouted = MCP.replace(/^http:\/\/[^/]+/, (origin) => origin.toUpperCase())
    expect(shouted).not.toBe(MCP)
    expect(audienceOf((await credentials({ resource: shouted })).json<{ access_token: string }>().access_token)).toBe(
      MCP,
    )
    expectOAuthError(await credentials({ resource: MCP.replace('/mcp', '/MCP') }), 400, 'invalid_target')
  })
})

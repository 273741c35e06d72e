// Opaque access tokens (a client registered with accessTokenFormat 'opaque'):
// random strings the authorization server alone can read. Introspection
// (RFC 7662) describes them, revocation (RFC 7009) and replay detection end
// them exactly as they end JWTs, and /userinfo accepts them.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildAuthServer } from '../../../src/auth-server/app.js'
import { loadConfig, type ClientRegistration, type LabConfig } from '../../../src/shared/config.js'
import { basic, obtainCode, pkcePair, testClock, type TestClock } from '../../helpers/auth-server.js'
import {
  confidential,
  expectOAuthError,
  introspect,
  postForm,
  redeemCode,
  refresh,
  revoke,
  type Caller,
} from '../../helpers/back-channel.js'

const OPAQUE: Caller = { headers: { authorization: basic('oauth-client-opaque', 'opaque-secret') } }

let app: FastifyInstance
let config: LabConfig
let clock: TestClock

beforeAll(async () => {
  const base = loadConfig({ LOG_LEVEL: 'silent' })
  const opaqueClient: ClientRegistration = {
    clientId: 'oauth-client-opaque',
    clientSecret: 'opaque-secret',
    name: 'Opaque Client',
    redirectUris: [`${base.client.publicUrl}/authenticated`],
    scopes: ['foo', 'bar'],
    tokenEndpointAuthMethods: ['client_secret_basic'],
    grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
    requirePkce: false,
    accessTokenFormat: 'opaque',
  }
  config = { ...base, clients: [...base.clients, opaqueClient] }
  clock = testClock(Date.now())
  app = await buildAuthServer(config, { now: clock.now, logger: false })
})
afterAll(() => app.close())

async function opaqueTokens(scope = 'foo bar') {
  const pkce = pkcePair()
  const { params } = await obtainCode(app, config, {
    query: { client_id: 'oauth-client-opaque', scope, code_challenge: pkce.challenge, code_challenge_method: 'S256' },
  })
  const code = params.get('code')!
  const res = await redeemCode(app, config, code, pkce.verifier, OPAQUE)
  expect(res.statusCode).toBe(200)
  return {
    ...res.json<{
      access_token: string
      refresh_token: string
      expires_in: number
      scope: string
      id_token?: string
    }>(),
    code,
    verifier: pkce.verifier,
  }
}

describe('issuing', () => {
  it('gives an opaque access token of 258 random bits, not a JWT, with the usual response', async () => {
    const tokens = await opaqueTokens()
    expect(tokens.access_token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'foo bar' })
    expect(tokens.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('client_credentials and refresh give opaque tokens too; other clients keep JWTs', async () => {
    const cc = await postForm(app, '/token', { grant_type: 'client_credentials', scope: 'foo' }, OPAQUE)
    expect(cc.json().access_token.split('.')).toHaveLength(1)
    const refreshed = await refresh(app, (await opaqueTokens()).refresh_token, {}, OPAQUE)
    expect(refreshed.json().access_token.split('.')).toHaveLength(1)
    const jwt = await postForm(app, '/token', { grant_type: 'client_credentials', scope: 'foo' }, confidential)
    expect(jwt.json().access_token.split('.')).toHaveLength(3)
  })
})

describe('introspection (RFC 7662)', () => {
  it('describes an active opaque token with the claims a JWT would carry', async () => {
    const { access_token } = await opaqueTokens()
    const res = await introspect(app, access_token)
    const now = Math.floor(clock.now() / 1000)
    expect(res.json()).toEqual({
      active: true,
      token_type: 'Bearer',
      scope: 'foo bar',
      client_id: 'oauth-client-opaque',
      sub: 'alice',
      username: 'alice',
      exp: now + 3600,
      iat: now,
      aud: config.resource.publicUrl,
      iss: config.auth.publicUrl,
      jti: expect.any(String),
    })
    // The client may introspect its own token.
    expect((await introspect(app, access_token, {}, OPAQUE)).json().active).toBe(true)
  })

  it('inactive once expired, and for an unknown token', async () => {
    const { access_token } = await opaqueTokens()
    clock.advance(3601_000)
    expect((await introspect(app, access_token)).json()).toEqual({ active: false })
    clock.advance(-3601_000)
    expect((await introspect(app, 'x'.repeat(43))).json()).toEqual({ active: false })
  })

  it('another client may not learn about it', async () => {
    const { access_token } = await opaqueTokens()
    expect((await introspect(app, access_token, {}, confidential)).json()).toEqual({ active: false })
  })
})

describe('revocation', () => {
  it('RFC 7009: the client revokes its opaque token; it is inactive at once', async () => {
    const { access_token } = await opaqueTokens()
    expect((await revoke(app, access_token, { token_type_hint: 'access_token' }, OPAQUE)).statusCode).toBe(200)
    expect((await introspect(app, access_token)).json().active).toBe(false)
  })

  it('another client may not revoke it', async () => {
    const { access_token } = await opaqueTokens()
    expectOAuthError(await revoke(app, access_token, {}, confidential), 400, 'unauthorized_client')
    expect((await introspect(app, access_token)).json().active).toBe(true)
  })

  it('a replayed code revokes the opaque token issued from it (RFC 6749 §4.1.2)', async () => {
    const { access_token, code, verifier } = await opaqueTokens()
    expectOAuthError(await redeemCode(app, config, code, verifier, OPAQUE), 400, 'invalid_grant')
    expect((await introspect(app, access_token)).json().active).toBe(false)
  })

  it('a reused refresh token revokes the family, opaque access tokens included (RFC 9700 §4.14.2)', async () => {
    const first = await opaqueTokens()
    const second = (await refresh(app, first.refresh_token, {}, OPAQUE)).json()
    expect((await introspect(app, second.access_token)).json().active).toBe(true)
    expectOAuthError(await refresh(app, first.refresh_token, {}, OPAQUE), 400, 'invalid_grant')
    for (const token of [first.access_token, second.access_token])
      expect((await introspect(app, token)).json().active).toBe(false)
  })

  it('revoking the refresh token ends its opaque access token too', async () => {
    const { access_token, refresh_token } = await opaqueTokens()
    await revoke(app, refresh_token, {}, OPAQUE)
    expect((await introspect(app, access_token)).json().active).toBe(false)
  })
})

describe('/userinfo', () => {
  it('accepts an opaque token with scope openid, and refuses it once revoked', async () => {
    const { access_token } = await opaqueTokens('openid email foo')
    const get = () =>
      app.inject({ method: 'GET', url: '/userinfo', headers: { authorization: `Bearer ${access_token}` } })
    const res = await get()
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ sub: 'alice', email: 'alice@example.test', email_verified: true })
    await revoke(app, access_token, {}, OPAQUE)
    const refused = await get()
    expect(refused.statusCode).toBe(401)
    expect(refused.headers['www-authenticate']).toContain('error="invalid_token"')
  })
})

describe('hooks', () => {
  it('beforeTokenSigning changes the stored claims, which introspection then reports', async () => {
    app.oauthLab.hooks.beforeTokenSigning = (claims) => ({ ...claims, scope: 'foo' })
    try {
      const { access_token } = await opaqueTokens()
      expect((await introspect(app, access_token)).json().scope).toBe('foo')
    } finally {
      delete app.oauthLab.hooks.beforeTokenSigning
    }
  })
})

// Step 6, later: POST /token with grant_type=refresh_token (RFC 6749 §6), with
// rotation and reuse detection (RFC 9700 §4.14.2; docs/contract.md: reuse of a
// rotated refresh token revokes the whole family).

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { decodeJwt } from 'jose'
import type { LabConfig } from '../../../../src/shared/config.js'
import { testAuthServer } from '../../../helpers/auth-server.js'
import {
  confidential,
  expectOAuthError,
  isActive,
  publicClient,
  PUBLIC_CLIENT,
  redeemCode,
  refresh,
  tokensFor,
} from '../../../helpers/back-channel.js'

let app: FastifyInstance
let config: LabConfig

beforeAll(async () => {
  ;({ app, config } = await testAuthServer())
})
afterAll(() => app.close())

const jti = (accessToken: string) => decodeJwt(accessToken).jti!

describe('the authorization_code grant issues a refresh token', () => {
  it('to oauth-client-1', async () => {
    const tokens = await tokensFor(app, config)
    expect(tokens.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(tokens.refresh_token).not.toBe(tokens.access_token)
  })

  it('to the public client', async () => {
    const tokens = await tokensFor(app, config, { clientId: PUBLIC_CLIENT })
    expect(tokens.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })
})

describe('grant_type=refresh_token with rotation', () => {
  it('returns a new access token and a new refresh token, no-store (RFC 6749 §5.1)', async () => {
    const first = await tokensFor(app, config)
    const res = await refresh(app, first.refresh_token!)
    expect(res.statusCode).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.headers.pragma).toBe('no-cache')
    const body = res.json()
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type'])
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'foo bar' })
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(body.refresh_token).not.toBe(first.refresh_token)
    expect(body.access_token).not.toBe(first.access_token)
    const claims = decodeJwt(body.access_token)
    expect(claims).toMatchObject({ sub: 'alice', client_id: 'oauth-client-1', scope: 'foo bar' })
    expect(claims.jti).not.toBe(jti(first.access_token))
  })

  it('the new refresh token works, and so does the one after it', async () => {
    const first = await tokensFor(app, config)
    const second = (await refresh(app, first.refresh_token!)).json()
    const third = await refresh(app, second.refresh_token)
    expect(third.statusCode).toBe(200)
    expect(third.json().refresh_token).not.toBe(second.refresh_token)
    expect(await isActive(app, third.json().access_token)).toBe(true)
  })

  it('the public client refreshes with its client_id only', async () => {
    const first = await tokensFor(app, config, { clientId: PUBLIC_CLIENT })
    const res = await refresh(app, first.refresh_token!, {}, publicClient)
    expect(res.statusCode).toBe(200)
    expect(decodeJwt(res.json().access_token).client_id).toBe(PUBLIC_CLIENT)
    expect(res.json().refresh_token).not.toBe(first.refresh_token)
  })
})

describe('reuse of a rotated refresh token (RFC 9700 §4.14.2)', () => {
  it('is invalid_grant and revokes the whole family', async () => {
    const first = await tokensFor(app, config)
    const second = (await refresh(app, first.refresh_token!)).json()
    const third = (await refresh(app, second.refresh_token)).json()
    const accessTokens = [first.access_token, second.access_token, third.access_token]
    for (const token of accessTokens) expect(await isActive(app, token)).toBe(true)
    expect(await isActive(app, third.refresh_token)).toBe(true)

    // The attacker (or the confused client) replays the first, rotated, refresh token.
    const replay = await refresh(app, first.refresh_token!)
    expectOAuthError(replay, 400, 'invalid_grant')
    expect(replay.json().error_description).toContain('already used')

    // The newest refresh token, never used, is dead too...
    expectOAuthError(await refresh(app, third.refresh_token), 400, 'invalid_grant')
    expect(await isActive(app, third.refresh_token)).toBe(false)
    // ...and every access token of the family is inactive.
    for (const token of accessTokens) {
      expect(await isActive(app, token)).toBe(false)
      expect(app.oauthLab.store.isRevoked(jti(token))).toBe(true)
    }
  })

  it('of the public client revokes its family too', async () => {
    const first = await tokensFor(app, config, { clientId: PUBLIC_CLIENT })
    const second = (await refresh(app, first.refresh_token!, {}, publicClient)).json()
    expectOAuthError(await refresh(app, first.refresh_token!, {}, publicClient), 400, 'invalid_grant')
    expectOAuthError(await refresh(app, second.refresh_token, {}, publicClient), 400, 'invalid_grant')
    expect(app.oauthLab.store.isRevoked(jti(second.access_token))).toBe(true)
  })

  it('leaves other families of the same user and client alone', async () => {
    const victim = await tokensFor(app, config)
    const bystander = await tokensFor(app, config)
    await refresh(app, victim.refresh_token!)
    await refresh(app, victim.refresh_token!)
    expect(await isActive(app, bystander.access_token)).toBe(true)
    expect((await refresh(app, bystander.refresh_token!)).statusCode).toBe(200)
  })

  it('two racing refreshes with the same token: exactly one succeeds', async () => {
    const first = await tokensFor(app, config)
    const results = await Promise.all([refresh(app, first.refresh_token!), refresh(app, first.refresh_token!)])
    const statuses = results.map((r) => r.statusCode).sort()
    expect(statuses).toEqual([200, 400])
    expectOAuthError(
      results.find((r) => r.statusCode === 400)!,
      400,
      'invalid_grant',
    )
  })
})

describe('scope on refresh (RFC 6749 §6)', () => {
  it('a narrower scope is granted to the access token only; a later refresh gets the original scope', async () => {
    const first = await tokensFor(app, config)
    const narrowed = await refresh(app, first.refresh_token!, { scope: 'foo' })
    expect(narrowed.statusCode).toBe(200)
    expect(narrowed.json().scope).toBe('foo')
    expect(decodeJwt(narrowed.json().access_token).scope).toBe('foo')

    const later = await refresh(app, narrowed.json().refresh_token)
    expect(later.statusCode).toBe(200)
    expect(later.json().scope).toBe('foo bar')
    expect(decodeJwt(later.json().access_token).scope).toBe('foo bar')
  })

  it('a wider scope is invalid_scope, and the refresh token stays usable', async () => {
    const first = await tokensFor(app, config)
    expectOAuthError(await refresh(app, first.refresh_token!, { scope: 'foo baz' }), 400, 'invalid_scope')
    expect((await refresh(app, first.refresh_token!)).statusCode).toBe(200)
  })

  it('a scope the client may have but the user did not grant is invalid_scope', async () => {
    const first = await tokensFor(app, config, { scope: 'bar' })
    expectOAuthError(await refresh(app, first.refresh_token!, { scope: 'foo' }), 400, 'invalid_scope')
    expectOAuthError(await refresh(app, first.refresh_token!, { scope: 'foo bar' }), 400, 'invalid_scope')
    const ok = await refresh(app, first.refresh_token!)
    expect(ok.json().scope).toBe('bar')
  })
})

describe('refresh tokens that are not good', () => {
  it('a refresh token of another client is invalid_grant, and is not burnt', async () => {
    const theirs = await tokensFor(app, config, { clientId: PUBLIC_CLIENT })
    expectOAuthError(await refresh(app, theirs.refresh_token!, {}, confidential), 400, 'invalid_grant')
    const mine = await tokensFor(app, config)
    expectOAuthError(await refresh(app, mine.refresh_token!, {}, publicClient), 400, 'invalid_grant')
    // Neither failed attempt counts as a use: the owners can still refresh.
    expect((await refresh(app, theirs.refresh_token!, {}, publicClient)).statusCode).toBe(200)
    expect((await refresh(app, mine.refresh_token!)).statusCode).toBe(200)
  })

  it('a missing refresh_token is invalid_request', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/token',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: confidential.headers!.authorization,
      },
      payload: 'grant_type=refresh_token',
    })
    expectOAuthError(res, 400, 'invalid_request')
  })

  it('an empty refresh_token is treated as missing (RFC 6749 §3.1): invalid_request', async () => {
    expectOAuthError(await refresh(app, ''), 400, 'invalid_request')
  })

  it('an unknown refresh token is invalid_grant', async () => {
    expectOAuthError(await refresh(app, 'r'.repeat(43)), 400, 'invalid_grant')
  })

  it('an access token is not a refresh token', async () => {
    const tokens = await tokensFor(app, config)
    expectOAuthError(await refresh(app, tokens.access_token), 400, 'invalid_grant')
  })

  it('the resource server client may not refresh (no such grant)', async () => {
    const tokens = await tokensFor(app, config)
    const res = await refresh(
      app,
      tokens.refresh_token!,
      {},
      { form: { client_id: 'oauth-resource-1', client_secret: 'oauth-resource-secret-1' } },
    )
    expectOAuthError(res, 400, 'unauthorized_client')
  })
})

describe('refresh token expiry (REFRESH_TOKEN_TTL_SECONDS)', () => {
  it('expires after the TTL of inactivity; rotation starts a new TTL', async () => {
    const lab = await testAuthServer({ REFRESH_TOKEN_TTL_SECONDS: '60' })
    try {
      const a = await tokensFor(lab.app, lab.config)
      const b = await tokensFor(lab.app, lab.config)
      const c = await tokensFor(lab.app, lab.config)
      lab.clock.advance(40_000)
      // 40 s in: still good; the rotated token gets a fresh 60 s.
      const a2 = await refresh(lab.app, a.refresh_token!)
      expect(a2.statusCode).toBe(200)
      lab.clock.advance(19_000)
      // 59 s in: b is still good.
      expect((await refresh(lab.app, b.refresh_token!)).statusCode).toBe(200)
      lab.clock.advance(1_001)
      // Just past 60 s: c has expired; a2's token, issued at 40 s, has not.
      expectOAuthError(await refresh(lab.app, c.refresh_token!), 400, 'invalid_grant')
      expect(await isActive(lab.app, c.refresh_token!)).toBe(false)
      expect((await refresh(lab.app, a2.json().refresh_token)).statusCode).toBe(200)
    } finally {
      await lab.app.close()
    }
  })

  it('defaults to 24 hours', async () => {
    const lab = await testAuthServer()
    try {
      const a = await tokensFor(lab.app, lab.config)
      const b = await tokensFor(lab.app, lab.config)
      lab.clock.advance(24 * 3600_000 - 1_000)
      expect((await refresh(lab.app, a.refresh_token!)).statusCode).toBe(200)
      lab.clock.advance(1_001)
      expectOAuthError(await refresh(lab.app, b.refresh_token!), 400, 'invalid_grant')
    } finally {
      await lab.app.close()
    }
  })
})

describe('a replayed authorization code revokes the refresh family (RFC 6749 §4.1.2, §10.5)', () => {
  it('the refresh token issued from the code, its successors and their access tokens', async () => {
    const first = await tokensFor(app, config)
    const second = (await refresh(app, first.refresh_token!)).json()
    expect(await isActive(app, second.access_token)).toBe(true)

    const replay = await redeemCode(app, config, first.code, first.verifier)
    expectOAuthError(replay, 400, 'invalid_grant')

    expectOAuthError(await refresh(app, second.refresh_token), 400, 'invalid_grant')
    for (const token of [first.access_token, second.access_token]) {
      expect(await isActive(app, token)).toBe(false)
      expect(app.oauthLab.store.isRevoked(jti(token))).toBe(true)
    }
  })
})

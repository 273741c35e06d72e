// POST /revoke (RFC 7009). Revoking a refresh token ends its whole family,
// access tokens included (§2.1 SHOULD); revoking an access token ends that
// token only. Unknown tokens are not an error (§2.2).

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { decodeJwt } from 'jose'
import type { LabConfig } from '../../../src/shared/config.js'
import { basic, testAuthServer } from '../../helpers/auth-server.js'
import {
  CLIENT_BASIC,
  expectOAuthError,
  isActive,
  postForm,
  publicClient,
  PUBLIC_CLIENT,
  refresh,
  resourceServer,
  revoke,
  tokensFor,
} from '../../helpers/back-channel.js'

let app: FastifyInstance
let config: LabConfig

beforeAll(async () => {
  ;({ app, config } = await testAuthServer())
})
afterAll(() => app.close())

/** RFC 7009 §2.2: 200, and the content of the body is ignored by the client: the lab sends none. */
function expectRevoked(res: LightMyRequestResponse): void {
  expect(res.statusCode).toBe(200)
  expect(res.body).toBe('')
  expect(res.headers['cache-control']).toBe('no-store')
}

describe('revoking a refresh token', () => {
  it("200 with an empty body; the refresh token no longer refreshes; the family's access tokens are inactive", async () => {
    const first = await tokensFor(app, config)
    const second = (await refresh(app, first.refresh_token!)).json()
    expect(await isActive(app, second.access_token)).toBe(true)

    expectRevoked(await revoke(app, second.refresh_token, { token_type_hint: 'refresh_token' }))

    expectOAuthError(await refresh(app, second.refresh_token), 400, 'invalid_grant')
    expect(await isActive(app, second.refresh_token)).toBe(false)
    for (const token of [first.access_token, second.access_token]) {
      expect(await isActive(app, token)).toBe(false)
      expect(app.oauthLab.store.isRevoked(decodeJwt(token).jti!)).toBe(true)
    }
  })

  it('without a hint, or with the wrong hint, it is found all the same (RFC 7009 §2.1)', async () => {
    const a = await tokensFor(app, config)
    const b = await tokensFor(app, config)
    expectRevoked(await revoke(app, a.refresh_token!))
    expectRevoked(await revoke(app, b.refresh_token!, { token_type_hint: 'access_token' }))
    expectOAuthError(await refresh(app, a.refresh_token!), 400, 'invalid_grant')
    expectOAuthError(await refresh(app, b.refresh_token!), 400, 'invalid_grant')
  })

  it('revoking it twice is still 200', async () => {
    const { refresh_token } = await tokensFor(app, config)
    expectRevoked(await revoke(app, refresh_token!))
    expectRevoked(await revoke(app, refresh_token!))
  })

  it('the public client revokes its own refresh token with just its client_id', async () => {
    const tokens = await tokensFor(app, config, { clientId: PUBLIC_CLIENT })
    expectRevoked(await revoke(app, tokens.refresh_token!, {}, publicClient))
    expectOAuthError(await refresh(app, tokens.refresh_token!, {}, publicClient), 400, 'invalid_grant')
    expect(await isActive(app, tokens.access_token)).toBe(false)
  })

  it("leaves the user's other families alone", async () => {
    const revoked = await tokensFor(app, config)
    const other = await tokensFor(app, config)
    expectRevoked(await revoke(app, revoked.refresh_token!))
    expect(await isActive(app, other.access_token)).toBe(true)
    expect((await refresh(app, other.refresh_token!)).statusCode).toBe(200)
  })
})

describe('revoking an access token', () => {
  it('200; the token becomes inactive while the refresh token still works', async () => {
    const tokens = await tokensFor(app, config)
    expectRevoked(await revoke(app, tokens.access_token, { token_type_hint: 'access_token' }))
    expect(await isActive(app, tokens.access_token)).toBe(false)
    expect(app.oauthLab.store.isRevoked(decodeJwt(tokens.access_token).jti!)).toBe(true)
    const next = await refresh(app, tokens.refresh_token!)
    expect(next.statusCode).toBe(200)
    expect(await isActive(app, next.json().access_token)).toBe(true)
  })

  it('a client_credentials token', async () => {
    const res = await postForm(
      app,
      '/token',
      { grant_type: 'client_credentials' },
      { headers: { authorization: CLIENT_BASIC } },
    )
    const token = res.json().access_token as string
    expectRevoked(await revoke(app, token, { token_type_hint: 'refresh_token' }))
    expect(await isActive(app, token)).toBe(false)
  })
})

describe('what is not an error (RFC 7009 §2.2)', () => {
  it('an unknown token: 200', async () => {
    expectRevoked(await revoke(app, 'unknown-token'))
    expectRevoked(await revoke(app, 'a.b.c'))
    expectRevoked(await revoke(app, 'x'.repeat(43), { token_type_hint: 'refresh_token' }))
  })
})

describe('refused revocation requests', () => {
  it('a missing token: 400 invalid_request', async () => {
    expectOAuthError(
      await postForm(app, '/revoke', {}, { headers: { authorization: CLIENT_BASIC } }),
      400,
      'invalid_request',
    )
    expectOAuthError(await revoke(app, ''), 400, 'invalid_request')
  })

  it('a token of another client: 400 unauthorized_client, and nothing is revoked', async () => {
    const theirs = await tokensFor(app, config, { clientId: PUBLIC_CLIENT })
    expectOAuthError(await revoke(app, theirs.refresh_token!), 400, 'unauthorized_client')
    expectOAuthError(await revoke(app, theirs.access_token), 400, 'unauthorized_client')
    const mine = await tokensFor(app, config)
    expectOAuthError(await revoke(app, mine.access_token, {}, publicClient), 400, 'unauthorized_client')
    expectOAuthError(await revoke(app, mine.refresh_token!, {}, publicClient), 400, 'unauthorized_client')

    for (const token of [theirs.access_token, theirs.refresh_token!, mine.access_token, mine.refresh_token!]) {
      expect(await isActive(app, token)).toBe(true)
    }
    expect((await refresh(app, theirs.refresh_token!, {}, publicClient)).statusCode).toBe(200)
    expect((await refresh(app, mine.refresh_token!)).statusCode).toBe(200)
  })

  it("the resource server's client, which may only introspect: 400 unauthorized_client", async () => {
    const tokens = await tokensFor(app, config)
    expectOAuthError(await revoke(app, tokens.access_token, {}, resourceServer), 400, 'unauthorized_client')
    expect(await isActive(app, tokens.access_token)).toBe(true)
  })

  it('bad credentials: 401 invalid_client (with a Basic challenge when Basic was tried)', async () => {
    const tokens = await tokensFor(app, config)
    const wrongBasic = await revoke(
      app,
      tokens.refresh_token!,
      {},
      { headers: { authorization: basic('oauth-client-1', 'wrong') } },
    )
    expectOAuthError(wrongBasic, 401, 'invalid_client')
    expect(wrongBasic.headers['www-authenticate']).toMatch(/^Basic /)
    const wrongPost = await revoke(
      app,
      tokens.refresh_token!,
      {},
      { form: { client_id: 'oauth-client-1', client_secret: 'wrong' } },
    )
    expectOAuthError(wrongPost, 401, 'invalid_client')
    expectOAuthError(await revoke(app, tokens.refresh_token!, {}, {}), 401, 'invalid_client')
    // The confidential client may not fall back to public-client authentication.
    expectOAuthError(
      await revoke(app, tokens.refresh_token!, {}, { form: { client_id: 'oauth-client-1' } }),
      401,
      'invalid_client',
    )
    expect((await refresh(app, tokens.refresh_token!)).statusCode).toBe(200)
  })

  it('a JSON body or credentials in the query: 400 invalid_request', async () => {
    const tokens = await tokensFor(app, config)
    const json = await app.inject({
      method: 'POST',
      url: '/revoke',
      headers: { 'content-type': 'application/json', authorization: CLIENT_BASIC },
      payload: JSON.stringify({ token: tokens.refresh_token }),
    })
    expectOAuthError(json, 400, 'invalid_request')
    const query = await app.inject({
      method: 'POST',
      url: '/revoke?client_id=oauth-client-1&client_secret=oauth-client-secret-1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ token: tokens.refresh_token! }).toString(),
    })
    expectOAuthError(query, 400, 'invalid_request')
    expect(await isActive(app, tokens.refresh_token!)).toBe(true)
  })
})

describe('a store at its cap', () => {
  it('refuses a new revocation with 503 temporarily_unavailable rather than forget a live one (RFC 7009 §2.2.1)', async () => {
    const server = await testAuthServer()
    const { access_token: accessToken } = await tokensFor(server.app, server.config)
    // Fill the revocation list with live entries, as many as the store may hold.
    const expiresAt = Date.now() + 3_600_000
    let filled = 0
    for (; filled < 200_000; filled++) {
      try {
        server.app.oauthLab.store.revokeToken({ jti: `filler-${filled}`, expiresAt })
      } catch {
        break
      }
    }
    expect(filled).toBeLessThan(200_000)
    const res = await revoke(server.app, accessToken)
    expect(res.statusCode).toBe(503)
    expect(res.json()).toMatchObject({ error: 'temporarily_unavailable' })
    // Nothing was forgotten to make room.
    expect(server.app.oauthLab.store.isRevoked('filler-0')).toBe(true)
    await server.app.close()
  })
})

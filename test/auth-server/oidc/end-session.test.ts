// RP-Initiated Logout 1.0 §2: the id_token_hint of GET /end-session must be an
// ID token this server signed (current or previous key, its issuer; expired
// is fine, OIDC Core §3.1.2.1), and a client_id given with it must be one of
// its audiences. Anything else is a 400 page, never a redirect.

import { describe, expect, it } from 'vitest'
import type { LightMyRequestResponse } from 'fastify'
import { signIdToken } from '../../../src/auth-server/oidc/id-token.js'
import { signJwt } from '../../../src/auth-server/tokens/jws.js'
import { generateSigningKeys } from '../../../src/auth-server/tokens/keys.js'
import { obtainCode, pkcePair, testAuthServer } from '../../helpers/auth-server.js'
import { redeemCode } from '../../helpers/back-channel.js'
import { hiddenField, injectBrowser } from '../../helpers/inject-browser.js'

const RETURN_TO = 'http://localhost:3000/'

type TestServer = Awaited<ReturnType<typeof testAuthServer>>

/** An ID token as the token endpoint signs it, for alice and oauth-client-1. */
function idToken({ app }: TestServer, clientId = 'oauth-client-1'): Promise<string> {
  return signIdToken(app.oauthLab, {
    sub: 'alice',
    clientId,
    authTime: Math.floor(app.oauthLab.now() / 1000),
    accessToken: 'an-access-token',
  })
}

/** The ID token's claims, as this server would sign them. */
function claims({ app, config }: TestServer): Record<string, unknown> {
  const iat = Math.floor(app.oauthLab.now() / 1000)
  return { iss: config.auth.publicUrl, sub: 'alice', aud: 'oauth-client-1', iat, exp: iat + 3600 }
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

function endSession(server: TestServer, params: Record<string, string>): Promise<LightMyRequestResponse> {
  return server.app.inject({ method: 'GET', url: `/end-session?${new URLSearchParams(params).toString()}` })
}

/** The hint is refused with the error page, even with a registered post_logout_redirect_uri. */
async function expectRefused(server: TestServer, params: Record<string, string>, why: string): Promise<void> {
  const res = await endSession(server, { post_logout_redirect_uri: RETURN_TO, state: 's1', ...params })
  expect(res.statusCode).toBe(400)
  expect(res.headers.location).toBeUndefined()
  expect(res.headers['content-type']).toContain('text/html')
  expect(res.body).toContain('Invalid logout request')
  expect(res.body).toContain(why)
}

const NOT_OURS = 'not an ID token issued by this server'

describe('GET /end-session with id_token_hint', () => {
  it('accepts an ID token from a real openid flow, confirms, and returns to the client', async () => {
    const server = await testAuthServer()
    const pkce = pkcePair()
    const { params, browser } = await obtainCode(server.app, server.config, {
      query: { scope: 'openid foo', code_challenge: pkce.challenge, code_challenge_method: 'S256' },
    })
    const tokens = (await redeemCode(server.app, server.config, params.get('code')!, pkce.verifier)).json<{
      id_token: string
    }>()
    const query = new URLSearchParams({
      id_token_hint: tokens.id_token,
      client_id: 'oauth-client-1',
      post_logout_redirect_uri: RETURN_TO,
      state: 's1',
    })
    const page = await browser.get(`/end-session?${query.toString()}`)
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('Sign out?')
    const out = await browser.postForm('/logout', {
      _csrf: hiddenField(page.body, '_csrf'),
      interaction: hiddenField(page.body, 'interaction'),
    })
    expect(out.statusCode).toBe(303)
    expect(out.headers.location).toBe(`${RETURN_TO}?state=s1`)
    await server.app.close()
  })

  it('accepts a signed hint without client_id: the client is its audience', async () => {
    const server = await testAuthServer()
    const res = await endSession(server, {
      id_token_hint: await idToken(server),
      post_logout_redirect_uri: RETURN_TO,
      state: 's2',
    })
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe(`${RETURN_TO}?state=s2`)
    await server.app.close()
  })

  it('accepts a signed hint long expired (its expiry is ignored)', async () => {
    const server = await testAuthServer()
    const hint = await idToken(server)
    server.clock.advance(30 * 24 * 3600 * 1000)
    const res = await endSession(server, { id_token_hint: hint, post_logout_redirect_uri: RETURN_TO })
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe(RETURN_TO)
    // Expired already when signed, too.
    const past = { ...claims(server), exp: Math.floor(server.clock.now() / 1000) - 3600 }
    const expired = await signJwt(server.app.oauthLab.keys, 'JWT', past)
    expect((await endSession(server, { id_token_hint: expired })).statusCode).toBe(200)
    await server.app.close()
  })

  it('accepts a hint signed by a replaced key while its tokens can be live, not once its key is gone', async () => {
    const server = await testAuthServer()
    const hint = await idToken(server)
    await server.app.oauthLab.keys.rotate()
    expect((await endSession(server, { id_token_hint: hint, post_logout_redirect_uri: RETURN_TO })).statusCode).toBe(
      303,
    )
    await server.app.oauthLab.keys.rotate()
    expect((await endSession(server, { id_token_hint: hint, post_logout_redirect_uri: RETURN_TO })).statusCode).toBe(
      303,
    )
    server.clock.advance(server.config.auth.accessTokenTtlSeconds * 1000 + 1000)
    await expectRefused(server, { id_token_hint: hint }, NOT_OURS)
    await server.app.close()
  })

  it('refuses an unsigned hint (alg none)', async () => {
    const server = await testAuthServer()
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims(server))}.`
    await expectRefused(server, { id_token_hint: unsigned }, NOT_OURS)
    // Even when it names this server's key.
    const withKid = `${b64({ alg: 'none', typ: 'JWT', kid: server.app.oauthLab.keys.kid })}.${b64(claims(server))}.`
    await expectRefused(server, { id_token_hint: withKid }, NOT_OURS)
    await server.app.close()
  })

  it("refuses a hint signed by another key, even under this server's kid", async () => {
    const server = await testAuthServer()
    const other = await generateSigningKeys('ES256')
    await expectRefused(server, { id_token_hint: await signJwt(other, 'JWT', claims(server)) }, NOT_OURS)
    const impostor = { ...other, kid: server.app.oauthLab.keys.kid }
    await expectRefused(server, { id_token_hint: await signJwt(impostor, 'JWT', claims(server)) }, NOT_OURS)
    await server.app.close()
  })

  it('refuses a tampered payload', async () => {
    const server = await testAuthServer()
    const [header, , signature] = (await idToken(server)).split('.')
    const tampered = `${header}.${b64({ ...claims(server), sub: 'bob' })}.${signature}`
    await expectRefused(server, { id_token_hint: tampered }, NOT_OURS)
    await server.app.close()
  })

  it('refuses a malformed hint, another issuer, an access token, and a hint without audience', async () => {
    const server = await testAuthServer()
    const keys = server.app.oauthLab.keys
    const withoutAud = Object.fromEntries(Object.entries(claims(server)).filter(([name]) => name !== 'aud'))
    const hints = [
      'not-a-jwt',
      'a.b.c',
      await signJwt(keys, 'JWT', { ...claims(server), iss: 'http://evil.example' }),
      await signJwt(keys, 'at+jwt', { ...claims(server), aud: 'http://localhost:9002', client_id: 'oauth-client-1' }),
      await signJwt(keys, 'JWT', withoutAud),
      await signJwt(keys, 'JWT', { ...claims(server), aud: [] }),
    ]
    for (const hint of hints) await expectRefused(server, { id_token_hint: hint }, NOT_OURS)
    await server.app.close()
  })

  it('refuses a client_id that is not an audience of the hint', async () => {
    const server = await testAuthServer()
    const hint = await idToken(server)
    await expectRefused(
      server,
      { id_token_hint: hint, client_id: 'oauth-client-public' },
      'The client_id is not an audience of the id_token_hint.',
    )
    // One of several audiences is enough.
    const both = await signJwt(server.app.oauthLab.keys, 'JWT', {
      ...claims(server),
      aud: ['oauth-client-1', 'oauth-client-public'],
    })
    const res = await endSession(server, {
      id_token_hint: both,
      client_id: 'oauth-client-public',
      post_logout_redirect_uri: RETURN_TO,
    })
    expect(res.statusCode).toBe(303)
    await server.app.close()
  })

  it('signs no one out on a refused hint, and shows no confirmation', async () => {
    const server = await testAuthServer()
    const { browser } = await obtainCode(server.app, server.config)
    const res = await browser.get('/end-session?id_token_hint=not-a-jwt')
    expect(res.statusCode).toBe(400)
    expect(res.body).not.toContain('Sign out?')
    // Still signed in: the grants page, not the sign-in form.
    const grants = await browser.get('/account/grants')
    expect(grants.body).toContain('Your remembered decisions')
    expect(grants.body).not.toContain('name="password"')
    await server.app.close()
  })
})

describe('GET /end-session without id_token_hint', () => {
  it('keeps the post_logout_redirect_uri rule: client_id and an exactly registered URI', async () => {
    const server = await testAuthServer()
    const browser = injectBrowser(server.app)
    const ok = await browser.get(
      `/end-session?client_id=oauth-client-1&post_logout_redirect_uri=${encodeURIComponent(RETURN_TO)}`,
    )
    expect(ok.headers.location).toBe(RETURN_TO)
    const unknown = await browser.get(`/end-session?post_logout_redirect_uri=${encodeURIComponent(RETURN_TO)}`)
    expect(unknown.statusCode).toBe(400)
    expect(unknown.headers.location).toBeUndefined()
    await server.app.close()
  })
})

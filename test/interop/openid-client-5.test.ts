// Interoperability: openid-client 5 (panva's certified relying party, the v5
// API that many projects still run) against a started lab, unmodified:
// discovery, the code flow with PKCE and nonce through the lab's real sign-in
// and consent forms, the resource, userinfo, refresh and revocation.
//
// The client sets no id_token_signed_response_alg: v5 then accepts RS256 ID
// tokens only (OpenID Connect Registration 1.0 §2 default), so this file
// proves the lab's ID tokens are RS256 by default.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeProtectedHeader } from 'jose'
import { generators, Issuer, type BaseClient, type TokenSet } from 'openid-client-5'
import { startLab, type Lab } from '../../src/index.js'
import { httpBrowser } from '../helpers/http-browser.js'
import { authorizeInBrowser } from './authorize-in-browser.js'

const CLIENT_ID = 'openid-client-5-rp'
const CLIENT_SECRET = 'openid-client-5-secret'
// The relying party's callback. The HTTP browser stops at the redirect and
// hands the URL to the relying party, as its server would receive it.
const REDIRECT_URI = 'http://127.0.0.1:8400/auth/callback'
const ALICE = { username: 'alice', password: 'alice-password' }

let lab: Lab
let issuer: Issuer
let rp: BaseClient
/** The resource server's own identity: the client that may introspect. */
let resourceServer: BaseClient

beforeAll(async () => {
  lab = await startLab({
    // The resource server asks the authorization server about each token, so a revoked one is refused at once.
    tokenCheck: 'introspect',
    extraClients: [
      { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [REDIRECT_URI], scopes: ['foo', 'bar'] },
    ],
  })
})
afterAll(() => lab?.close())

function resource(accessToken: string): Promise<Response> {
  return fetch(`${lab.urls.resource}/resource`, { headers: { authorization: `Bearer ${accessToken}` } })
}

describe('openid-client 5 against the lab', () => {
  const flow: { tokens?: TokenSet; refreshed?: TokenSet } = {}

  it('Issuer.discover reads the OpenID Provider metadata', async () => {
    issuer = await Issuer.discover(lab.urls.auth)
    expect(issuer.metadata).toMatchObject({
      issuer: lab.urls.auth,
      authorization_endpoint: `${lab.urls.auth}/authorize`,
      token_endpoint: `${lab.urls.auth}/token`,
      userinfo_endpoint: `${lab.urls.auth}/userinfo`,
      revocation_endpoint: `${lab.urls.auth}/revoke`,
    })
    rp = new issuer.Client({
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uris: [REDIRECT_URI],
      response_types: ['code'],
      // No id_token_signed_response_alg: v5's default, RS256, is what it then accepts.
    })
    expect(rp.metadata.id_token_signed_response_alg).toBe('RS256')
    expect(rp.metadata.token_endpoint_auth_method).toBe('client_secret_basic')
    resourceServer = new issuer.Client({ client_id: 'oauth-resource-1', client_secret: 'oauth-resource-secret-1' })
  })

  it('authorizationUrl -> sign-in and consent forms -> callback: RS256 ID token, nonce, PKCE, iss checked', async () => {
    const codeVerifier = generators.codeVerifier()
    const nonce = generators.nonce()
    const state = generators.state()
    const url = rp.authorizationUrl({
      scope: 'openid profile email offline_access foo',
      code_challenge: generators.codeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      nonce,
      state,
    })
    const callback = await authorizeInBrowser(httpBrowser(), url, ALICE)
    expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT_URI)
    const params = rp.callbackParams(callback.href)
    // RFC 9207: the lab sends iss, and openid-client 5 compares it with the issuer.
    expect(params.iss).toBe(lab.urls.auth)

    flow.tokens = await rp.callback(REDIRECT_URI, params, { code_verifier: codeVerifier, nonce, state })
    expect(decodeProtectedHeader(flow.tokens.id_token!).alg).toBe('RS256')
    expect(flow.tokens.claims()).toMatchObject({ iss: lab.urls.auth, sub: 'alice', aud: CLIENT_ID, nonce })
    expect(flow.tokens.refresh_token).toEqual(expect.any(String))
    expect(flow.tokens.scope?.split(' ').sort()).toEqual(['email', 'foo', 'offline_access', 'openid', 'profile'])
  })

  it('a callback with a forged iss is refused before the code is used', async () => {
    const state = generators.state()
    const codeVerifier = generators.codeVerifier()
    const url = rp.authorizationUrl({
      scope: 'openid foo',
      code_challenge: generators.codeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      nonce: generators.nonce(),
      state,
    })
    const callback = await authorizeInBrowser(httpBrowser(), url, ALICE)
    const params = rp.callbackParams(callback.href)
    await expect(
      rp.callback(REDIRECT_URI, { ...params, iss: 'http://evil.example' }, { code_verifier: codeVerifier, state }),
    ).rejects.toThrow(/iss mismatch/)
  })

  it('the access token opens the resource', async () => {
    const res = await resource(flow.tokens!.access_token!)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ resource: 'foo', sub: 'alice', client_id: CLIENT_ID })
  })

  it('userinfo: the profile and email claims', async () => {
    const userinfo = await rp.userinfo(flow.tokens!)
    expect(userinfo).toMatchObject({ sub: 'alice', name: 'Alice Liddell', email: 'alice@example.test' })
  })

  it('refresh: a rotated refresh token and a new access token', async () => {
    flow.refreshed = await rp.refresh(flow.tokens!)
    expect(flow.refreshed.access_token).not.toBe(flow.tokens!.access_token)
    expect(flow.refreshed.refresh_token).toEqual(expect.any(String))
    expect(flow.refreshed.refresh_token).not.toBe(flow.tokens!.refresh_token)
    expect((await resource(flow.refreshed.access_token!)).status).toBe(200)
    // Rotation: the used refresh token is no longer active.
    expect(await resourceServer.introspect(flow.tokens!.refresh_token!, 'refresh_token')).toEqual({ active: false })
  })

  it('revoke: the access token is refused afterwards, by introspection and by the resource server', async () => {
    const accessToken = flow.refreshed!.access_token!
    expect(await resourceServer.introspect(accessToken)).toMatchObject({ active: true, client_id: CLIENT_ID })
    await rp.revoke(accessToken, 'access_token')
    expect(await resourceServer.introspect(accessToken)).toEqual({ active: false })
    const res = await resource(accessToken)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/)

    await rp.revoke(flow.refreshed!.refresh_token!, 'refresh_token')
    await expect(rp.refresh(flow.refreshed!.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' })
  })
})

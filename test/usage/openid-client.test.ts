// A certified relying party, panva's openid-client, runs the OpenID Connect
// code flow with PKCE against the lab, the way you would in your own tests.
// In your project: `import { startLab } from 'oauth-lab'`.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdir, writeFile } from 'node:fs/promises'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import * as client from 'openid-client'
import { startLab, type Lab } from '../../src/index.js'

let lab: Lab

beforeAll(async () => {
  // loginAs: the lab signs the browser in as alice and consents, so no forms.
  lab = await startLab({ loginAs: 'alice' })
})
afterAll(() => lab.close())

describe('openid-client against the lab', () => {
  it('runs discovery, code flow with PKCE and nonce, userinfo and refresh', async () => {
    const started = performance.now()
    const config = await client.discovery(
      new URL(lab.urls.auth),
      'oauth-client-1',
      undefined,
      client.ClientSecretBasic('oauth-client-secret-1'),
      // The lab is plain http on localhost (see README: no TLS).
      { execute: [client.allowInsecureRequests] },
    )
    const verifier = client.randomPKCECodeVerifier()
    const nonce = client.randomNonce()
    const state = client.randomState()
    const redirectUri = `${lab.urls.client}/authenticated`
    const authorizationUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile email foo',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      nonce,
      state,
    })
    // The "browser": with loginAs, the authorization server answers at once with the code.
    const authorize = await fetch(authorizationUrl, { redirect: 'manual' })
    expect(authorize.status).toBe(302)
    const callback = new URL(authorize.headers.get('location')!)

    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedNonce: nonce,
      expectedState: state,
      idTokenExpected: true,
    })
    const claims = tokens.claims()!
    expect(claims.sub).toBe('alice')
    expect(claims.iss).toBe(lab.urls.auth)
    expect(claims.aud).toBe('oauth-client-1')
    // RS256 by default (OpenID Connect Discovery 1.0 §3); an RS256-only relying
    // party (openid-client 5's default) verifies it against the lab's JWKS.
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('RS256')
    const jwks = createRemoteJWKSet(new URL(`${lab.urls.auth}/jwks`))
    await jwtVerify(tokens.id_token!, jwks, {
      algorithms: ['RS256'],
      issuer: lab.urls.auth,
      audience: 'oauth-client-1',
    })
    // An ID token is not an access token: the resource server refuses it (RFC 9068 §4).
    const refused = await fetch(`${lab.urls.resource}/resource`, {
      headers: { authorization: `Bearer ${tokens.id_token!}` },
    })
    expect(refused.status).toBe(401)

    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub)
    expect(userinfo).toMatchObject({ sub: 'alice', name: 'Alice Liddell', email: 'alice@example.test' })

    const resource = await fetch(`${lab.urls.resource}/resource`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    })
    expect(await resource.json()).toMatchObject({ sub: 'alice', client_id: 'oauth-client-1' })

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!)
    expect(refreshed.access_token).not.toBe(tokens.access_token)
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token)

    // Recorded, not asserted (timed tests are not used): the closing note reports it.
    await mkdir('test-results', { recursive: true })
    await writeFile('test-results/openid-client-flow.json', JSON.stringify({ durationMs: performance.now() - started }))
  })

  it('with RS256 required and non-repudiation checks, openid-client verifies the ID token signature with /jwks', async () => {
    // id_token_signed_response_alg RS256 is openid-client 5's default: this client refuses any other alg.
    const config = await client.discovery(
      new URL(lab.urls.auth),
      'oauth-client-1',
      { id_token_signed_response_alg: 'RS256' },
      client.ClientSecretBasic('oauth-client-secret-1'),
      { execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks] },
    )
    expect(config.serverMetadata().id_token_signing_alg_values_supported).toEqual(['RS256', 'ES256', 'EdDSA'])
    const verifier = client.randomPKCECodeVerifier()
    const nonce = client.randomNonce()
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: `${lab.urls.client}/authenticated`,
      scope: 'openid foo',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      nonce,
      state: 'st',
    })
    const callback = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!)
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedNonce: nonce,
      expectedState: 'st',
      idTokenExpected: true,
    })
    expect(tokens.claims()).toMatchObject({ sub: 'alice', aud: 'oauth-client-1' })
  })

  it("openid-client refuses a callback whose iss is not the lab's (RFC 9207)", async () => {
    const config = await client.discovery(
      new URL(lab.urls.auth),
      'oauth-client-1',
      undefined,
      client.ClientSecretBasic('oauth-client-secret-1'),
      {
        execute: [client.allowInsecureRequests],
      },
    )
    const verifier = client.randomPKCECodeVerifier()
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: `${lab.urls.client}/authenticated`,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 'abc',
    })
    const callback = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!)
    callback.searchParams.set('iss', 'http://evil.example')
    await expect(
      client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: 'abc' }),
    ).rejects.toThrow()
  })
})

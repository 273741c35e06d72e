// Interoperability for DPoP (RFC 9449): two third-party clients, panva's
// oauth4webapi and openid-client 6, bind their tokens to their own keys at the
// lab's token endpoint and prove them at its resource server, with server
// nonces on (§8, §9): each meets a nonce challenge first and retries as the
// RFC says.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { calculateJwkThumbprint, decodeJwt, exportJWK } from 'jose'
import * as oauth from 'oauth4webapi'
import * as client from 'openid-client'
import { startLab, type Lab } from '../../src/index.js'
import { dpopKey, type DpopKey } from '../helpers/dpop.js'

const insecure = { [oauth.allowInsecureRequests]: true } as const

let lab: Lab

beforeAll(async () => {
  lab = await startLab({ loginAs: 'alice', dpopNonce: true })
})
afterAll(() => lab.close())

/** The "browser" step: with loginAs the authorization server answers at once with the code. */
async function authorize(url: URL): Promise<URL> {
  const answer = await fetch(url, { redirect: 'manual' })
  expect(answer.status).toBe(302)
  return new URL(answer.headers.get('location')!)
}

/** Runs `attempt`, and once more if it failed on a DPoP nonce challenge (RFC 9449 §8, §9). */
async function withNonceRetry<T>(attempt: () => Promise<T>): Promise<{ value: T; challenged: boolean }> {
  try {
    return { value: await attempt(), challenged: false }
  } catch (error) {
    if (!oauth.isDPoPNonceError(error)) throw error
    return { value: await attempt(), challenged: true }
  }
}

describe('oauth4webapi DPoP against startLab() with nonces', () => {
  it('binds the tokens of a public client, proves them at /resource and refreshes with the same key', async () => {
    const issuer = new URL(lab.urls.auth)
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure))
    expect(as.dpop_signing_alg_values_supported).toEqual(['ES256', 'RS256', 'PS256', 'EdDSA'])
    const pub: oauth.Client = { client_id: 'oauth-client-public' }
    const keyPair = await oauth.generateKeyPair('ES256')
    const DPoP = oauth.DPoP(pub, keyPair)
    const verifier = oauth.generateRandomCodeVerifier()
    const redirectUri = `${lab.urls.client}/authenticated`
    const url = new URL(as.authorization_endpoint!)
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: pub.client_id,
      redirect_uri: redirectUri,
      scope: 'foo',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }).toString()
    const params = oauth.validateAuthResponse(as, pub, await authorize(url))

    const token = await withNonceRetry(async () =>
      oauth.processAuthorizationCodeResponse(
        as,
        pub,
        await oauth.authorizationCodeGrantRequest(as, pub, oauth.None(), params, redirectUri, verifier, {
          DPoP,
          ...insecure,
        }),
      ),
    )
    // The first try met the nonce challenge (400 use_dpop_nonce with DPoP-Nonce); the retry carried it.
    expect(token.challenged).toBe(true)
    expect(token.value.token_type).toBe('dpop')
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey))
    const claims = decodeJwt(token.value.access_token)
    expect(claims.cnf).toEqual({ jkt })

    const resource = new URL(`${lab.urls.resource}/resource`)
    const call = () =>
      oauth.protectedResourceRequest(token.value.access_token, 'GET', resource, undefined, undefined, {
        DPoP,
        ...insecure,
      })
    const answer = await withNonceRetry(call)
    expect(answer.challenged).toBe(true)
    expect(answer.value.status).toBe(200)
    expect(await answer.value.json()).toMatchObject({ resource: 'foo', sub: 'alice', client_id: 'oauth-client-public' })
    // The nonce is now known: the next call passes at once.
    const again = await call()
    expect(again.status).toBe(200)

    // RFC 9449 §5: a public client's refresh token is bound to its key; the same key refreshes it.
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      pub,
      await oauth.refreshTokenGrantRequest(as, pub, oauth.None(), token.value.refresh_token!, { DPoP, ...insecure }),
    )
    expect(refreshed.token_type).toBe('dpop')
    expect(decodeJwt(refreshed.access_token).cnf).toEqual(claims.cnf)

    // Another key cannot use it (§5.8): invalid_grant.
    const thief = oauth.DPoP(pub, await oauth.generateKeyPair('ES256'))
    const stolen = () =>
      oauth.refreshTokenGrantRequest(as, pub, oauth.None(), refreshed.refresh_token!, { DPoP: thief, ...insecure })
    const refused = await withNonceRetry(async () => oauth.processRefreshTokenResponse(as, pub, await stolen())).then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(refused).toBeInstanceOf(oauth.ResponseBodyError)
    expect((refused as oauth.ResponseBodyError).error).toBe('invalid_grant')
  })
})

describe('openid-client 6 DPoP against startLab() with nonces', () => {
  it('runs the code flow with DPoP, fetches the resource and refreshes', async () => {
    const config = await client.discovery(
      new URL(lab.urls.auth),
      'oauth-client-1',
      undefined,
      client.ClientSecretBasic('oauth-client-secret-1'),
      { execute: [client.allowInsecureRequests] },
    )
    const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair())
    const verifier = client.randomPKCECodeVerifier()
    const state = client.randomState()
    const redirectUri = `${lab.urls.client}/authenticated`
    const callback = await authorize(
      client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'foo',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      }),
    )
    const before = lab.requests().length
    // openid-client retries a use_dpop_nonce answer once by itself.
    const tokens = await client.authorizationCodeGrant(
      config,
      callback,
      { pkceCodeVerifier: verifier, expectedState: state },
      undefined,
      { DPoP },
    )
    expect(tokens.token_type).toBe('dpop')
    const tokenCalls = lab
      .requests()
      .slice(before)
      .filter((r) => r.server === 'auth-server' && r.url.split('?')[0] === '/token')
    expect(tokenCalls.map((r) => r.status)).toEqual([400, 200])
    expect(tokenCalls[0]!.responseBody).toContain('use_dpop_nonce')

    const resource = new URL(`${lab.urls.resource}/resource`)
    const answer = await client.fetchProtectedResource(
      config,
      tokens.access_token,
      resource,
      'GET',
      undefined,
      undefined,
      {
        DPoP,
      },
    )
    expect(answer.status).toBe(200)
    expect(await answer.json()).toMatchObject({ sub: 'alice', client_id: 'oauth-client-1' })

    // A confidential client: the refresh token is not bound, but the new access token is bound to the refresh's proof.
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP })
    expect(refreshed.token_type).toBe('dpop')
    expect(decodeJwt(refreshed.access_token).cnf).toEqual(decodeJwt(tokens.access_token).cnf)
    const second = await client.fetchProtectedResource(
      config,
      refreshed.access_token,
      resource,
      'GET',
      undefined,
      undefined,
      { DPoP },
    )
    expect(second.status).toBe(200)
  })
})

describe('attacks on DPoP-bound tokens, over HTTP, with introspection at the resource server', () => {
  let plain: Lab
  beforeAll(async () => {
    plain = await startLab({ tokenCheck: 'introspect' })
  })
  afterAll(() => plain.close())

  const ALGS = 'algs="ES256 RS256 PS256 EdDSA"'
  const resourceUrl = () => `${plain.urls.resource}/resource`

  async function boundToken(key: DpopKey): Promise<string> {
    const answer = await fetch(`${plain.urls.auth}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('oauth-client-1:oauth-client-secret-1').toString('base64')}`,
        dpop: await key.proof({ htm: 'POST', htu: `${plain.urls.auth}/token` }),
      },
      body: 'grant_type=client_credentials&scope=foo',
    })
    expect(answer.status).toBe(200)
    const body = (await answer.json()) as { access_token: string; token_type: string }
    expect(body.token_type).toBe('DPoP')
    return body.access_token
  }

  function call(authorization: string, proof?: string) {
    return fetch(resourceUrl(), { headers: { authorization, ...(proof === undefined ? {} : { dpop: proof }) } })
  }

  async function expectRefusal(answer: Response, error: string) {
    expect(answer.status).toBe(401)
    expect(answer.headers.get('www-authenticate')).toMatch(
      new RegExp(`^DPoP error="${error}", error_description="[^"]+", ${ALGS}$`),
    )
    expect(((await answer.json()) as { error: string }).error).toBe(error)
  }

  it('accepts the bound token with its proof, its binding read from introspection (RFC 9449 §6.2)', async () => {
    const key = await dpopKey()
    const accessToken = await boundToken(key)
    const answer = await call(`DPoP ${accessToken}`, await key.proof({ htm: 'GET', htu: resourceUrl(), accessToken }))
    expect(answer.status).toBe(200)
  })

  it('refuses the bound token replayed as Bearer: 401 invalid_token', async () => {
    await expectRefusal(await call(`Bearer ${await boundToken(await dpopKey())}`), 'invalid_token')
  })

  it('refuses a replayed proof: 401 invalid_dpop_proof', async () => {
    const key = await dpopKey()
    const accessToken = await boundToken(key)
    const proof = await key.proof({ htm: 'GET', htu: resourceUrl(), accessToken })
    expect((await call(`DPoP ${accessToken}`, proof)).status).toBe(200)
    await expectRefusal(await call(`DPoP ${accessToken}`, proof), 'invalid_dpop_proof')
  })

  it('refuses a proof made for another URL: 401 invalid_dpop_proof', async () => {
    const key = await dpopKey()
    const accessToken = await boundToken(key)
    const proof = await key.proof({ htm: 'GET', htu: `${plain.urls.resource}/other`, accessToken })
    await expectRefusal(await call(`DPoP ${accessToken}`, proof), 'invalid_dpop_proof')
  })

  it('refuses the token used with another key: 401 invalid_dpop_proof', async () => {
    const accessToken = await boundToken(await dpopKey())
    const thief = await dpopKey()
    const proof = await thief.proof({ htm: 'GET', htu: resourceUrl(), accessToken })
    await expectRefusal(await call(`DPoP ${accessToken}`, proof), 'invalid_dpop_proof')
  })
})

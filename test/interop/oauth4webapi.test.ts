// Interoperability: panva's oauth4webapi, a strict, spec-checking third-party
// client, drives the lab's authorization server over real HTTP. Every response
// goes through oauth4webapi's own validation, so a rejection here means the
// server broke a spec (RFC 6749, 7009, 7636, 7662, 8414, 9068, 9207, 9728).

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as oauth from 'oauth4webapi'
import { httpBrowser } from '../helpers/http-browser.js'
import { startTestLab, type Exchange, type TestLab } from '../helpers/lab.js'
import { authorizeInBrowser } from './authorize-in-browser.js'
import { at } from '../helpers/lists.js'

// The lab is plain http (README: "Lab-wide deviation"); oauth4webapi refuses
// http unless told otherwise on every call that makes a request.
const insecure = { [oauth.allowInsecureRequests]: true } as const

const ALICE = { username: 'alice', password: 'alice-password' }
const CLIENT_SECRET = 'oauth-client-secret-1'
const RESOURCE_CLIENT: oauth.Client = { client_id: 'oauth-resource-1' }
const RESOURCE_SECRET = 'oauth-resource-secret-1'

let lab: TestLab
let as: oauth.AuthorizationServer

beforeAll(async () => {
  lab = await startTestLab()
})
afterAll(() => lab?.close())

const issuer = () => new URL(lab.config.auth.publicUrl)
const redirectUri = () => `${lab.config.client.publicUrl}/authenticated`
const resourceUrl = () => new URL(`${lab.config.resource.publicUrl}/resource`)

/** The last request the authorization server saw at `path`. */
function lastSeen(method: string, path: string): Exchange {
  const found = lab.exchanges
    .filter((e) => e.role === 'auth' && e.method === method && e.url.split('?')[0] === path)
    .at(-1)
  if (!found) throw new Error(`the authorization server saw no ${method} ${path}`)
  return found
}

/** The error a promise rejects with (fails if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`)
    },
    (error: unknown) => error,
  )
}

/** oauth4webapi turns an RFC 6749 §5.2 error body into a ResponseBodyError. */
async function expectOAuthError(
  promise: Promise<unknown>,
  error: string,
  status: number,
): Promise<oauth.ResponseBodyError> {
  const err = await rejection(promise)
  expect(err).toBeInstanceOf(oauth.ResponseBodyError)
  const body = err as oauth.ResponseBodyError
  expect({ error: body.error, status: body.status }).toEqual({ error, status })
  expect(body.error_description).toEqual(expect.any(String))
  return body
}

/** The claims of a JWT access token, validated by oauth4webapi as a resource server would (RFC 9068). */
function validateAccessToken(accessToken: string): Promise<oauth.JWTAccessTokenClaims> {
  const request = new Request(resourceUrl(), { headers: { authorization: `Bearer ${accessToken}` } })
  return oauth.validateJwtAccessToken(as, request, lab.config.resource.publicUrl, insecure)
}

async function introspect(
  token: string,
  hint?: 'access_token' | 'refresh_token',
  auth = oauth.ClientSecretBasic(RESOURCE_SECRET),
) {
  const response = await oauth.introspectionRequest(as, RESOURCE_CLIENT, auth, token, {
    ...insecure,
    ...(hint ? { additionalParameters: { token_type_hint: hint } } : {}),
  })
  return oauth.processIntrospectionResponse(as, RESOURCE_CLIENT, response)
}

/** An authorization URL as a third-party client builds it: state and a PKCE S256 challenge. */
async function authorizationUrl(clientId: string, scope: string, state: string, codeVerifier: string): Promise<URL> {
  const url = new URL(as.authorization_endpoint!)
  const params = {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri(),
    scope,
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  }
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value)
  return url
}

describe('discovery (RFC 8414) with oauth4webapi', () => {
  it('processDiscoveryResponse accepts the metadata of the issuer', async () => {
    const response = await oauth.discoveryRequest(issuer(), { algorithm: 'oauth2', ...insecure })
    expect(new URL(response.url).pathname).toBe('/.well-known/oauth-authorization-server')
    as = await oauth.processDiscoveryResponse(issuer(), response)
    const base = lab.config.auth.publicUrl
    expect(as).toMatchObject({
      issuer: base,
      authorization_endpoint: `${base}/authorize`,
      token_endpoint: `${base}/token`,
      jwks_uri: `${base}/jwks`,
      introspection_endpoint: `${base}/introspect`,
      revocation_endpoint: `${base}/revoke`,
      authorization_response_iss_parameter_supported: true,
    })
    expect(as.code_challenge_methods_supported).toEqual(['S256'])
    expect(as.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_basic', 'client_secret_post', 'none']),
    )
  })

  it('processDiscoveryResponse refuses the metadata for another expected issuer', async () => {
    const response = await oauth.discoveryRequest(issuer(), { algorithm: 'oauth2', ...insecure })
    const err = await rejection(oauth.processDiscoveryResponse(new URL('http://127.0.0.1:1/'), response))
    expect(err).toBeInstanceOf(oauth.OperationProcessingError)
    expect((err as oauth.OperationProcessingError).code).toBe(oauth.JSON_ATTRIBUTE_COMPARISON)
  })

  it('processResourceDiscoveryResponse accepts the protected resource metadata (RFC 9728)', async () => {
    const resource = new URL(lab.config.resource.publicUrl)
    const response = await oauth.resourceDiscoveryRequest(resource, insecure)
    const metadata = await oauth.processResourceDiscoveryResponse(resource, response)
    expect(metadata.resource).toBe(lab.config.resource.publicUrl)
    expect(metadata.authorization_servers).toEqual([lab.config.auth.publicUrl])
  })
})

interface Variant {
  readonly title: string
  readonly client: oauth.Client
  readonly clientAuth: () => oauth.ClientAuth
  readonly confidential: boolean
  /** How the token request must look on the wire. */
  readonly wire: (exchange: Exchange) => void
}

/** HTTP Basic credentials, decoded per RFC 6749 §2.3.1 (form-urlencoded, then Base64). */
function basicCredentials(header: unknown): [string, string] {
  const match = /^Basic (.+)$/.exec(String(header))
  if (!match) throw new Error(`not HTTP Basic: ${String(header)}`)
  const decoded = Buffer.from(at(match, 1), 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  const formDecode = (v: string) => decodeURIComponent(v.replace(/\+/g, ' '))
  return [formDecode(decoded.slice(0, colon)), formDecode(decoded.slice(colon + 1))]
}

const variants: Variant[] = [
  {
    title: 'oauth-client-1 with client_secret_basic',
    client: { client_id: 'oauth-client-1', token_endpoint_auth_method: 'client_secret_basic' },
    clientAuth: () => oauth.ClientSecretBasic(CLIENT_SECRET),
    confidential: true,
    wire: (e) => {
      expect(basicCredentials(e.headers.authorization)).toEqual(['oauth-client-1', CLIENT_SECRET])
      expect((e.body as Record<string, string>).client_secret).toBeUndefined()
    },
  },
  {
    title: 'oauth-client-1 with client_secret_post',
    client: { client_id: 'oauth-client-1', token_endpoint_auth_method: 'client_secret_post' },
    clientAuth: () => oauth.ClientSecretPost(CLIENT_SECRET),
    confidential: true,
    wire: (e) => {
      expect(e.headers.authorization).toBeUndefined()
      expect(e.body).toMatchObject({ client_id: 'oauth-client-1', client_secret: CLIENT_SECRET })
    },
  },
  {
    title: 'oauth-client-public with PKCE and no client authentication',
    client: { client_id: 'oauth-client-public', token_endpoint_auth_method: 'none' },
    clientAuth: () => oauth.None(),
    confidential: false,
    wire: (e) => {
      expect(e.headers.authorization).toBeUndefined()
      expect(e.body).toMatchObject({ client_id: 'oauth-client-public' })
      expect((e.body as Record<string, string>).client_secret).toBeUndefined()
    },
  },
]

describe.each(variants)(
  'authorization code flow with oauth4webapi: $title',
  ({ client, clientAuth, confidential, wire }) => {
    const flow: {
      codeVerifier?: string
      state?: string
      callback?: URL
      params?: URLSearchParams
      tokens?: oauth.TokenEndpointResponse
      rotated?: oauth.TokenEndpointResponse
    } = {}

    it('the browser part: alice signs in and allows; the callback carries code, state and iss', async () => {
      flow.codeVerifier = oauth.generateRandomCodeVerifier()
      flow.state = oauth.generateRandomState()
      const url = await authorizationUrl(client.client_id, 'foo bar', flow.state, flow.codeVerifier)
      expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/)
      flow.callback = await authorizeInBrowser(httpBrowser(), url, ALICE)
      expect(`${flow.callback.origin}${flow.callback.pathname}`).toBe(redirectUri())
      expect(flow.callback.searchParams.get('iss')).toBe(lab.config.auth.publicUrl)
    })

    it('validateAuthResponse accepts the callback (state and RFC 9207 iss)', () => {
      flow.params = oauth.validateAuthResponse(as, client, flow.callback!, flow.state)
      expect(flow.params.get('code')).toBe(flow.callback!.searchParams.get('code'))
    })

    it('validateAuthResponse rejects the callback with a wrong or missing iss, or a wrong state', () => {
      const refused = (callback: URL, state: string, message: RegExp) =>
        expect(() => oauth.validateAuthResponse(as, client, callback, state)).toThrow(
          expect.objectContaining({
            name: 'OperationProcessingError',
            code: oauth.INVALID_RESPONSE,
            message: expect.stringMatching(message),
          }),
        )
      const wrongIss = new URL(flow.callback!)
      wrongIss.searchParams.set('iss', 'http://evil.example')
      refused(wrongIss, flow.state!, /unexpected "iss" \(issuer\) response parameter value/)
      const slashIss = new URL(flow.callback!)
      slashIss.searchParams.set('iss', `${lab.config.auth.publicUrl}/`)
      refused(slashIss, flow.state!, /unexpected "iss"/)
      // The metadata promises iss (authorization_response_iss_parameter_supported), so its absence is refused.
      const noIss = new URL(flow.callback!)
      noIss.searchParams.delete('iss')
      refused(noIss, flow.state!, /"iss" \(issuer\) missing/)
      refused(flow.callback!, oauth.generateRandomState(), /unexpected "state" response parameter value/)
    })

    it('authorizationCodeGrantRequest + processAuthorizationCodeResponse: tokens with a refresh token', async () => {
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        client,
        clientAuth(),
        flow.params!,
        redirectUri(),
        flow.codeVerifier!,
        insecure,
      )
      flow.tokens = await oauth.processAuthorizationCodeResponse(as, client, response)
      expect(flow.tokens.token_type).toBe('bearer') // oauth4webapi normalises the case
      expect(flow.tokens.access_token).toEqual(expect.any(String))
      expect(flow.tokens.refresh_token).toEqual(expect.any(String))
      expect(flow.tokens.expires_in).toBe(lab.config.auth.accessTokenTtlSeconds)
      expect(flow.tokens.scope).toBe('foo bar')

      const exchange = lastSeen('POST', '/token')
      wire(exchange)
      expect(exchange.body).toMatchObject({ grant_type: 'authorization_code', code_verifier: flow.codeVerifier })
      expect(exchange.responseHeaders['cache-control']).toBe('no-store')
      expect(exchange.responseHeaders['pragma']).toBe('no-cache')
    })

    it('validateJwtAccessToken accepts the access token (RFC 9068, audience = resource server)', async () => {
      const claims = await validateAccessToken(flow.tokens!.access_token)
      expect(claims).toMatchObject({
        iss: lab.config.auth.publicUrl,
        sub: 'alice',
        client_id: client.client_id,
        scope: 'foo bar',
      })
      expect([claims.aud].flat()).toContain(lab.config.resource.publicUrl)
    })

    it('validateJwtAccessToken refuses the token for another audience', async () => {
      const request = new Request(resourceUrl(), { headers: { authorization: `Bearer ${flow.tokens!.access_token}` } })
      const err = await rejection(oauth.validateJwtAccessToken(as, request, 'http://other-resource.example', insecure))
      expect(err).toBeInstanceOf(oauth.OperationProcessingError)
      expect((err as oauth.OperationProcessingError).code).toBe(oauth.JWT_CLAIM_COMPARISON)
    })

    it('protectedResourceRequest: the resource server accepts the access token', async () => {
      const response = await oauth.protectedResourceRequest(
        flow.tokens!.access_token,
        'GET',
        resourceUrl(),
        undefined,
        undefined,
        insecure,
      )
      expect(response.status).toBe(200)
      expect(await response.json()).toMatchObject({ sub: 'alice', client_id: client.client_id })
    })

    it('the code a second time: invalid_grant, and what the code gave is revoked', async () => {
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        client,
        clientAuth(),
        flow.params!,
        redirectUri(),
        flow.codeVerifier!,
        insecure,
      )
      await expectOAuthError(oauth.processAuthorizationCodeResponse(as, client, response), 'invalid_grant', 400)
      // docs/contract.md: a second use revokes every token issued from the code.
      expect((await introspect(flow.tokens!.access_token)).active).toBe(false)
      expect((await introspect(flow.tokens!.refresh_token!)).active).toBe(false)
    })

    it('a fresh flow (the decision is remembered: no consent page) gives fresh tokens', async () => {
      const codeVerifier = oauth.generateRandomCodeVerifier()
      const state = oauth.generateRandomState()
      const consents = () =>
        lab.exchanges.filter((e) => e.role === 'auth' && e.method === 'POST' && e.url === '/consent').length
      const before = consents()
      const callback = await authorizeInBrowser(
        httpBrowser(),
        await authorizationUrl(client.client_id, 'foo bar', state, codeVerifier),
        ALICE,
      )
      expect(consents()).toBe(before)
      const params = oauth.validateAuthResponse(as, client, callback, state)
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        client,
        clientAuth(),
        params,
        redirectUri(),
        codeVerifier,
        insecure,
      )
      flow.tokens = await oauth.processAuthorizationCodeResponse(as, client, response)
      expect((await introspect(flow.tokens.access_token)).active).toBe(true)
    })

    it('refreshTokenGrantRequest + processRefreshTokenResponse: the refresh token rotates', async () => {
      const response = await oauth.refreshTokenGrantRequest(
        as,
        client,
        clientAuth(),
        flow.tokens!.refresh_token!,
        insecure,
      )
      flow.rotated = await oauth.processRefreshTokenResponse(as, client, response)
      expect(flow.rotated.refresh_token).toEqual(expect.any(String))
      expect(flow.rotated.refresh_token).not.toBe(flow.tokens!.refresh_token)
      expect(flow.rotated.access_token).not.toBe(flow.tokens!.access_token)
      expect(flow.rotated.scope).toBe('foo bar')
      wire(lastSeen('POST', '/token'))
      expect(await validateAccessToken(flow.rotated.access_token)).toMatchObject({
        sub: 'alice',
        client_id: client.client_id,
      })
    })

    it('introspectionRequest + processIntrospectionResponse as oauth-resource-1 (Basic and post)', async () => {
      for (const auth of [oauth.ClientSecretBasic(RESOURCE_SECRET), oauth.ClientSecretPost(RESOURCE_SECRET)]) {
        const access = await introspect(flow.rotated!.access_token, 'access_token', auth)
        expect(access).toMatchObject({
          active: true,
          sub: 'alice',
          client_id: client.client_id,
          scope: 'foo bar',
          iss: lab.config.auth.publicUrl,
        })
        const refresh = await introspect(flow.rotated!.refresh_token!, 'refresh_token', auth)
        expect(refresh).toMatchObject({ active: true, sub: 'alice', client_id: client.client_id })
      }
      // RFC 7662 §2.1: a wrong hint only orders the search; the token is still found.
      expect(await introspect(flow.rotated!.access_token, 'refresh_token')).toMatchObject({
        active: true,
        sub: 'alice',
      })
      expect(await introspect(flow.rotated!.refresh_token!, 'access_token')).toMatchObject({
        active: true,
        sub: 'alice',
      })
      // The rotated-out refresh token is no longer active.
      expect((await introspect(flow.tokens!.refresh_token!)).active).toBe(false)
    })

    it('revocationRequest + processRevocationResponse; afterwards introspection says active false', async () => {
      const revokeAccess = await oauth.revocationRequest(as, client, clientAuth(), flow.rotated!.access_token, {
        ...insecure,
        additionalParameters: { token_type_hint: 'access_token' },
      })
      await expect(oauth.processRevocationResponse(revokeAccess)).resolves.toBeUndefined()
      wire(lastSeen('POST', '/revoke'))
      expect(await introspect(flow.rotated!.access_token)).toEqual({ active: false })

      const revokeRefresh = await oauth.revocationRequest(
        as,
        client,
        clientAuth(),
        flow.rotated!.refresh_token!,
        insecure,
      )
      await expect(oauth.processRevocationResponse(revokeRefresh)).resolves.toBeUndefined()
      expect(await introspect(flow.rotated!.refresh_token!)).toEqual({ active: false })

      const refresh = await oauth.refreshTokenGrantRequest(
        as,
        client,
        clientAuth(),
        flow.rotated!.refresh_token!,
        insecure,
      )
      await expectOAuthError(oauth.processRefreshTokenResponse(as, client, refresh), 'invalid_grant', 400)
    })

    if (confidential) {
      it('clientCredentialsGrantRequest + processClientCredentialsResponse: an access token, no refresh token', async () => {
        const response = await oauth.clientCredentialsGrantRequest(as, client, clientAuth(), { scope: 'foo' }, insecure)
        const tokens = await oauth.processClientCredentialsResponse(as, client, response)
        expect(tokens.refresh_token).toBeUndefined()
        expect(tokens.scope).toBe('foo')
        wire(lastSeen('POST', '/token'))
        const claims = await validateAccessToken(tokens.access_token)
        expect(claims).toMatchObject({ client_id: client.client_id, sub: client.client_id, scope: 'foo' })
        expect(await introspect(tokens.access_token)).toMatchObject({ active: true, client_id: client.client_id })
      })
    } else {
      it('clientCredentialsGrantRequest: refused for the public client', async () => {
        const response = await oauth.clientCredentialsGrantRequest(as, client, clientAuth(), { scope: 'foo' }, insecure)
        await expectOAuthError(oauth.processClientCredentialsResponse(as, client, response), 'unauthorized_client', 400)
      })
    }

    it('a wrong client secret or an unknown client: invalid_client', async () => {
      const auth = confidential
        ? client.token_endpoint_auth_method === 'client_secret_basic'
          ? oauth.ClientSecretBasic('wrong-secret')
          : oauth.ClientSecretPost('wrong-secret')
        : oauth.None()
      const who = confidential ? client : { ...client, client_id: 'no-such-client' }
      const response = await oauth.refreshTokenGrantRequest(as, who, auth, 'whatever', insecure)
      const err = await rejection(oauth.processRefreshTokenResponse(as, who, response))
      if (client.token_endpoint_auth_method === 'client_secret_basic') {
        // RFC 6749 §5.2: 401 with a Basic challenge; oauth4webapi surfaces the challenge.
        expect(err).toBeInstanceOf(oauth.WWWAuthenticateChallengeError)
        const challenge = err as oauth.WWWAuthenticateChallengeError
        expect(challenge.status).toBe(401)
        expect(challenge.cause[0]?.scheme).toBe('basic')
      } else {
        expect(err).toBeInstanceOf(oauth.ResponseBodyError)
        expect((err as oauth.ResponseBodyError).error).toBe('invalid_client')
        expect([400, 401]).toContain((err as oauth.ResponseBodyError).status)
      }
    })
  },
)

describe('a denied authorization with oauth4webapi', () => {
  it('validateAuthResponse checks iss and state, then surfaces access_denied', async () => {
    const client: oauth.Client = { client_id: 'oauth-client-public' }
    const state = oauth.generateRandomState()
    const url = await authorizationUrl(client.client_id, 'foo', state, oauth.generateRandomCodeVerifier())
    const callback = await authorizeInBrowser(httpBrowser(), url, { username: 'bob', password: 'bob-password' }, 'deny')
    expect(callback.searchParams.get('iss')).toBe(lab.config.auth.publicUrl)
    let err: unknown
    try {
      oauth.validateAuthResponse(as, client, callback, state)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(oauth.AuthorizationResponseError)
    expect((err as oauth.AuthorizationResponseError).error).toBe('access_denied')
  })
})

describe('the resource client with oauth4webapi', () => {
  it('introspection of an unknown token: active false', async () => {
    expect(await introspect('not-a-token')).toEqual({ active: false })
  })

  it('introspection with a wrong secret: invalid_client', async () => {
    const response = await oauth.introspectionRequest(
      as,
      RESOURCE_CLIENT,
      oauth.ClientSecretPost('wrong'),
      'x',
      insecure,
    )
    const err = await rejection(oauth.processIntrospectionResponse(as, RESOURCE_CLIENT, response))
    expect(err).toBeInstanceOf(oauth.ResponseBodyError)
    expect((err as oauth.ResponseBodyError).error).toBe('invalid_client')
  })
})

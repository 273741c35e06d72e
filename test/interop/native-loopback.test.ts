// Interoperability: a native app (a CLI, say) built on openid-client 6,
// unmodified, as RFC 8252 describes it: a public client with PKCE, registered
// as `http://127.0.0.1/callback` without a port, that opens a loopback
// listener on a port the OS picks (§7.3) for each sign-in. The "system
// browser" is a cookie-jar HTTP browser that walks the lab's sign-in and
// consent forms and follows the redirect to the listener. Then the app uses
// its tokens: the resource, userinfo, refresh and revocation.

import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as client from 'openid-client'
import { startLab, type Lab } from '../../src/index.js'
import { httpBrowser } from '../helpers/http-browser.js'
import { authorizeInBrowser } from './authorize-in-browser.js'

const CLIENT_ID = 'native-cli-openid-client'
const ALICE = { username: 'alice', password: 'alice-password' }
// The lab is plain http (README: "Lab-wide deviation: no TLS").
const insecure = { execute: [client.allowInsecureRequests] }

let lab: Lab
let config: client.Configuration

beforeAll(async () => {
  lab = await startLab({
    // The resource server asks about every token, so a revoked one is refused at once (RFC 7662).
    tokenCheck: 'introspect',
    extraClients: [
      { clientId: CLIENT_ID, name: 'Native CLI', redirectUris: ['http://127.0.0.1/callback'], scopes: ['foo'] },
    ],
  })
  config = await client.discovery(new URL(lab.urls.auth), CLIENT_ID, undefined, client.None(), insecure)
})
afterAll(() => lab?.close())

/** The app's loopback listener: one sign-in's callback, on a port the OS picks. */
async function openLoopbackListener(): Promise<{
  redirectUri: string
  callback: Promise<URL>
  close(): Promise<void>
}> {
  let received: (url: URL) => void = () => undefined
  const callback = new Promise<URL>((resolve) => (received = resolve))
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${(server.address() as AddressInfo).port}`)
    res.writeHead(200, { 'content-type': 'text/plain' }).end('Signed in: you can close this window.')
    if (url.pathname === '/callback') received(url)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    redirectUri: `http://127.0.0.1:${port}/callback`,
    callback,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

/** One sign-in as the app runs it: listener, authorization URL, system browser, code redeemed. */
async function signIn(scope: string): Promise<{ tokens: client.TokenEndpointResponse; redirectUri: string }> {
  const listener = await openLoopbackListener()
  try {
    const verifier = client.randomPKCECodeVerifier()
    const state = client.randomState()
    const openid = scope.split(' ').includes('openid')
    // OpenID Connect Core §3.1.2.1: a nonce only in an OpenID request (it makes the client expect an ID token).
    const nonce = openid ? client.randomNonce() : undefined
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: listener.redirectUri,
      scope,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ...(nonce ? { nonce } : {}),
    })
    const browser = httpBrowser()
    const redirect = await authorizeInBrowser(browser, url, ALICE)
    // The system browser follows the redirect to the app's listener.
    expect((await browser.get(redirect.href)).status).toBe(200)
    const callback = await listener.callback
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: openid,
    })
    return { tokens, redirectUri: listener.redirectUri }
  } finally {
    await listener.close()
  }
}

function resource(accessToken: string): Promise<Response> {
  return client.fetchProtectedResource(config, accessToken, new URL(`${lab.urls.resource}/resource`), 'GET')
}

async function introspect(token: string): Promise<client.IntrospectionResponse> {
  const asResourceServer = await client.discovery(
    new URL(lab.urls.auth),
    'oauth-resource-1',
    undefined,
    client.ClientSecretBasic('oauth-resource-secret-1'),
    insecure,
  )
  return client.tokenIntrospection(asResourceServer, token)
}

describe('a native app on openid-client 6 with a loopback redirect URI (RFC 8252 §7.3)', () => {
  const flow: { tokens?: client.TokenEndpointResponse; refreshed?: client.TokenEndpointResponse } = {}

  it('signs in through the forms; the code arrives at its port and is redeemed without a secret', async () => {
    const { tokens, redirectUri } = await signIn('openid profile foo')
    flow.tokens = tokens
    expect(tokens.refresh_token).toEqual(expect.any(String))
    expect(tokens.id_token).toEqual(expect.any(String))
    // The token request: public (client_id, no secret), the verifier, and the redirect URI with its port.
    const sent = lab.requests().filter((r) => r.server === 'auth-server' && r.url === '/token')
    const body = Object.fromEntries(new URLSearchParams(sent.at(-1)?.body))
    expect(body).toMatchObject({ grant_type: 'authorization_code', client_id: CLIENT_ID, redirect_uri: redirectUri })
    expect(body.client_secret).toBeUndefined()
    expect(sent.at(-1)?.headers.authorization).toBeUndefined()
  })

  it('a second sign-in gets another port, and the same registration accepts it', async () => {
    const first = lab
      .requests()
      .filter((r) => r.url === '/token')
      .at(-1)
    const { redirectUri } = await signIn('foo')
    expect(redirectUri).not.toBe(new URLSearchParams(first?.body).get('redirect_uri'))
  })

  it('the resource and userinfo accept the access token', async () => {
    const res = await resource(flow.tokens!.access_token)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ sub: 'alice', client_id: CLIENT_ID })
    const userinfo = await client.fetchUserInfo(config, flow.tokens!.access_token, 'alice')
    expect(userinfo).toMatchObject({ sub: 'alice', name: 'Alice Liddell' })
  })

  it('refreshTokenGrant: the refresh token rotates', async () => {
    flow.refreshed = await client.refreshTokenGrant(config, flow.tokens!.refresh_token!)
    expect(flow.refreshed.refresh_token).toEqual(expect.any(String))
    expect(flow.refreshed.refresh_token).not.toBe(flow.tokens!.refresh_token)
    expect((await resource(flow.refreshed.access_token)).status).toBe(200)
    expect((await introspect(flow.tokens!.refresh_token!)).active).toBe(false)
  })

  it('tokenRevocation: revoked tokens are refused by introspection, the resource server and the token endpoint', async () => {
    const { access_token, refresh_token } = flow.refreshed!
    await client.tokenRevocation(config, access_token, { token_type_hint: 'access_token' })
    await client.tokenRevocation(config, refresh_token!, { token_type_hint: 'refresh_token' })
    expect((await introspect(access_token)).active).toBe(false)
    expect((await introspect(refresh_token!)).active).toBe(false)
    // openid-client surfaces the resource server's RFC 6750 §3 challenge.
    await expect(resource(access_token)).rejects.toMatchObject({
      status: 401,
      cause: [
        expect.objectContaining({ scheme: 'bearer', parameters: expect.objectContaining({ error: 'invalid_token' }) }),
      ],
    })
    await expect(client.refreshTokenGrant(config, refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' })
  })

  it('a loopback redirect URI on another path or host name is refused, with no redirect', async () => {
    for (const redirectUri of ['http://127.0.0.1:4567/elsewhere', 'http://localhost:4567/callback']) {
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'foo',
        code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
        state: client.randomState(),
      })
      const res = await httpBrowser().get(url.href)
      // RFC 6749 §4.1.2.1: an invalid redirect URI is told to the user, never redirected to.
      expect(res.status).toBe(400)
      expect(res.headers.get('location')).toBeNull()
    }
  })
})

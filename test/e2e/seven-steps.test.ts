// The seven steps of "OAuth 2 in Action", over real HTTP between the three real servers.
// Each test is one step and builds on the previous one, like the book does.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { hiddenField } from '../helpers/inject-browser.js'
import { httpBrowser, type HttpResponse } from '../helpers/http-browser.js'
import { startTestLab, type TestLab } from '../helpers/lab.js'
import { defined, first } from '../helpers/lists.js'

let lab: TestLab
const browser = httpBrowser()
const flow: {
  authorizeUrl?: URL
  page?: HttpResponse
  callback?: URL
  tokenPage?: HttpResponse
  accessToken?: string
} = {}

beforeAll(async () => {
  lab = await startTestLab()
})
afterAll(() => lab.close())

const seen = (role: string, method: string, path: string) =>
  lab.exchanges.filter((e) => e.role === role && e.method === method && e.url.split('?')[0] === path)

describe('the seven steps, end to end', () => {
  it('every process answers GET /healthz', async () => {
    for (const url of [lab.config.auth.publicUrl, lab.config.resource.publicUrl, lab.config.client.publicUrl]) {
      const res = await fetch(`${url}/healthz`)
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ status: 'ok' })
    }
  })

  it('step 1: the client redirects the owner to the authorization endpoint', async () => {
    const home = await browser.get(`${lab.config.client.publicUrl}/`)
    expect(home.status).toBe(200)
    expect(home.body).toMatch(/<button type="submit">Connect<\/button>/)
    const connect = await browser.get(`${lab.config.client.publicUrl}/connect`)
    expect(connect.status).toBe(302)
    const url = new URL(browser.location(connect))
    expect(`${url.origin}${url.pathname}`).toBe(`${lab.config.auth.publicUrl}/authorize`)
    expect(url.searchParams.get('response_type')).toBe('code')
    expect(url.searchParams.get('client_id')).toBe('oauth-client-1')
    expect(url.searchParams.get('redirect_uri')).toBe(`${lab.config.client.publicUrl}/authenticated`)
    expect(url.searchParams.get('scope')).toBe('foo bar')
    expect(url.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(url.searchParams.get('code_challenge_method')).toBe('S256')
    flow.authorizeUrl = url
  })

  it('step 2: the owner authenticates at the authorization server', async () => {
    const login = await browser.get(flow.authorizeUrl!.href)
    expect(login.status).toBe(200)
    expect(login.body).toContain('Sign in')
    expect(seen('auth', 'GET', '/authorize')).toHaveLength(1)
    const signedIn = await browser.post(`${lab.config.auth.publicUrl}/login`, {
      _csrf: hiddenField(login.body, '_csrf'),
      interaction: hiddenField(login.body, 'interaction'),
      username: 'alice',
      password: 'alice-password',
    })
    expect(signedIn.status).toBe(303)
    flow.page = await browser.get(browser.location(signedIn))
  })

  it('step 3: the owner authorizes the client on the consent page', async () => {
    const consent = flow.page!
    expect(consent.status).toBe(200)
    expect(consent.body).toContain('OAuth Client 1')
    expect(consent.body).toContain('name="decision" value="allow"')
    const allowed = await browser.post(`${lab.config.auth.publicUrl}/consent`, {
      _csrf: hiddenField(consent.body, '_csrf'),
      interaction: hiddenField(consent.body, 'interaction'),
      decision: 'allow',
      remember: 'on',
    })
    expect([302, 303]).toContain(allowed.status)
    flow.callback = new URL(browser.location(allowed))
  })

  it('step 4: the server redirects back with a one-time code and the state', () => {
    const callback = flow.callback!
    expect(`${callback.origin}${callback.pathname}`).toBe(`${lab.config.client.publicUrl}/authenticated`)
    expect(callback.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(callback.searchParams.get('state')).toBe(flow.authorizeUrl!.searchParams.get('state'))
    expect(callback.searchParams.get('iss')).toBe(lab.config.auth.publicUrl)
  })

  it('step 5: the client POSTs the code to the token endpoint with HTTP Basic', async () => {
    flow.tokenPage = await browser.get(flow.callback!.href)
    const tokenRequest = first(seen('auth', 'POST', '/token'), 'a token request')
    const { headers, body } = tokenRequest
    const basic = Buffer.from(String(headers.authorization).replace(/^Basic /, ''), 'base64').toString()
    expect(basic).toBe('oauth-client-1:oauth-client-secret-1')
    expect(headers.accept).toBe('application/json')
    expect(headers['content-type']).toBe('application/x-www-form-urlencoded')
    const form = body as Record<string, string>
    expect(form.grant_type).toBe('authorization_code')
    expect(form.code).toBe(flow.callback!.searchParams.get('code'))
    expect(form.redirect_uri).toBe(`${lab.config.client.publicUrl}/authenticated`)
    const challenge = createHash('sha256').update(defined(form.code_verifier, 'code_verifier')).digest('base64url')
    expect(challenge).toBe(flow.authorizeUrl!.searchParams.get('code_challenge'))
  })

  it('step 6: the server issues the access token and the client shows it', async () => {
    const tokenResponse = first(seen('auth', 'POST', '/token'), 'tokenResponse')
    expect(tokenResponse.status).toBe(200)
    expect(tokenResponse.responseHeaders['cache-control']).toBe('no-store')
    const token = JSON.parse(tokenResponse.responseBody)
    expect(token.token_type).toBe('Bearer')
    flow.accessToken = token.access_token
    const jwks = createRemoteJWKSet(new URL(`${lab.config.auth.publicUrl}/jwks`))
    const { payload } = await jwtVerify(token.access_token, jwks, {
      issuer: lab.config.auth.publicUrl,
      audience: lab.config.resource.publicUrl,
      typ: 'at+jwt',
    })
    expect(payload.sub).toBe('alice')
    expect(flow.tokenPage!.status).toBe(200)
    expect(flow.tokenPage!.body).toContain(token.access_token)
    expect(flow.tokenPage!.body).toMatch(/<button type="submit">Fetch resource<\/button>/)
  })

  it('step 7: the client calls the protected resource with the token', async () => {
    const page = await browser.post(`${lab.config.client.publicUrl}/fetch-resource`, {
      _csrf: hiddenField(flow.tokenPage!.body, '_csrf'),
    })
    expect(page.status).toBe(200)
    const resourceCall = first(seen('resource', 'GET', '/resource'), 'resourceCall')
    expect(resourceCall.headers.authorization).toBe(`Bearer ${flow.accessToken}`)
    expect(resourceCall.status).toBe(200)
    expect(JSON.parse(resourceCall.responseBody)).toMatchObject({
      sub: 'alice',
      client_id: 'oauth-client-1',
      scope: 'foo bar',
    })
    // The resource server fetched the keys from the authorization server's internal URL.
    expect(seen('auth', 'GET', '/jwks').length).toBeGreaterThanOrEqual(1)
    expect(page.body).toMatch(/id="resource-status">200</)
    expect(page.body).toMatch(/(&quot;|&#34;)sub(&quot;|&#34;): (&quot;|&#34;)alice(&quot;|&#34;)/)
  })

  it('a second flow: the remembered decision skips consent and login', async () => {
    const connect = await browser.get(`${lab.config.client.publicUrl}/connect`)
    const authorize = await browser.get(browser.location(connect))
    expect(authorize.status).toBe(302)
    const callback = new URL(browser.location(authorize))
    expect(callback.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const page = await browser.get(callback.href)
    expect(page.status).toBe(200)
    expect(seen('auth', 'POST', '/token')).toHaveLength(2)
  })

  it('the code of step 4, replayed at the token endpoint, is invalid_grant', async () => {
    const res = await fetch(`${lab.config.auth.publicUrl}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('oauth-client-1:oauth-client-secret-1').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: flow.callback!.searchParams.get('code')!,
        redirect_uri: `${lab.config.client.publicUrl}/authenticated`,
      }),
    })
    expect(res.status).toBe(400)
    expect((await res.json()).error).toBe('invalid_grant')
  })

  it('a forged state at the callback gets an error page and no token request', async () => {
    const before = seen('auth', 'POST', '/token').length
    await browser.get(`${lab.config.client.publicUrl}/connect`)
    const forged = await browser.get(
      `${lab.config.client.publicUrl}/authenticated?code=abc&state=forged&iss=${encodeURIComponent(lab.config.auth.publicUrl)}`,
    )
    expect(forged.status).toBe(400)
    expect(seen('auth', 'POST', '/token')).toHaveLength(before)
  })
})

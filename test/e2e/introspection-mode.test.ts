// Step 7 in introspection mode (RESOURCE_TOKEN_CHECK=introspect), over real
// HTTP between the three real servers: the resource server asks POST
// /introspect (RFC 7662) about every token, so a revocation (RFC 7009) takes
// effect at once. In the default JWT mode it does not: see the last describe.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hiddenField } from '../helpers/inject-browser.js'
import { httpBrowser } from '../helpers/http-browser.js'
import { startTestLab, type TestLab } from '../helpers/lab.js'
import { at, first } from '../helpers/lists.js'

const CLIENT_BASIC = `Basic ${Buffer.from('oauth-client-1:oauth-client-secret-1').toString('base64')}`

function seen(lab: TestLab, role: string, method: string, path: string) {
  return lab.exchanges.filter((e) => e.role === role && e.method === method && e.url.split('?')[0] === path)
}

function postForm(lab: TestLab, path: string, form: Record<string, string>, authorization = CLIENT_BASIC) {
  return fetch(`${lab.config.auth.publicUrl}${path}`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form),
  })
}

async function clientCredentialsToken(lab: TestLab, scope?: string): Promise<string> {
  const res = await postForm(lab, '/token', { grant_type: 'client_credentials', ...(scope ? { scope } : {}) })
  expect(res.status).toBe(200)
  return ((await res.json()) as { access_token: string }).access_token
}

async function revoke(lab: TestLab, token: string): Promise<void> {
  const res = await postForm(lab, '/revoke', { token })
  expect(res.status).toBe(200)
  expect(await res.text()).toBe('')
}

function getResource(lab: TestLab, token: string) {
  return fetch(`${lab.config.resource.publicUrl}/resource`, { headers: { authorization: `Bearer ${token}` } })
}

/** Steps 1-6 through the client app, as a browser does them: the token response the auth server sent. */
async function runFlow(lab: TestLab) {
  const browser = httpBrowser()
  const connect = await browser.get(`${lab.config.client.publicUrl}/connect`)
  const login = await browser.get(browser.location(connect))
  expect(login.status).toBe(200)
  const signedIn = await browser.post(`${lab.config.auth.publicUrl}/login`, {
    _csrf: hiddenField(login.body, '_csrf'),
    interaction: hiddenField(login.body, 'interaction'),
    username: 'alice',
    password: 'alice-password',
  })
  expect(signedIn.status).toBe(303)
  const consent = await browser.get(browser.location(signedIn))
  const allowed = await browser.post(`${lab.config.auth.publicUrl}/consent`, {
    _csrf: hiddenField(consent.body, '_csrf'),
    interaction: hiddenField(consent.body, 'interaction'),
    decision: 'allow',
  })
  const before = seen(lab, 'auth', 'POST', '/token').length
  const page = await browser.get(browser.location(allowed))
  expect(page.status).toBe(200)
  const tokenResponse = at(seen(lab, 'auth', 'POST', '/token'), before, 'the token response of this flow')
  expect(tokenResponse.status).toBe(200)
  const tokens = JSON.parse(tokenResponse.responseBody) as { access_token: string; refresh_token: string }
  return { ...tokens, tokenPage: page.body, browser }
}

function decodeBasic(header: unknown): string {
  return Buffer.from(String(header).replace(/^Basic /, ''), 'base64').toString()
}

describe('introspection mode (RESOURCE_TOKEN_CHECK=introspect)', () => {
  let lab: TestLab
  beforeAll(async () => {
    lab = await startTestLab({ RESOURCE_TOKEN_CHECK: 'introspect' })
  })
  afterAll(() => lab.close())

  it("step 7: the resource server checks the user's token at POST /introspect as oauth-resource-1", async () => {
    const { access_token } = await runFlow(lab)
    const before = seen(lab, 'auth', 'POST', '/introspect').length
    const res = await getResource(lab, access_token)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ sub: 'alice', client_id: 'oauth-client-1', scope: 'foo bar' })

    const calls = seen(lab, 'auth', 'POST', '/introspect')
    expect(calls).toHaveLength(before + 1)
    const call = at(calls, before, 'the introspection call')
    expect(decodeBasic(call.headers.authorization)).toBe('oauth-resource-1:oauth-resource-secret-1')
    expect(call.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect((call.body as Record<string, string>).token).toBe(access_token)
    expect(call.status).toBe(200)
    expect(JSON.parse(call.responseBody)).toMatchObject({ active: true, sub: 'alice', token_type: 'Bearer' })
    // Introspection replaces local JWT checks: the resource server never fetched the keys.
    expect(seen(lab, 'auth', 'GET', '/jwks')).toHaveLength(0)
  })

  it('the client app\'s "Fetch resource" works through introspection too', async () => {
    const { access_token, tokenPage, browser } = await runFlow(lab)
    const before = seen(lab, 'auth', 'POST', '/introspect').length
    const page = await browser.post(`${lab.config.client.publicUrl}/fetch-resource`, {
      _csrf: hiddenField(tokenPage, '_csrf'),
    })
    expect(page.status).toBe(200)
    expect(page.body).toMatch(/id="resource-status">200</)
    const introspections = seen(lab, 'auth', 'POST', '/introspect').slice(before)
    expect(introspections).toHaveLength(1)
    expect((first(introspections).body as Record<string, string>).token).toBe(access_token)
  })

  it('revoking the access token takes effect at once: the very next call is 401 invalid_token', async () => {
    const { access_token } = await runFlow(lab)
    expect((await getResource(lab, access_token)).status).toBe(200)
    await revoke(lab, access_token)
    const res = await getResource(lab, access_token)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="oauth-lab", error="invalid_token"/)
    expect(await res.json()).toEqual({
      error: 'invalid_token',
      error_description: 'the access token is not active (expired, revoked or unknown)',
    })
  })

  it('revoking the refresh token ends its access tokens at once too (RFC 7009 §2.1)', async () => {
    const { access_token, refresh_token } = await runFlow(lab)
    expect((await getResource(lab, access_token)).status).toBe(200)
    await revoke(lab, refresh_token)
    const res = await getResource(lab, access_token)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"')
  })

  it('a client_credentials token works, and is revoked at once as well', async () => {
    const token = await clientCredentialsToken(lab)
    const ok = await getResource(lab, token)
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ sub: 'oauth-client-1', client_id: 'oauth-client-1', scope: 'foo bar' })
    await revoke(lab, token)
    const res = await getResource(lab, token)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"')
  })

  it('a token whose scope lacks foo (scope=bar): 403 insufficient_scope', async () => {
    const token = await clientCredentialsToken(lab, 'bar')
    const res = await getResource(lab, token)
    expect(res.status).toBe(403)
    const challenge = res.headers.get('www-authenticate')!
    expect(challenge).toMatch(/^Bearer realm="oauth-lab", error="insufficient_scope"/)
    expect(challenge).toContain('scope="foo"')
    expect((await res.json()).error).toBe('insufficient_scope')
  })

  it('Break it, replayed code: the first access token is refused at once, and the page says why', async () => {
    const browser = httpBrowser()
    const list = await browser.get(`${lab.config.client.publicUrl}/break`)
    const page = await browser.post(`${lab.config.client.publicUrl}/break/replayed-code`, {
      _csrf: hiddenField(list.body, '_csrf'),
    })
    expect(page.status).toBe(200)
    expect(page.body).toContain('<code id="aftermath-status">401</code>')
    expect(page.body).toMatch(/<p id="aftermath-lesson">It is refused \(HTTP 401\)\. This resource server asks/)
  })

  it('a refresh token used as a bearer token: 401 invalid_token', async () => {
    const { refresh_token } = await runFlow(lab)
    const res = await getResource(lab, refresh_token)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"')
  })

  it('garbage: 401 invalid_token', async () => {
    const res = await getResource(lab, 'not-a-token')
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"')
  })
})

describe('JWT mode (the default): revocation is not seen by the resource server', () => {
  // docs/contract.md: in JWT mode the resource server verifies tokens locally
  // against the JWKS (signature, typ, iss, aud, exp) and never asks the
  // authorization server about a token, so a revoked access token keeps
  // working until its `exp`. Only introspection mode makes revocation take
  // effect at once. This is the expected difference, not a bug.
  let lab: TestLab
  beforeAll(async () => {
    lab = await startTestLab()
  })
  afterAll(() => lab.close())

  it('a revoked access token still passes /resource until it expires', async () => {
    const token = await clientCredentialsToken(lab)
    expect((await getResource(lab, token)).status).toBe(200)
    await revoke(lab, token)
    // The authorization server knows it is revoked...
    const introspection = await postForm(lab, '/introspect', { token })
    expect(await introspection.json()).toEqual({ active: false })
    // ...but the resource server, checking the JWT locally, does not.
    const res = await getResource(lab, token)
    expect(res.status).toBe(200)
    expect(
      seen(lab, 'auth', 'POST', '/introspect').filter((e) =>
        decodeBasic(e.headers.authorization).startsWith('oauth-resource-1:'),
      ),
    ).toHaveLength(0)
  })

  it('scope is still enforced: scope=bar is 403 insufficient_scope', async () => {
    const res = await getResource(lab, await clientCredentialsToken(lab, 'bar'))
    expect(res.status).toBe(403)
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"')
  })
})

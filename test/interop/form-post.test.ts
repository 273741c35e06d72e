// Interoperability: an ASP.NET Core-style confidential client (its OpenID
// Connect handler's defaults: response_type=code, response_mode=form_post,
// scope openid, a nonce, PKCE, the callback a POST route at /signin-oidc, a
// correlation cookie, the secret in the token request body) against a
// started lab. The client is a small Express app; the browser is a
// cookie-jar HTTP browser that signs in and consents through the lab's
// forms, then does what the lab's auto-submitting page does: it reads the
// form and POSTs its fields to its action (OAuth 2.0 Form Post Response Mode
// §2). The app checks state and iss (RFC 9207), redeems the code, verifies
// the ID token with jose (RS256 against the JWKS, iss, aud, nonce, at_hash),
// reads userinfo and calls the resource.

import { createHash, randomBytes } from 'node:crypto'
import type { Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import express, { type Request, type Response } from 'express'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { startLab, type Lab } from '../../src/index.js'
import { freePort } from '../helpers/free-port.js'
import { hiddenField } from '../helpers/inject-browser.js'
import { httpBrowser, type HttpResponse } from '../helpers/http-browser.js'

const CLIENT_ID = 'aspnet-core-app'
const CLIENT_SECRET = 'aspnet-core-secret'
const CORRELATION_COOKIE = '.AspNetCore.Correlation'
/** Pending sign-ins kept at most (oldest forgotten first). */
const MAX_PENDING = 1000
const MAX_HOPS = 8

type HttpBrowser = ReturnType<typeof httpBrowser>

interface Discovery {
  readonly issuer: string
  readonly authorization_endpoint: string
  readonly token_endpoint: string
  readonly userinfo_endpoint: string
  readonly jwks_uri: string
  readonly response_modes_supported: readonly string[]
}

interface Pending {
  readonly correlation: string
  readonly nonce: string
  readonly verifier: string
}

let lab: Lab
let server: Server
let appUrl: string

function cookieOf(req: Request, name: string): string | undefined {
  const pairs = req.headers.cookie?.split(';').map((c) => c.trim().split('=')) ?? []
  return pairs.find(([n]) => n === name)?.[1]
}

/** OpenID Connect Core §3.1.3.6: at_hash is the left half of SHA-256 of the access token, base64url. */
function atHash(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url')
}

function buildApp(discovery: Discovery, redirectUri: string): express.Express {
  const pending = new Map<string, Pending>()
  const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri))
  const app = express()
  app.use(express.urlencoded({ extended: false, limit: '16kb' }))

  app.get('/login', (_req, res) => {
    const state = randomBytes(32).toString('base64url')
    const entry = {
      correlation: randomBytes(32).toString('base64url'),
      nonce: randomBytes(32).toString('base64url'),
      verifier: randomBytes(32).toString('base64url'),
    }
    pending.set(state, entry)
    if (pending.size > MAX_PENDING) pending.delete(pending.keys().next().value!)
    // The callback is a cross-site POST: the correlation cookie must be SameSite=None to come back with it.
    res.cookie(CORRELATION_COOKIE, entry.correlation, { httpOnly: true, sameSite: 'none', path: '/signin-oidc' })
    const url = new URL(discovery.authorization_endpoint)
    url.search = new URLSearchParams({
      client_id: CLIENT_ID,
      redirect_uri: redirectUri,
      response_type: 'code',
      response_mode: 'form_post',
      scope: 'openid profile foo',
      state,
      nonce: entry.nonce,
      code_challenge: createHash('sha256').update(entry.verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString()
    res.redirect(302, url.href)
  })

  app.post('/signin-oidc', (req: Request, res: Response) => {
    const form = req.body as Record<string, string | undefined>
    const entry = form.state === undefined ? undefined : pending.get(form.state)
    if (form.state !== undefined) pending.delete(form.state)
    if (!entry || cookieOf(req, CORRELATION_COOKIE) !== entry.correlation) {
      res.status(400).json({ error: 'Correlation failed.' })
      return
    }
    // RFC 9207 §2.4: the response must come from the issuer the request went to.
    if (form.iss !== discovery.issuer) {
      res.status(400).json({ error: 'Unexpected iss.' })
      return
    }
    redeem(discovery, jwks, redirectUri, form.code ?? '', entry).then(
      (result) => res.json(result),
      (error: unknown) => res.status(500).json({ error: String(error) }),
    )
  })
  return app
}

async function redeem(
  discovery: Discovery,
  jwks: ReturnType<typeof createRemoteJWKSet>,
  redirectUri: string,
  code: string,
  entry: Pending,
): Promise<Record<string, unknown>> {
  const tokenRes = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      code,
      grant_type: 'authorization_code',
      redirect_uri: redirectUri,
      code_verifier: entry.verifier,
    }),
  })
  const tokens = (await tokenRes.json()) as { access_token: string; id_token: string }
  const { payload, protectedHeader } = await jwtVerify(tokens.id_token, jwks, {
    algorithms: ['RS256'],
    issuer: discovery.issuer,
    audience: CLIENT_ID,
  })
  if (payload.nonce !== entry.nonce) throw new Error('nonce mismatch')
  if (payload.at_hash !== atHash(tokens.access_token)) throw new Error('at_hash mismatch')
  const bearer = { authorization: `Bearer ${tokens.access_token}` }
  const userinfo = (await (await fetch(discovery.userinfo_endpoint, { headers: bearer })).json()) as unknown
  const resource = await fetch(`${lab.urls.resource}/resource`, { headers: bearer })
  return {
    alg: protectedHeader.alg,
    sub: payload.sub,
    userinfo,
    resourceStatus: resource.status,
    resource: (await resource.json()) as unknown,
  }
}

beforeAll(async () => {
  const port = await freePort()
  appUrl = `http://127.0.0.1:${port}`
  lab = await startLab({
    extraClients: [
      {
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        name: 'ASP.NET Core app',
        redirectUris: [`${appUrl}/signin-oidc`],
        scopes: ['foo'],
      },
    ],
  })
  const discovery = (await (await fetch(`${lab.urls.auth}/.well-known/openid-configuration`)).json()) as Discovery
  expect(discovery.response_modes_supported).toContain('form_post')
  const app = buildApp(discovery, `${appUrl}/signin-oidc`)
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s))
  })
})

afterAll(async () => {
  await lab?.close()
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve))
})

/** The HTML entities Eta escapes, undone as a browser reads an attribute. */
function unescapeHtml(value: string): string {
  const entities: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" }
  return value.replace(/&(?:amp|lt|gt|quot|#39);/g, (e) => entities[e] ?? e)
}

/** The auto-submitting form, as a browser sees it: its method, action and fields, in order. */
function readForm(html: string): { method: string; action: string; fields: Array<[string, string]> } {
  const form = /<form method="(\w+)" action="([^"]+)" id="form-post-response">([\s\S]*?)<\/form>/.exec(html)
  if (!form) throw new Error(`no form_post form in ${html.slice(0, 300)}`)
  const fields = [...form[3]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map(
    (m): [string, string] => [unescapeHtml(m[1]!), unescapeHtml(m[2]!)],
  )
  return { method: form[1]!.toUpperCase(), action: unescapeHtml(form[2]!), fields }
}

/** From the app's /login to the lab's form_post page: sign in and allow, following redirects (bounded). */
async function toFormPostPage(browser: HttpBrowser): Promise<HttpResponse> {
  let res = await browser.get(`${appUrl}/login`)
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    if (res.status === 302 || res.status === 303) res = await browser.get(browser.location(res))
    else if (res.body.includes('name="password"'))
      res = await browser.post(`${lab.urls.auth}/login`, {
        _csrf: hiddenField(res.body, '_csrf'),
        interaction: hiddenField(res.body, 'interaction'),
        username: 'alice',
        password: 'alice-password',
      })
    else if (res.body.includes('name="decision"'))
      res = await browser.post(`${lab.urls.auth}/consent`, {
        _csrf: hiddenField(res.body, '_csrf'),
        interaction: hiddenField(res.body, 'interaction'),
        decision: 'allow',
      })
    else if (res.body.includes('id="form-post-response"')) return res
    else throw new Error(`unexpected page: ${res.status} ${res.url}`)
  }
  throw new Error(`no form_post page after ${MAX_HOPS} hops`)
}

describe('an ASP.NET Core-style client with response_mode=form_post', () => {
  it('the form carries code, state and iss to the POST callback; the app verifies the RS256 ID token and gets the resource', async () => {
    const browser = httpBrowser()
    const page = await toFormPostPage(browser)
    // Never cached, never framed: the page carries a code (Form Post Response Mode §2, RFC 9700 §4.16).
    expect(page.headers.get('cache-control')).toMatch(/no-store/)
    const form = readForm(page.body)
    expect(form.method).toBe('POST')
    expect(form.action).toBe(`${appUrl}/signin-oidc`)
    expect(form.fields.map(([name]) => name)).toEqual(['code', 'state', 'iss'])
    expect(Object.fromEntries(form.fields).iss).toBe(lab.urls.auth)

    const landed = await browser.post(form.action, Object.fromEntries(form.fields))
    expect(landed.status).toBe(200)
    expect(JSON.parse(landed.body)).toMatchObject({
      alg: 'RS256',
      sub: 'alice',
      userinfo: { sub: 'alice', name: 'Alice Liddell' },
      resourceStatus: 200,
      resource: { resource: 'foo', sub: 'alice', client_id: CLIENT_ID },
    })
    const idTokens = lab
      .requests()
      .filter((r) => r.url === '/token' && r.status === 200)
      .map((r) => (JSON.parse(r.responseBody ?? '{}') as { id_token?: string }).id_token)
    expect(idTokens.map((t) => decodeProtectedHeader(t!).alg)).toEqual(['RS256'])
  })

  it('the form replayed, or posted from a browser without the correlation cookie: refused before any token request', async () => {
    const tokenRequests = () => lab.requests().filter((r) => r.url === '/token').length
    const browser = httpBrowser()
    const form = readForm((await toFormPostPage(browser)).body)
    const before = tokenRequests()
    const stranger = httpBrowser()
    expect((await stranger.post(form.action, Object.fromEntries(form.fields))).status).toBe(400)
    // The failed attempt used up the state: the genuine browser is refused too, and no code reached /token.
    expect((await browser.post(form.action, Object.fromEntries(form.fields))).status).toBe(400)
    expect(tokenRequests()).toBe(before)
  })
})

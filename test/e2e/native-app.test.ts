// A native (CLI) app's flow over real HTTP (RFC 8252): the app listens on a
// loopback port the OS picks (§7.3), registered without a port, and walks the
// whole flow with PKCE through the lab's real sign-in and consent forms.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createHash, randomBytes } from 'node:crypto'
import { startLab, type Lab } from '../../src/index.js'
import { hiddenField } from '../helpers/inject-browser.js'
import { httpBrowser } from '../helpers/http-browser.js'

const CLIENT_ID = 'native-cli'
let lab: Lab
let listener: Server
/** Every request the app's loopback listener received. */
const received: URL[] = []
let redirectUri: string

beforeAll(async () => {
  listener = createServer((req, res) => {
    received.push(new URL(req.url ?? '/', 'http://127.0.0.1'))
    res.writeHead(200, { 'content-type': 'text/plain' }).end('Signed in: you can close this window.')
  })
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
  redirectUri = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/callback`
  lab = await startLab({
    extraClients: [
      { clientId: CLIENT_ID, name: 'Native CLI', redirectUris: ['http://127.0.0.1/callback'], scopes: ['foo'] },
    ],
  })
})
afterAll(async () => {
  await lab.close()
  await new Promise((resolve) => listener.close(resolve))
})

describe('a native app with a loopback redirect URI', () => {
  it('signs in, consents, receives the code on its port, redeems it and calls the resource', async () => {
    const verifier = randomBytes(32).toString('base64url')
    const challenge = createHash('sha256').update(verifier).digest('base64url')
    const state = randomBytes(16).toString('base64url')
    const authorize = new URL(`${lab.urls.auth}/authorize`)
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: redirectUri,
      scope: 'foo',
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString()

    const browser = httpBrowser()
    const login = await browser.get(authorize.href)
    expect(login.status).toBe(200)
    expect(login.body).toContain('Native CLI')
    const signedIn = await browser.post(`${lab.urls.auth}/login`, {
      _csrf: hiddenField(login.body, '_csrf'),
      interaction: hiddenField(login.body, 'interaction'),
      username: 'alice',
      password: 'alice-password',
    })
    expect(signedIn.status).toBe(303)
    const consent = await browser.get(browser.location(signedIn))
    expect(consent.status).toBe(200)
    expect(consent.body).toContain(`<code>${redirectUri}</code>`)
    const allowed = await browser.post(`${lab.urls.auth}/consent`, {
      _csrf: hiddenField(consent.body, '_csrf'),
      interaction: hiddenField(consent.body, 'interaction'),
      decision: 'allow',
    })
    expect(allowed.status).toBe(303)
    expect(browser.location(allowed).startsWith(`${redirectUri}?`)).toBe(true)

    // The browser follows the redirect to the app's own listener.
    const landed = await browser.get(browser.location(allowed))
    expect(landed.status).toBe(200)
    const callback = received.at(-1)!
    expect(callback.pathname).toBe('/callback')
    expect(callback.searchParams.get('state')).toBe(state)
    expect(callback.searchParams.get('iss')).toBe(lab.urls.auth)
    const code = callback.searchParams.get('code')!
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/)

    // A public client: no secret, client_id in the body, the verifier, and the redirect URI with its port.
    const tokenRes = await fetch(`${lab.urls.auth}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: CLIENT_ID,
        code,
        redirect_uri: redirectUri,
        code_verifier: verifier,
      }),
    })
    expect(tokenRes.status).toBe(200)
    const tokens = (await tokenRes.json()) as { access_token: string; refresh_token?: string; scope: string }
    expect(tokens.scope).toBe('foo')
    expect(tokens.refresh_token).toBeTruthy()

    const resource = await fetch(`${lab.urls.resource}/resource`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    })
    expect(resource.status).toBe(200)
    expect(await resource.json()).toMatchObject({ sub: 'alice', client_id: CLIENT_ID })
  })
})

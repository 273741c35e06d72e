// An ASP.NET-style client (response_mode=form_post, its callback a POST
// handler) in real headless Chromium: the lab's form_post page submits itself
// through its served script under the lab's CSP, with no violation.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createHash, randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { startLab, type Lab } from '../../src/index.js'
import { launchBrowser, SCREENSHOT_DIR, type LabBrowser } from '../helpers/browser.js'

const CLIENT_ID = 'aspnet-app'
let lab: Lab
let browser: LabBrowser
let app: Server
let redirectUri: string
/** What the client's server received (the browser may also ask for /favicon.ico). */
const received: Array<{ method: string; path: string; contentType: string; body: URLSearchParams }> = []

beforeAll(async () => {
  app = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        path: req.url ?? '',
        contentType: req.headers['content-type'] ?? '',
        body: new URLSearchParams(Buffer.concat(chunks).toString('utf8')),
      })
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><title>Signed in</title><h1>Signed in</h1>')
    })
  })
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
  // ASP.NET Core's OpenID Connect handler answers at /signin-oidc.
  redirectUri = `http://127.0.0.1:${(app.address() as AddressInfo).port}/signin-oidc`
  lab = await startLab({
    extraClients: [
      {
        clientId: CLIENT_ID,
        clientSecret: 'aspnet-secret',
        name: 'ASP.NET app',
        redirectUris: [redirectUri],
        scopes: ['foo'],
      },
    ],
  })
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  await lab?.close()
  await new Promise((resolve) => app.close(resolve))
})

describe('response_mode=form_post in a browser', () => {
  it('ends on the client POST handler with code, state and iss in the form body, no CSP violation', async () => {
    const page = await browser.context.newPage()
    const violations: string[] = []
    const consoleErrors: string[] = []
    await page.exposeFunction('reportCspViolation', (text: string) => violations.push(text))
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        const report = (window as unknown as { reportCspViolation: (t: string) => void }).reportCspViolation
        report(`${e.violatedDirective} ${e.blockedURI}`)
      })
    })
    page.on('console', (msg) => {
      // The lab serves no favicon: Chromium's request for one is not the page's doing.
      if (msg.type() === 'error' && !msg.location().url.endsWith('/favicon.ico'))
        consoleErrors.push(`${msg.text()} ${msg.location().url}`)
    })

    const state = randomBytes(16).toString('base64url')
    const verifier = randomBytes(32).toString('base64url')
    const authorize = new URL(`${lab.urls.auth}/authorize`)
    authorize.search = new URLSearchParams({
      response_type: 'code',
      response_mode: 'form_post',
      client_id: CLIENT_ID,
      redirect_uri: redirectUri,
      scope: 'openid foo',
      nonce: randomBytes(16).toString('base64url'),
      state,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString()

    await page.goto(authorize.href)
    await page.getByLabel('Username').fill('alice')
    await page.getByLabel('Password').fill('alice-password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { name: 'Authorize ASP.NET app' }).waitFor()
    await page.getByRole('button', { name: 'Allow' }).click()

    // Nobody presses Continue: the served script submits the form.
    await page.waitForURL(redirectUri)
    await page.getByRole('heading', { name: 'Signed in' }).waitFor()
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'form-post-client.png'), fullPage: true })

    const posted = received.filter((r) => r.path === '/signin-oidc')
    expect(posted.map((r) => r.method)).toEqual(['POST'])
    const callback = posted[0]!
    expect(callback.contentType).toBe('application/x-www-form-urlencoded')
    expect([...callback.body.keys()]).toEqual(['code', 'state', 'iss'])
    expect(callback.body.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(callback.body.get('state')).toBe(state)
    expect(callback.body.get('iss')).toBe(lab.urls.auth)
    expect(violations).toEqual([])
    expect(consoleErrors).toEqual([])

    // The code is good at the token endpoint.
    const tokenRes = await fetch(`${lab.urls.auth}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${CLIENT_ID}:aspnet-secret`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: callback.body.get('code')!,
        redirect_uri: redirectUri,
        code_verifier: verifier,
      }),
    })
    expect(tokenRes.status).toBe(200)
    expect(((await tokenRes.json()) as { id_token?: string }).id_token).toBeTruthy()
  })
})

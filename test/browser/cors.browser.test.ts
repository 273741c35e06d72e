// A single-page app in real headless Chromium: a page served from a
// registered web origin redeems its code at /token and calls /resource with
// fetch, and reads both JSON answers; the same page served from an
// unregistered origin is blocked by the browser (the fetch rejects). The
// page's server, the lab and the browser are all on loopback.

import { createHash, randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { startLab, type Lab } from '../../src/index.js'
import { launchBrowser, type LabBrowser } from '../helpers/browser.js'

const SPA_PAGE = '<!doctype html><html lang="en"><title>SPA</title><h1>A single-page app</h1></html>'

let pages: Server
let lab: Lab
let browser: LabBrowser
/** Where the SPA is registered: its redirect URI's origin. */
let registered: string
/** The same page server, under another host name: not any client's web origin. */
let unregistered: string

beforeAll(async () => {
  pages = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(SPA_PAGE)
  })
  await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve))
  const { port } = pages.address() as AddressInfo
  registered = `http://127.0.0.1:${port}`
  unregistered = `http://localhost:${port}`
  lab = await startLab({
    loginAs: 'alice',
    extraClients: [{ clientId: 'spa', redirectUris: [`${registered}/callback`], scopes: ['foo'] }],
  })
  browser = await launchBrowser()
})

afterAll(async () => {
  await browser?.close()
  await lab?.close()
  await new Promise((resolve) => pages?.close(resolve))
})

/** Steps 1-4 in the browser (loginAs: no forms): the page ends on the SPA's callback with a code. */
async function authorize(page: Page, redirectUri: string): Promise<{ code: string; verifier: string }> {
  const verifier = randomBytes(32).toString('base64url')
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: 'spa',
    redirect_uri: redirectUri,
    scope: 'foo',
    state: randomBytes(16).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  })
  await page.goto(`${lab.urls.auth}/authorize?${query.toString()}`)
  await page.waitForURL(`${redirectUri}?**`)
  const code = new URL(page.url()).searchParams.get('code')
  if (!code) throw new Error(`no code at ${page.url()}`)
  return { code, verifier }
}

interface Outcome {
  readonly ok: boolean
  readonly status?: number
  readonly body?: Record<string, unknown>
  readonly error?: string
}

/** The SPA's own code, run in the page: a token request, then the resource with that token (or `token`). */
function spaFetches(
  page: Page,
  args: { auth: string; resource: string; form: Record<string, string>; token?: string },
): Promise<{ token: Outcome; resource: Outcome }> {
  return page.evaluate(async ({ auth, resource, form, token }) => {
    const attempt = async (request: () => Promise<Response>): Promise<Outcome> => {
      try {
        const response = await request()
        return { ok: true, status: response.status, body: (await response.json()) as Record<string, unknown> }
      } catch (error) {
        return { ok: false, error: String(error) }
      }
    }
    const tokenOutcome = await attempt(() =>
      fetch(`${auth}/token`, { method: 'POST', body: new URLSearchParams(form) }),
    )
    const accessToken = token ?? (tokenOutcome.body?.access_token as string | undefined) ?? 'none'
    // Authorization is not a CORS-safelisted header: this one is preflighted.
    const resourceOutcome = await attempt(() =>
      fetch(`${resource}/resource`, { headers: { authorization: `Bearer ${accessToken}` } }),
    )
    return { token: tokenOutcome, resource: resourceOutcome }
  }, args)
}

describe('a single-page app in Chromium', () => {
  it('from its registered origin: redeems its code at /token and reads /resource', async () => {
    const page = await browser.context.newPage()
    const redirectUri = `${registered}/callback`
    const { code, verifier } = await authorize(page, redirectUri)
    const { token, resource } = await spaFetches(page, {
      auth: lab.urls.auth,
      resource: lab.urls.resource,
      form: {
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        code_verifier: verifier,
        client_id: 'spa',
      },
    })
    expect(token).toMatchObject({ ok: true, status: 200, body: { token_type: 'Bearer', scope: 'foo' } })
    expect(resource).toMatchObject({ ok: true, status: 200, body: { resource: 'foo', sub: 'alice', client_id: 'spa' } })
    // The resource call was preflighted, and the preflight answered for this origin.
    const preflight = lab.requests().find((r) => r.server === 'resource-server' && r.method === 'OPTIONS')
    expect(preflight).toMatchObject({ status: 204, headers: { origin: registered } })
    await page.close()
  })

  it('from an unregistered origin: the browser blocks both answers', async () => {
    lab.reset()
    const page = await browser.context.newPage()
    await page.goto(`${unregistered}/`)
    await expect(page.locator('h1').textContent()).resolves.toBe('A single-page app')
    const { token, resource } = await spaFetches(page, {
      auth: lab.urls.auth,
      resource: lab.urls.resource,
      form: { grant_type: 'client_credentials', client_id: 'spa' },
      token: await lab.issueToken({ sub: 'alice', clientId: 'spa', scope: 'foo' }),
    })
    expect(token).toMatchObject({ ok: false, error: expect.stringMatching(/TypeError/) })
    expect(resource).toMatchObject({ ok: false, error: expect.stringMatching(/TypeError/) })
    // The token request (a CORS-safelisted POST) was still answered, as it is without an Origin:
    // CORS is the browser's check, not an authentication.
    const tokenRequest = lab.requests().find((r) => r.server === 'auth-server' && r.url === '/token')
    expect(tokenRequest).toMatchObject({ method: 'POST', headers: { origin: unregistered } })
    // The resource's preflight got no CORS answer, so the GET itself was never sent.
    const atResource = lab.requests().filter((r) => r.server === 'resource-server')
    expect(atResource.map((r) => [r.method, r.status])).toEqual([['OPTIONS', 404]])
    await page.close()
  })
})

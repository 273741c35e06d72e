// Interoperability: oidc-client-ts's UserManager, a single-page app's OpenID
// Connect library, unmodified in real headless Chromium. Its page is served
// from its own origin (a node:http server on 127.0.0.1) with the library's own
// browser build (dist/browser/oidc-client-ts.min.js, an IIFE that defines the
// global `oidc`: no bundling needed). The library does discovery, the code
// flow with PKCE, the token request, userinfo, the refresh grant and
// revocation itself, from the page, across origins (CORS); the user signs in
// and consents through the lab's real forms.

import { readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import type * as Oidc from 'oidc-client-ts'
import { startLab, type Lab } from '../../src/index.js'
import { launchBrowser, type LabBrowser } from '../helpers/browser.js'

// The package exports only its ESM entry (dist/esm/); its browser build sits beside it.
const LIBRARY = fileURLToPath(new URL('../browser/oidc-client-ts.min.js', import.meta.resolve('oidc-client-ts')))
/** The SPA: the library, and a UserManager made afresh at each load (its state lives in the page's storage). */
const PAGE = `<!doctype html><html lang="en"><title>SPA</title>
<script src="/oidc-client-ts.min.js"></script>
<script>
  window.makeManager = (args) =>
    new oidc.UserManager({
      authority: args.authority,
      client_id: args.clientId,
      redirect_uri: args.origin + '/callback',
      scope: args.scope,
      loadUserInfo: true,
      userStore: new oidc.WebStorageStateStore({ store: window.sessionStorage }),
    })
</script>
<h1>SPA</h1></html>`
const SCOPE = 'openid profile email offline_access foo'

let pages: Server
let lab: Lab
let browser: LabBrowser
/** The SPA's origin, registered (by its redirect URI) for client `spa`. */
let registered: string
/** The same page server under another name: the redirect URI of `spa-elsewhere`, not a web origin of any client. */
let unregistered: string

beforeAll(async () => {
  const library = await readFile(LIBRARY)
  pages = createServer((request, response) => {
    if (request.url === '/oidc-client-ts.min.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(library)
    } else {
      // `/` and `/callback?…`: the same page, as a SPA's router would serve it.
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE)
    }
  })
  await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve))
  const { port } = pages.address() as AddressInfo
  registered = `http://127.0.0.1:${port}`
  unregistered = `http://localhost:${port}`
  lab = await startLab({
    // The resource server asks about every token: a revoked one is refused at once (RFC 7662).
    tokenCheck: 'introspect',
    extraClients: [
      { clientId: 'spa', name: 'oidc-client-ts SPA', redirectUris: [`${registered}/callback`], scopes: ['foo'] },
      {
        clientId: 'spa-elsewhere',
        redirectUris: [`${unregistered}/callback`],
        // Its pages may call the lab only from the registered origin, not from where it is served.
        webOrigins: [registered],
        scopes: ['foo'],
      },
    ],
  })
  browser = await launchBrowser()
})

afterAll(async () => {
  await browser?.close()
  await lab?.close()
  await new Promise((resolve) => pages?.close(resolve))
})

/** What the page returns of an oidc-client-ts User (plain data crosses the page boundary). */
interface UserView {
  readonly access_token: string
  readonly refresh_token?: string
  readonly id_token?: string
  readonly scope?: string
  readonly token_type: string
  readonly profile: Record<string, unknown>
}

/** Settings of the UserManager, the same on every page load of an origin. */
interface ManagerArgs {
  readonly authority: string
  readonly clientId: string
  readonly origin: string
  readonly scope: string
}

/** What the page's own script defines: how the SPA makes its UserManager at each load. */
interface SpaWindow {
  readonly oidc: typeof Oidc
  makeManager(args: ManagerArgs): Oidc.UserManager
}

/** The page's fetch of the resource with `token`: status, or the network error the browser raised. */
function fetchResource(page: Page, token: string): Promise<{ status?: number; body?: unknown; error?: string }> {
  return page.evaluate(
    async ({ url, token }) => {
      try {
        const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
        return { status: res.status, body: (await res.json()) as unknown }
      } catch (error) {
        return { error: String(error) }
      }
    },
    { url: `${lab.urls.resource}/resource`, token },
  )
}

/** signinRedirect, then alice signs in and allows through the lab's forms; ends on the SPA's callback. */
async function signInThroughLabForms(page: Page, args: ManagerArgs): Promise<void> {
  await page.goto(`${args.origin}/`)
  // signinRedirect navigates away; the page's promise dies with it, so it is not awaited there.
  await page.evaluate((a) => {
    void (window as unknown as SpaWindow).makeManager(a).signinRedirect()
  }, args)
  await page.waitForURL(`${lab.urls.auth}/**`)
  await page.locator('#username').fill('alice')
  await page.locator('#password').fill('alice-password')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('button', { name: 'Allow' }).click()
  await page.waitForURL(`${args.origin}/callback?**`)
}

describe('oidc-client-ts UserManager in Chromium', () => {
  let page: Page
  let args: ManagerArgs
  let user: UserView

  it('signinRedirect -> lab sign-in and consent -> signinRedirectCallback: tokens and the userinfo profile', async () => {
    page = await browser.context.newPage()
    args = { authority: lab.urls.auth, clientId: 'spa', origin: registered, scope: SCOPE }
    await signInThroughLabForms(page, args)
    const callback = new URL(page.url())
    expect(callback.searchParams.get('iss')).toBe(lab.urls.auth)

    user = await page.evaluate(async (a): Promise<UserView> => {
      const u = await (window as unknown as SpaWindow).makeManager(a).signinRedirectCallback()
      const { access_token, refresh_token, id_token, scope, token_type, profile } = u
      return { access_token, refresh_token, id_token, scope, token_type, profile: { ...profile } }
    }, args)
    expect(user.token_type).toBe('Bearer')
    expect(user.refresh_token).toEqual(expect.any(String))
    expect(user.scope?.split(' ').sort()).toEqual(['email', 'foo', 'offline_access', 'openid', 'profile'])
    expect(user.profile).toMatchObject({
      iss: lab.urls.auth,
      sub: 'alice',
      aud: 'spa',
      name: 'Alice Liddell',
      email: 'alice@example.test',
    })

    // Discovery, the token request and userinfo all came from the page's origin.
    const fromPage = lab
      .requests()
      .filter((r) => r.server === 'auth-server' && r.headers.origin === registered)
      .map((r) => `${r.method} ${r.url.split('?')[0]} ${r.status}`)
    expect(fromPage).toEqual(
      expect.arrayContaining(['GET /.well-known/openid-configuration 200', 'POST /token 200', 'GET /userinfo 200']),
    )
    const tokenRequest = lab.requests().find((r) => r.server === 'auth-server' && r.url === '/token')
    const sent = Object.fromEntries(new URLSearchParams(tokenRequest?.body))
    // A public client with PKCE: client_id and the verifier, no secret (RFC 7636 §4.5, RFC 6749 §4.1.3).
    expect(sent).toMatchObject({
      grant_type: 'authorization_code',
      client_id: 'spa',
      redirect_uri: `${registered}/callback`,
    })
    expect(sent.client_secret).toBeUndefined()
    expect(sent.code_verifier).toMatch(/^[A-Za-z0-9_~.-]{43,128}$/)
  })

  it('getUser: the stored user, with the claims from userinfo', async () => {
    const stored = await page.evaluate(async (a) => {
      const u = await (window as unknown as SpaWindow).makeManager(a).getUser()
      return u ? { access_token: u.access_token, profile: { ...u.profile } } : null
    }, args)
    expect(stored).toMatchObject({ access_token: user.access_token, profile: { sub: 'alice', name: 'Alice Liddell' } })
  })

  it("the page's fetch of the resource with the access token: 200", async () => {
    expect(await fetchResource(page, user.access_token)).toMatchObject({
      status: 200,
      body: { resource: 'foo', sub: 'alice', client_id: 'spa' },
    })
  })

  it('signinSilent uses the refresh token (offline_access): new tokens, the old refresh token rotated out', async () => {
    const refreshed = await page.evaluate(async (a) => {
      const u = await (window as unknown as SpaWindow).makeManager(a).signinSilent()
      return u ? { access_token: u.access_token, refresh_token: u.refresh_token, sub: u.profile.sub } : null
    }, args)
    expect(refreshed).toMatchObject({ sub: 'alice', refresh_token: expect.any(String) })
    expect(refreshed!.access_token).not.toBe(user.access_token)
    expect(refreshed!.refresh_token).not.toBe(user.refresh_token)
    // No iframe: the page used the refresh_token grant at /token.
    const last = lab
      .requests()
      .filter((r) => r.server === 'auth-server' && r.url === '/token')
      .at(-1)
    expect(new URLSearchParams(last?.body).get('grant_type')).toBe('refresh_token')
    expect(await fetchResource(page, refreshed!.access_token)).toMatchObject({ status: 200 })
    user = { ...user, access_token: refreshed!.access_token, refresh_token: refreshed!.refresh_token }
  })

  it('revokeTokens: both tokens revoked at /revoke; the resource server and introspection refuse them', async () => {
    await page.evaluate(async (a) => {
      await (window as unknown as SpaWindow).makeManager(a).revokeTokens(['access_token', 'refresh_token'])
    }, args)
    const revocations = lab
      .requests()
      .filter((r) => r.server === 'auth-server' && r.url === '/revoke' && r.method === 'POST')
    expect(revocations.map((r) => [r.status, r.headers.origin])).toEqual([
      [200, registered],
      [200, registered],
    ])
    const refused = await fetchResource(page, user.access_token)
    expect(refused).toMatchObject({ status: 401, body: expect.anything() })
    for (const token of [user.access_token, user.refresh_token!]) {
      const res = await fetch(`${lab.urls.auth}/introspect`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from('oauth-resource-1:oauth-resource-secret-1').toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ token }),
      })
      expect(await res.json()).toEqual({ active: false })
    }
    await page.close()
  })

  it('the same page from an unregistered origin: no CORS headers, the token request fails in the browser', async () => {
    await browser.context.clearCookies()
    lab.reset()
    const other = await browser.context.newPage()
    const elsewhere = { authority: lab.urls.auth, clientId: 'spa-elsewhere', origin: unregistered, scope: SCOPE }
    // Discovery is a public document (any origin may read it), and the browser part needs no CORS.
    await signInThroughLabForms(other, elsewhere)
    const outcome = await other.evaluate(async (a) => {
      try {
        await (window as unknown as SpaWindow).makeManager(a).signinRedirectCallback()
        return 'signed in'
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`
      }
    }, elsewhere)
    // oidc-client-ts reports the browser's refusal to hand over the answer as a network error.
    expect(outcome).toMatch(/Network Error|Failed to fetch/)
    const stored = await other.evaluate(
      async (a) => (await (window as unknown as SpaWindow).makeManager(a).getUser()) !== null,
      elsewhere,
    )
    expect(stored).toBe(false)
    // The token request was sent and answered, but without Access-Control-Allow-Origin the page cannot read it.
    const token = lab.requests().find((r) => r.server === 'auth-server' && r.url === '/token')
    expect(token).toMatchObject({ method: 'POST', headers: { origin: unregistered } })
    const direct = await fetch(`${lab.urls.auth}/token`, {
      method: 'POST',
      headers: { origin: unregistered, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: 'spa-elsewhere', refresh_token: 'x' }),
    })
    expect(direct.headers.get('access-control-allow-origin')).toBeNull()
    await other.close()
  })
})

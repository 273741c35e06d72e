// The SPA walk-through (a public client with PKCE) against the real servers,
// over real HTTP: this test plays the browser and the page's script (the
// Chromium test runs the real script): the PKCE pair, /authorize as
// oauth-client-public, the code handed to the SPA's page, the token request
// and the resource call from the page's origin (CORS), and the page's report.

import { createHash, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hiddenField } from '../../helpers/inject-browser.js'
import { startTestLab, type TestLab } from '../../helpers/lab.js'
import { walkBrowser } from '../../helpers/walk-browser.js'

let lab: TestLab
let origin: string

beforeAll(async () => {
  lab = await startTestLab()
  origin = new URL(lab.config.client.publicUrl).origin
})
afterAll(async () => lab.close())

const dataOf = (html: string, name: string) => new RegExp(`data-${name}="([^"]*)"`).exec(html)?.[1]

describe('the SPA (public client + PKCE) walk-through', () => {
  it('runs from the browser: PKCE made there, the token and the resource fetched across origins', async () => {
    const learner = walkBrowser(lab.config.client.publicUrl, 'spa-pkce')
    const { browser } = learner
    await learner.start()
    const opened = await learner.next()
    expect(opened.status).toBe(303)
    const spaUrl = browser.location(opened)
    expect(spaUrl).toMatch(/\/walk\/spa-pkce\/app\?state=/)

    // Step 1: the SPA's page, allowed by its CSP to fetch from the two servers, and no inline script.
    const page = await browser.get(spaUrl)
    expect(page.status).toBe(200)
    const csp = page.headers.get('content-security-policy')!
    expect(csp).toContain(
      `connect-src 'self' ${new URL(lab.config.auth.publicUrl).origin} ${new URL(lab.config.resource.publicUrl).origin}`,
    )
    expect(csp).toContain("script-src 'self'")
    expect(page.body).toContain('<script src="/assets/walk-spa-pkce.js" defer></script>')
    expect(dataOf(page.body, 'phase')).toBe('authorize')
    expect(dataOf(page.body, 'client-id')).toBe('oauth-client-public')
    const state = dataOf(page.body, 'state')!
    expect(spaUrl).toContain(`state=${state}`)
    const script = await browser.get(`${lab.config.client.publicUrl}/assets/walk-spa-pkce.js`)
    expect(script.status).toBe(200)
    expect(script.body).toContain('crypto.getRandomValues')

    // Steps 1-4 as the page's script and the browser do them.
    const verifier = randomBytes(32).toString('base64url')
    const authorize = new URL(dataOf(page.body, 'authorize-endpoint')!)
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: 'oauth-client-public',
      redirect_uri: dataOf(page.body, 'redirect-uri')!,
      scope: dataOf(page.body, 'scope')!,
      state,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString()
    let res = await browser.get(authorize.href)
    const signedIn = await browser.post(`${lab.config.auth.publicUrl}/login`, {
      _csrf: hiddenField(res.body, '_csrf'),
      interaction: hiddenField(res.body, 'interaction'),
      username: 'alice',
      password: 'alice-password',
    })
    res = await browser.get(browser.location(signedIn))
    expect(res.body).toContain('oauth-client-public')
    const consented = await browser.post(`${lab.config.auth.publicUrl}/consent`, {
      _csrf: hiddenField(res.body, '_csrf'),
      interaction: hiddenField(res.body, 'interaction'),
      decision: 'allow',
    })
    const callback = await browser.get(browser.location(consented))
    expect(callback.status).toBe(303)
    expect(callback.headers.get('location')).toBe('/walk/spa-pkce/app')

    // Steps 5-7 as the page's script does them: fetch() from the page's origin.
    const redeem = await browser.get(browser.location(callback))
    expect(dataOf(redeem.body, 'phase')).toBe('redeem')
    const code = dataOf(redeem.body, 'code')!
    expect(code.length).toBeGreaterThan(10)
    const token = await fetch(dataOf(redeem.body, 'token-endpoint')!, {
      method: 'POST',
      headers: { origin },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: dataOf(redeem.body, 'redirect-uri')!,
        client_id: 'oauth-client-public',
        code_verifier: verifier,
      }),
    })
    expect(token.status).toBe(200)
    expect(token.headers.get('access-control-allow-origin')).toBe(origin)
    const { access_token: accessToken } = (await token.json()) as { access_token: string }
    const resourceUrl = dataOf(redeem.body, 'resource-url')!
    const preflight = await fetch(resourceUrl, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin)
    const resource = await fetch(resourceUrl, { headers: { origin, authorization: `Bearer ${accessToken}` } })
    expect(resource.status).toBe(200)
    const resourceText = await resource.text()

    // The page waits for its report with a state of its own (the first one was used by the callback).
    const reportState = hiddenField(redeem.body, 'state')
    expect(reportState).toBe(dataOf(redeem.body, 'state'))
    expect(reportState).not.toBe(state)
    const report = await browser.post(`${lab.config.client.publicUrl}/walk/spa-pkce/report`, {
      _csrf: hiddenField(redeem.body, '_csrf'),
      state: reportState,
      token_status: '200',
      token_lines: 'token_type Bearer',
      resource_status: '200',
      resource_lines: resourceText,
    })
    expect(report.status).toBe(303)
    expect(report.headers.get('location')).toBe('/walk/spa-pkce#step-7')
    const done = (await learner.page()).body
    expect(done).toContain('The code came back to the redirect URI')
    expect(done).toContain('Your browser POSTed the code and the code_verifier to /token')
    expect(done).toContain('The SPA got its token, from the browser')
    expect(done).toContain('The resource, read by the SPA from the browser')
    expect(done).toContain('id="walk-finished"')
    expect(done).toContain('action="/break/spa-code-without-verifier"')
    // The report is one-time: its state is used.
    const again = await browser.post(`${lab.config.client.publicUrl}/walk/spa-pkce/report`, {
      _csrf: hiddenField(redeem.body, '_csrf'),
      state: reportState,
      token_status: '400',
      token_lines: 'x',
      resource_status: '',
      resource_lines: '',
    })
    expect(again.headers.get('location')).toBe('/walk/spa-pkce')
    expect((await learner.page()).body).not.toContain('The token endpoint refused the SPA')

    const flow = await learner.flow()
    expect(flow.walk).toBe('spa-pkce')
    expect(flow.steps.map((s) => s.n)).toEqual([1, 2, 3, 4, 5, 6, 7])
    const at = (n: number) => flow.steps[n - 1]!.entries
    expect(at(1).some((e) => e.url.startsWith('/authorize?') && e.url.includes('client_id=oauth-client-public'))).toBe(
      true,
    )
    expect(at(2).some((e) => e.url === '/login')).toBe(true)
    expect(at(3).some((e) => e.url === '/consent')).toBe(true)
    expect(at(4).some((e) => e.role === 'client' && e.url.startsWith('/authenticated?'))).toBe(true)
    expect(at(5).some((e) => e.url === '/token' && e.from === 'browser' && e.part === 'request')).toBe(true)
    expect(at(6).some((e) => e.url === '/token' && e.part === 'response' && e.status === 200)).toBe(true)
    expect(at(7).some((e) => e.method === 'OPTIONS' && e.url === '/resource' && e.status === 204)).toBe(true)
    expect(at(7).some((e) => e.method === 'GET' && e.url === '/resource' && e.status === 200)).toBe(true)
    expect(flow.verdict.outcome).toBe('completed')
    const checks = flow.checks.lines.map((l) => l.text).join(' ')
    expect(checks).toContain(
      'No Authorization header: the public client named itself with client_id=oauth-client-public',
    )
    expect(checks).toContain(`Sent by the browser: Origin ${origin}`)
    expect(checks).toContain(`Access-Control-Allow-Origin: ${origin}`)
    expect(flow.checks.lines.filter((l) => /Origin|Authorization|code_verifier/.test(l.text)).every((l) => l.ok)).toBe(
      true,
    )
  })

  it('sends the SPA page back to the walk when no walk awaits it, and refuses a report without its CSRF token', async () => {
    const learner = walkBrowser(lab.config.client.publicUrl, 'spa-pkce')
    const early = await learner.browser.get(`${lab.config.client.publicUrl}/walk/spa-pkce/app`)
    expect(early.status).toBe(303)
    expect(early.headers.get('location')).toBe('/walk/spa-pkce')
    await learner.start()
    const forged = await learner.browser.post(`${lab.config.client.publicUrl}/walk/spa-pkce/report`, {
      state: 'x',
      token_status: '200',
      token_lines: '',
      resource_status: '200',
      resource_lines: '',
    })
    expect(forged.status).toBe(403)
  })
})

describe('Break it: the SPA code redeemed without its verifier', () => {
  it('is refused with 400 invalid_grant (RFC 7636 §4.6), and the inspector names the PKCE check', async () => {
    const learner = walkBrowser(lab.config.client.publicUrl, 'spa-pkce')
    const page = await learner.page()
    const result = await learner.browser.post(`${lab.config.client.publicUrl}/break/spa-code-without-verifier`, {
      _csrf: hiddenField(page.body, '_csrf'),
    })
    expect(result.status).toBe(200)
    const flowId = /id="flow-id">([^<]*)</.exec(result.body)![1]!
    const token = lab.exchanges.filter((e) => e.role === 'auth' && e.method === 'POST' && e.url === '/token').at(-1)!
    expect(token.status).toBe(400)
    expect(token.headers.authorization).toBeUndefined()
    expect(token.body).toMatchObject({ client_id: 'oauth-client-public' })
    expect(token.body).not.toHaveProperty('code_verifier')
    expect(token.responseHeaders['www-authenticate']).toBeUndefined()
    expect(JSON.parse(token.responseBody)).toMatchObject({ error: 'invalid_grant' })
    const json = await learner.browser.get(`${lab.config.client.publicUrl}/flow/${flowId}.json`)
    const { verdict } = JSON.parse(json.body) as {
      verdict: { outcome: string; step: number; check?: { id: string; rfc: string } }
    }
    expect(verdict).toMatchObject({ outcome: 'stopped', step: 5, check: { id: 'pkce' } })
    expect(verdict.check?.rfc).toBe('RFC 7636 §4.5, §4.6')
    // Listed on the walk's page, and on /break, which lists every attack.
    const breakPage = await learner.browser.get(`${lab.config.client.publicUrl}/break`)
    expect(breakPage.body).toContain('action="/break/spa-code-without-verifier"')
  })
})

// The OpenID Connect walk-through against the real servers, over real HTTP:
// the browser signs in and consents, the client validates the ID token against
// the JWKS, reads /userinfo and signs out through the end_session_endpoint; the
// inspector shows the walk's seven steps, the logout among them.

import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { HttpResponse } from '../../helpers/http-browser.js'
import { hiddenField } from '../../helpers/inject-browser.js'
import { startTestLab, type TestLab } from '../../helpers/lab.js'
import { walkBrowser } from '../../helpers/walk-browser.js'

let lab: TestLab

beforeAll(async () => {
  lab = await startTestLab()
})
afterAll(async () => lab.close())

type Learner = ReturnType<typeof walkBrowser>

/** Steps 1-4 in the learner's browser: the authorization request, sign-in as alice, allow, back to the client. */
async function authorize(learner: Learner, sent: HttpResponse): Promise<HttpResponse> {
  const { browser } = learner
  let res = await browser.get(browser.location(sent))
  const signedIn = await browser.post(`${lab.config.auth.publicUrl}/login`, {
    _csrf: hiddenField(res.body, '_csrf'),
    interaction: hiddenField(res.body, 'interaction'),
    username: 'alice',
    password: 'alice-password',
  })
  res = await browser.get(browser.location(signedIn))
  const consented = await browser.post(`${lab.config.auth.publicUrl}/consent`, {
    _csrf: hiddenField(res.body, '_csrf'),
    interaction: hiddenField(res.body, 'interaction'),
    decision: 'allow',
  })
  return browser.get(browser.location(consented))
}

describe('the OpenID Connect walk-through', () => {
  it('runs the code flow with openid and a nonce, validates the ID token, reads /userinfo and signs out', async () => {
    const learner = walkBrowser(lab.config.client.publicUrl, 'oidc')
    await learner.start()
    expect(learner.flowId).toMatch(/^w_oidc_/)

    const sent = await learner.next()
    expect(sent.status).toBe(303)
    const request = new URL(learner.browser.location(sent))
    expect(request.pathname).toBe('/authorize')
    expect(request.searchParams.get('scope')).toBe('openid profile email')
    const nonce = request.searchParams.get('nonce')
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{20,}$/)
    expect(request.searchParams.get('code_challenge_method')).toBe('S256')

    const back = await authorize(learner, sent)
    expect(back.status).toBe(303)
    expect(back.headers.get('location')).toBe('/walk/oidc')
    expect((await learner.page()).body).toContain('The code is back at the redirect URI')

    await learner.next()
    expect((await learner.page()).body).toContain('An access token and an ID token')

    await learner.next()
    const validated = (await learner.page()).body
    expect(validated).toContain('The ID token is valid')
    for (const rule of [
      'signature: RS256',
      'iss: ',
      'aud: ',
      'exp: expires in',
      'iat: issued',
      'nonce: the one this client sent',
    ])
      expect(validated).toContain(`\u2713 ${rule}`)

    await learner.next()
    const info = (await learner.page()).body
    expect(info).toContain('The user\u2019s claims from /userinfo')
    expect(info).toContain('\u2713 sub alice equals the ID token\u2019s sub')
    expect(info).toContain('alice@example.test')

    // RP-Initiated Logout: to the end_session_endpoint with id_token_hint, confirm, back with the state.
    const logout = await learner.next()
    const endSession = new URL(learner.browser.location(logout))
    expect(endSession.pathname).toBe('/end-session')
    const hint = endSession.searchParams.get('id_token_hint')!
    expect(decodeJwt(hint)).toMatchObject({ sub: 'alice', aud: lab.config.client.clientId, nonce })
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${lab.config.client.publicUrl}/`)
    const confirm = await learner.browser.get(endSession.href)
    expect(confirm.status).toBe(200)
    const signedOut = await learner.browser.post(`${lab.config.auth.publicUrl}/logout`, {
      _csrf: hiddenField(confirm.body, '_csrf'),
      interaction: hiddenField(confirm.body, 'interaction'),
    })
    const home = learner.browser.location(signedOut)
    expect(home).toBe(`${lab.config.client.publicUrl}/?state=${endSession.searchParams.get('state')!}`)
    const returned = await learner.browser.get(home)
    expect(returned.status).toBe(303)
    expect(returned.headers.get('location')).toBe('/walk/oidc')
    const done = (await learner.page()).body
    expect(done).toContain('Signed out at the authorization server, and back at the client')
    expect(done).toContain('id="walk-finished"')

    // The authorization server's session is over: a new authorization request shows the sign-in page again.
    const again = await learner.browser.get(request.href)
    expect(again.body).toContain('action="/login"')

    const flow = await learner.flow()
    expect(flow.walk).toBe('oidc')
    expect(flow.steps.map((s) => s.n)).toEqual([1, 2, 3, 4, 5, 6, 7])
    const at = (n: number) => flow.steps[n - 1]!.entries
    expect(
      at(1).some((e) => e.role === 'auth-server' && e.url.startsWith('/authorize?') && e.part !== 'response'),
    ).toBe(true)
    expect(at(2).some((e) => e.url === '/login' && e.method === 'POST')).toBe(true)
    expect(at(3).some((e) => e.url === '/consent' && e.part !== 'response')).toBe(true)
    expect(at(4).some((e) => e.role === 'client' && e.url.startsWith('/authenticated?'))).toBe(true)
    expect(at(5).some((e) => e.url === '/token' && e.status === 200)).toBe(true)
    expect(at(6).some((e) => e.url === '/jwks' && e.status === 200)).toBe(true)
    expect(at(7).some((e) => e.url === '/userinfo' && e.status === 200)).toBe(true)
    expect(at(7).some((e) => e.url.startsWith('/end-session?') && e.status === 200)).toBe(true)
    expect(at(7).some((e) => e.url === '/logout' && e.method === 'POST' && e.status === 303)).toBe(true)
    expect(flow.verdict.outcome).toBe('completed')
    expect(flow.checks.lines.filter((l) => /nonce|sub:/.test(l.text)).every((l) => l.ok)).toBe(true)
    expect(flow.checks.lines.map((l) => l.text).join(' ')).toContain('carries the nonce sent in step 1')
  })
})

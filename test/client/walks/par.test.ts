// The pushed-authorization-request walk-through (RFC 9126) against the real
// servers: the push, the short front-channel URL, the learner's own browser
// through sign-in and consent, the callback, the token and the resource; then
// the inspector's flow of the walk, with the browser's requests joined to it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hiddenField } from '../../helpers/inject-browser.js'
import { startTestLab, type TestLab } from '../../helpers/lab.js'
import { walkBrowser } from '../../helpers/walk-browser.js'

let lab: TestLab

beforeAll(async () => {
  lab = await startTestLab()
})
afterAll(async () => lab.close())

/** The learner's browser at the authorization server: sign in as alice, allow; the redirect back. */
async function signInAndAllow(learner: ReturnType<typeof walkBrowser>, authorizeUrl: string) {
  const { browser } = learner
  const login = await browser.get(authorizeUrl)
  expect(login.status).toBe(200)
  const signedIn = await browser.post(`${lab.config.auth.publicUrl}/login`, {
    _csrf: hiddenField(login.body, '_csrf'),
    interaction: hiddenField(login.body, 'interaction'),
    username: 'alice',
    password: 'alice-password',
  })
  const resumed = browser.location(signedIn)
  const consent = await browser.get(resumed)
  const allowed = await browser.post(`${lab.config.auth.publicUrl}/consent`, {
    _csrf: hiddenField(consent.body, '_csrf'),
    interaction: hiddenField(consent.body, 'interaction'),
    decision: 'allow',
  })
  return { resumed: new URL(resumed), callback: new URL(browser.location(allowed)) }
}

describe('the par walk-through', () => {
  it('pushes the request, sends the browser with client_id and request_uri only, and completes', async () => {
    const learner = walkBrowser(lab.config.client.publicUrl, 'par')
    await learner.start()
    expect(learner.flowId).toMatch(/^w_par_/)

    await learner.next()
    const pushed = await learner.page()
    expect(pushed.body).toContain('A request_uri for the pushed request')
    expect(pushed.body).toMatch(/201: request_uri urn:ietf:params:oauth:request_uri:/)
    expect(pushed.body).toContain('expires_in 60 s')

    await learner.next()
    const shown = await learner.page()
    expect(shown.body).toContain('The short URL your browser will carry')

    const away = await learner.next()
    expect(away.status).toBe(303)
    const front = new URL(away.headers.get('location')!)
    expect(`${front.origin}${front.pathname}`).toBe(`${lab.config.auth.publicUrl}/authorize`)
    expect([...front.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])

    const { resumed, callback } = await signInAndAllow(learner, front.href)
    // The sign-in resumes under a fresh request_uri: the first one stays used.
    expect([...resumed.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])
    expect(resumed.searchParams.get('request_uri')).not.toBe(front.searchParams.get('request_uri'))
    expect(callback.searchParams.get('code')).toBeTruthy()
    const back = await learner.browser.get(callback.href)
    expect(back.status).toBe(303)
    expect(back.headers.get('location')).toBe('/walk/par')
    expect((await learner.page()).body).toContain('The code is back at the callback')

    await learner.next()
    expect((await learner.page()).body).toContain('An access token for the pushed request')
    await learner.finish()

    const { flow, at } = await learner.sevenSteps()
    expect(at(1).some((e) => e.role === 'auth-server' && e.part === 'request' && e.url === '/par')).toBe(true)
    expect(at(2).some((e) => e.role === 'auth-server' && e.part === 'response' && e.status === 201)).toBe(true)
    expect(at(3).some((e) => e.from === 'browser' && e.url.startsWith('/authorize?client_id='))).toBe(true)
    // The client app's pages go with the step each shows: the push's page spans steps 1-2 (its answer under
    // step 2), and the "Next" that shows step 3 before sending the browser on is under step 3, not step 2.
    expect(
      at(2)
        .filter((e) => e.role === 'client')
        .map((e) => e.part),
    ).toEqual(['response'])
    expect(at(3).some((e) => e.role === 'client' && e.part === 'both' && e.status === 303)).toBe(true)
    expect(at(4).some((e) => e.url === '/login' && e.method === 'POST')).toBe(true)
    expect(at(4).some((e) => e.url === '/consent' && e.method === 'POST')).toBe(true)
    expect(at(5).some((e) => e.role === 'client' && e.url.startsWith('/authenticated?'))).toBe(true)
    expect(at(6).some((e) => e.role === 'auth-server' && e.url === '/token' && e.status === 200)).toBe(true)
    expect(at(7).some((e) => e.role === 'resource-server' && e.status === 200)).toBe(true)
    expect(flow.verdict.outcome).toBe('completed')
    const checks = flow.checks.lines.map((l) => l.text).join(' ')
    expect(flow.checks.lines.length).toBeGreaterThanOrEqual(4)
    expect(flow.checks.lines.every((line) => line.ok)).toBe(true)
    expect(checks).toContain('only client_id and request_uri')
    expect(checks).toContain('request_uri was used once')
    expect(checks).toContain('The state at the callback is the one pushed')
  })

  it('lists the walk with its attacks', async () => {
    const learner = walkBrowser(lab.config.client.publicUrl, 'par')
    const page = await learner.page()
    expect(page.status).toBe(200)
    expect(page.body).toContain('Step 1: The client app pushes the authorization request')
  })
})

// The DPoP walk-through (RFC 9449) against the real servers: the learner's
// browser signs in and consents (front channel), then each Next sends one
// DPoP request; the inspector shows the walk's six steps and its checks. Once
// without server nonces, once with DPOP_NONCE on (the nonce challenge is its
// own step and not a refusal).

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hiddenField } from '../../helpers/inject-browser.js'
import { startTestLab, type TestLab } from '../../helpers/lab.js'
import { walkBrowser } from '../../helpers/walk-browser.js'

type Learner = ReturnType<typeof walkBrowser>

/** Next on step 1, then sign-in and consent in the "browser", back to the client's callback. */
async function authorize(lab: TestLab, learner: Learner): Promise<void> {
  const away = await learner.next()
  expect(away.status).toBe(303)
  const authorizeUrl = new URL(learner.browser.location(away))
  expect(authorizeUrl.origin + authorizeUrl.pathname).toBe(`${lab.config.auth.publicUrl}/authorize`)
  expect(authorizeUrl.searchParams.get('code_challenge_method')).toBe('S256')
  // RFC 9449 §10: the code is bound to the walk's key by its thumbprint.
  expect(authorizeUrl.searchParams.get('dpop_jkt')).toMatch(/^[A-Za-z0-9_-]{43}$/)
  const login = await learner.browser.get(authorizeUrl.href)
  const signedIn = await learner.browser.post(`${lab.config.auth.publicUrl}/login`, {
    _csrf: hiddenField(login.body, '_csrf'),
    interaction: hiddenField(login.body, 'interaction'),
    username: 'alice',
    password: 'alice-password',
  })
  const consent = await learner.browser.get(learner.browser.location(signedIn))
  const allowed = await learner.browser.post(`${lab.config.auth.publicUrl}/consent`, {
    _csrf: hiddenField(consent.body, '_csrf'),
    interaction: hiddenField(consent.body, 'interaction'),
    decision: 'allow',
  })
  const callback = learner.browser.location(allowed)
  expect(callback.startsWith(`${lab.config.client.publicUrl}/authenticated?`)).toBe(true)
  const back = await learner.browser.get(callback)
  expect(back.status).toBe(303)
  expect(back.headers.get('location')).toBe('/walk/dpop')
}

describe('the DPoP walk-through, no server nonces', () => {
  let lab: TestLab
  beforeAll(async () => {
    lab = await startTestLab()
  })
  afterAll(async () => lab.close())

  it('walks the authorization, the bound token, the resource call and the refresh; the inspector checks each', async () => {
    const learner = walkBrowser(lab.config.client.publicUrl, 'dpop')
    await learner.start()
    expect(learner.flowId).toMatch(/^w_dpop_/)
    await authorize(lab, learner)
    const afterCallback = (await learner.page()).body
    expect(afterCallback).toContain('Back with a code')
    expect(afterCallback).toContain('Next: Send the token request with a DPoP proof')

    await learner.next()
    const afterToken = (await learner.page()).body
    expect(afterToken).toContain('A DPoP-bound access token')
    expect(afterToken).toContain('token_type DPoP')
    expect(afterToken).toContain('The token is bound to the walk\u2019s key')
    // No nonce asked: the retry is passed over, the next stop is the resource call.
    expect(afterToken).toContain('No nonce was asked (the lab runs without DPOP_NONCE): step 3 did not happen.')
    expect(afterToken).toContain('Next: Call the resource with Authorization: DPoP')

    await learner.next()
    expect((await learner.page()).body).toContain('The resource server answered')
    await learner.next()
    const done = (await learner.page()).body
    expect(done).toContain('A new token, bound to the same key')
    expect(done).toContain('id="walk-finished"')
    expect(done).not.toContain('\u2717')

    const flow = await learner.flow()
    expect(flow.walk).toBe('dpop')
    expect(flow.steps.map((s) => s.n)).toEqual([1, 2, 3, 4, 5, 6])
    const at = (n: number) => flow.steps.find((s) => s.n === n)!.entries
    expect(at(1).some((e) => e.role === 'auth-server' && e.url.startsWith('/authorize'))).toBe(true)
    expect(at(1).some((e) => e.role === 'auth-server' && e.url === '/consent' && e.from === 'browser')).toBe(true)
    expect(at(2).some((e) => e.url === '/token' && e.part === 'request')).toBe(true)
    expect(at(3)).toEqual([])
    expect(at(4).some((e) => e.url === '/token' && e.part === 'response' && e.status === 200)).toBe(true)
    expect(at(5).some((e) => e.role === 'resource-server' && e.status === 200)).toBe(true)
    expect(at(6).some((e) => e.url === '/token' && e.status === 200)).toBe(true)
    expect(flow.verdict.outcome).toBe('completed')
    const lines = flow.checks.lines
    expect(lines.length).toBeGreaterThanOrEqual(8)
    expect(lines.filter((l) => !l.ok)).toEqual([])
    const text = lines.map((l) => l.text).join('\n')
    expect(text).toContain('jkt: the token\u2019s cnf.jkt is the thumbprint of the proof\u2019s key')
    expect(text).toContain('ath: the proof carries the SHA-256 hash of the access token')
    expect(text).toMatch(/htm POST and htu http:\/\/[^ ]+\/token name this very request/)
    expect(text).toMatch(/htm GET and htu http:\/\/[^ ]+\/resource name this very request/)
  })

  it('lists the DPoP attacks on the walk page', async () => {
    const page = (await walkBrowser(lab.config.client.publicUrl, 'dpop').page()).body
    for (const attack of ['dpop-token-as-bearer', 'dpop-replayed-proof', 'dpop-proof-for-other-url', 'dpop-other-key'])
      expect(page).toContain(`action="/break/${attack}"`)
  })
})

describe('the DPoP walk-through with DPOP_NONCE on', () => {
  let lab: TestLab
  beforeAll(async () => {
    lab = await startTestLab({ DPOP_NONCE: 'on' })
  })
  afterAll(async () => lab.close())

  it('shows the nonce challenge as its own step, retries with the nonce, and the verdict is completed', async () => {
    const learner = walkBrowser(lab.config.client.publicUrl, 'dpop')
    await learner.start()
    await authorize(lab, learner)
    await learner.next()
    const challenged = (await learner.page()).body
    expect(challenged).toContain('The server asks for its nonce first (use_dpop_nonce)')
    expect(challenged).toContain('Next: Retry the token request with the server\u2019s nonce')
    await learner.next()
    expect((await learner.page()).body).toContain('A DPoP-bound access token')
    await learner.next()
    expect((await learner.page()).body).toContain('The resource server answered')
    await learner.next()
    expect((await learner.page()).body).toContain('A new token, bound to the same key')

    const flow = await learner.flow()
    const at = (n: number) => flow.steps.find((s) => s.n === n)!.entries
    // The challenge: its request in step 2, its 400 answer in step 3; the retry's request in step 3.
    expect(at(2).some((e) => e.url === '/token' && e.part === 'request')).toBe(true)
    expect(at(3).some((e) => e.url === '/token' && e.part === 'response' && e.status === 400)).toBe(true)
    expect(at(3).some((e) => e.url === '/token' && e.part === 'request')).toBe(true)
    expect(at(4).some((e) => e.url === '/token' && e.status === 200)).toBe(true)
    // The resource server asks for its own nonce (RFC 9449 §9): expected too.
    expect(at(5).some((e) => e.role === 'resource-server' && e.status === 401)).toBe(true)
    expect(flow.verdict.outcome).toBe('completed')
    expect(flow.checks.lines.filter((l) => !l.ok)).toEqual([])
  })
})

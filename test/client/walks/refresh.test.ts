// The refresh walk-through (RFC 6749 §6, RFC 9700 §4.14.2) against the real
// servers: the learner's browser authorizes, then the resource, a rotation
// and the resource again; and the refresh-token reuse attack of Break it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hiddenField } from '../../helpers/inject-browser.js'
import { startTestLab, type TestLab } from '../../helpers/lab.js'
import { walkBrowser } from '../../helpers/walk-browser.js'

let lab: TestLab

beforeAll(async () => {
  lab = await startTestLab()
})
afterAll(async () => lab.close())

describe('the refresh walk-through', () => {
  it('authorizes in the browser, rotates the refresh token, and the inspector shows five steps', async () => {
    const learner = walkBrowser(lab.config.client.publicUrl, 'refresh')
    await learner.start()
    const away = await learner.next()
    expect(away.status).toBe(303)
    const authorizeUrl = new URL(away.headers.get('location')!)
    expect(authorizeUrl.pathname).toBe('/authorize')
    expect(authorizeUrl.searchParams.get('code_challenge_method')).toBe('S256')
    const back = await learner.authorize(away)
    expect(back.status).toBe(303)
    expect(back.headers.get('location')).toBe('/walk/refresh')
    expect((await learner.page()).body).toContain('An access token and a refresh token')

    await learner.next() // step 3
    await learner.next() // step 4: rotation
    await learner.next() // step 5
    const done = await learner.page()
    expect(done.body).toContain('A new access token and a new refresh token')
    expect(done.body).toContain('id="walk-finished"')

    const flow = await learner.flow()
    expect(flow.walk).toBe('refresh')
    expect(flow.steps.map((s) => s.n)).toEqual([1, 2, 3, 4, 5])
    // The browser's authorization request and sign-in are in the walk's flow, by their state.
    expect(flow.steps[0]!.entries.some((e) => e.role === 'auth-server' && e.url.startsWith('/authorize'))).toBe(true)
    expect(flow.steps[0]!.entries.some((e) => e.role === 'auth-server' && e.url === '/login')).toBe(true)
    expect(flow.steps[3]!.entries.some((e) => e.role === 'auth-server' && e.url === '/token')).toBe(true)
    expect(flow.steps[4]!.entries.some((e) => e.role === 'resource-server' && e.status === 200)).toBe(true)
    expect(flow.verdict.outcome).toBe('completed')
    expect(flow.checks.lines.map((l) => l.text).join(' ')).toContain('Rotated')
    expect(flow.checks.lines.every((l) => l.ok)).toBe(true)

    // The browser's own steps are the walk's: no second flow of the seven steps was made of them.
    const list = await learner.browser.get(`${lab.config.client.publicUrl}/flow`)
    expect(list.body).not.toContain('Client app redirects resource owner to Authorization server')
  })

  it('refuses a forged callback for the walk (another state) without touching the walk', async () => {
    const learner = walkBrowser(lab.config.client.publicUrl, 'refresh')
    await learner.start()
    await learner.next()
    const forged = await learner.browser.get(
      `${lab.config.client.publicUrl}/authenticated?code=x&state=not-the-walks&iss=${encodeURIComponent(lab.config.auth.publicUrl)}`,
    )
    expect(forged.status).toBe(400)
    expect((await learner.page()).body).toContain('has not come back yet')
  })

  it('refuses an answer of the walk whose iss is another server’s (RFC 9207 §2.4): no token is requested', async () => {
    const learner = walkBrowser(lab.config.client.publicUrl, 'refresh')
    await learner.start()
    const away = await learner.next()
    const state = new URL(away.headers.get('location')!).searchParams.get('state')!
    const tokenRequests = () => lab.exchanges.filter((e) => e.role === 'auth' && e.url === '/token').length
    const before = tokenRequests()
    const back = await learner.browser.get(
      `${lab.config.client.publicUrl}/authenticated?code=stolen&state=${state}&iss=${encodeURIComponent('https://other-as.example')}`,
    )
    expect(back.status).toBe(303)
    const page = await learner.page()
    expect(page.body).toContain('No code to redeem')
    expect(page.body).toContain('iss is &quot;https://other-as.example&quot;, not this lab')
    expect(page.body).toContain('id="walk-finished"')
    expect(tokenRequests()).toBe(before)
  })

  it('Break it: a replayed refresh token is refused and revokes the family', async () => {
    const learner = walkBrowser(lab.config.client.publicUrl, 'refresh')
    const page = await learner.page()
    expect(page.body).toContain('action="/break/refresh-token-reuse"')
    const result = await learner.browser.post(`${lab.config.client.publicUrl}/break/refresh-token-reuse`, {
      _csrf: hiddenField(page.body, '_csrf'),
    })
    expect(result.status).toBe(200)
    expect(result.body).toContain('id="answer-status">400<')
    expect(result.body).toContain('id="answer-error">invalid_grant<')
    expect(result.body).toMatch(/id="aftermath-status">400</)
    const flowId = result.headers.get('x-oauth-lab-flow')!
    const flow = JSON.parse((await learner.browser.get(`${lab.config.client.publicUrl}/flow/${flowId}.json`)).body) as {
      verdict: { outcome: string; text: string }
    }
    expect(flow.verdict.outcome).toBe('stopped')
    expect(flow.verdict.text).toContain('refresh token rotation')
    expect(flow.verdict.text).toContain('RFC 9700 §4.14.2')
  })
})

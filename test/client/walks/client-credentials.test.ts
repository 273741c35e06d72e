// The client-credentials walk-through (RFC 6749 §4.4) against the real
// servers: two Nexts, then the inspector shows the walk's three steps.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestLab, type TestLab } from '../../helpers/lab.js'
import { walkBrowser } from '../../helpers/walk-browser.js'

let lab: TestLab

beforeAll(async () => {
  lab = await startTestLab()
})
afterAll(async () => lab.close())

describe('the client-credentials walk-through', () => {
  it('lists the walk and shows its steps before it starts', async () => {
    const learner = walkBrowser(lab.config.client.publicUrl, 'client-credentials')
    const index = await learner.browser.get(`${lab.config.client.publicUrl}/walk`)
    expect(index.status).toBe(200)
    expect(index.body).toContain('href="/walk/client-credentials"')
    const page = await learner.page()
    expect(page.status).toBe(200)
    expect(page.body).toContain('Step 1: The client authenticates at the token endpoint')
    expect(page.body).not.toContain('id="walk-next"')
  })

  it('runs the token request and the resource call, one Next each, and the inspector shows its own steps', async () => {
    const learner = walkBrowser(lab.config.client.publicUrl, 'client-credentials')
    const started = await learner.start()
    expect(started.status).toBe(303)
    expect(learner.flowId).toMatch(/^w_client-credentials_/)
    expect((await learner.page()).body).toContain('Next: Send the token request')

    expect((await learner.next()).status).toBe(303)
    const afterToken = await learner.page()
    expect(afterToken.body).toContain('An access token for the client itself')
    expect(afterToken.body).toContain('No refresh_token (RFC 6749 §4.4.3).')

    await learner.next()
    const done = await learner.page()
    expect(done.body).toContain('The resource server answered')
    expect(done.body).toContain(`Hello ${lab.config.client.clientId}`)
    expect(done.body).toContain('id="walk-finished"')

    const flow = await learner.flow()
    expect(flow.walk).toBe('client-credentials')
    expect(flow.steps.map((s) => s.n)).toEqual([1, 2, 3])
    const step1 = flow.steps[0]!.entries
    expect(step1.some((e) => e.role === 'auth-server' && e.part === 'request' && e.url === '/token')).toBe(true)
    const step3 = flow.steps[2]!.entries
    expect(step3.some((e) => e.role === 'resource-server' && e.status === 200)).toBe(true)
    expect(flow.verdict.outcome).toBe('completed')
    expect(flow.checks.lines.every((line) => line.ok)).toBe(true)
    expect(flow.checks.lines.map((l) => l.text).join(' ')).toContain('sub is the client itself')
    const inspector = await learner.browser.get(`${lab.config.client.publicUrl}/flow/${learner.flowId!}`)
    expect(inspector.status).toBe(200)
    expect(inspector.body).toContain('The client calls the resource server with the token')
    expect(inspector.body).not.toContain('Client app redirects resource owner to Authorization server')
  })

  it('shows another browser nothing of the walk', async () => {
    const learner = walkBrowser(lab.config.client.publicUrl, 'client-credentials')
    await learner.start()
    await learner.next()
    const other = walkBrowser(lab.config.client.publicUrl, 'client-credentials')
    await other.start()
    const peek = await other.browser.get(`${lab.config.client.publicUrl}/flow/${learner.flowId!}.json`)
    expect(peek.status).toBe(404)
  })

  it('answers an unknown walk with 404 and a Next before Start with the page', async () => {
    const learner = walkBrowser(lab.config.client.publicUrl, 'client-credentials')
    expect((await learner.browser.get(`${lab.config.client.publicUrl}/walk/no-such-walk`)).status).toBe(404)
    const early = await learner.next()
    expect(early.status).toBe(303)
    expect(early.headers.get('location')).toBe('/walk/client-credentials')
  })

  /** No token, and one that is not the page's. */
  const FORGED: Array<Record<string, string>> = [{}, { _csrf: 'wrong' }]

  it('refuses Start and Next without the page\u2019s CSRF token (403), and the walk does not move', async () => {
    const learner = walkBrowser(lab.config.client.publicUrl, 'client-credentials')
    const pageUrl = `${lab.config.client.publicUrl}/walk/client-credentials`
    await learner.page()
    for (const form of FORGED) {
      expect((await learner.browser.post(`${pageUrl}/start`, form)).status).toBe(403)
    }
    expect((await learner.page()).body).not.toContain('id="walk-next"')
    expect((await learner.start()).status).toBe(303)
    for (const form of FORGED) {
      expect((await learner.browser.post(`${pageUrl}/next`, form)).status).toBe(403)
    }
    // Still before the first Next: nothing was sent.
    expect((await learner.page()).body).toContain('Next: Send the token request')
  })
})

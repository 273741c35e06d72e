// The device walk-through (RFC 8628) against the real servers: the client app
// plays the device (device authorization, the TV screen, polls), a second
// browser (or this one's other tab) approves on the verification page, and
// the inspector shows the walk's seven steps with the second screen joined by
// the user code.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestLab, type TestLab } from '../../helpers/lab.js'
import { hiddenField } from '../../helpers/inject-browser.js'
import { httpBrowser } from '../../helpers/http-browser.js'
import { walkBrowser } from '../../helpers/walk-browser.js'

let lab: TestLab

beforeAll(async () => {
  // A 1 s interval keeps the waits between polls short; the rule is the same.
  lab = await startTestLab({ DEVICE_POLL_INTERVAL_SECONDS: '1' })
})
afterAll(async () => lab.close())

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

type Browser = ReturnType<typeof httpBrowser>

/** The second screen: the verification page with the code filled in, sign-in, Allow. */
async function approve(browser: Browser, verificationUriComplete: string, decision = 'allow'): Promise<string> {
  const page = await browser.get(verificationUriComplete)
  expect(page.status).toBe(200)
  const code = new URL(verificationUriComplete).searchParams.get('user_code')!
  // RFC 8628 §6.1: case and dashes do not matter.
  const login = await browser.post(`${lab.config.auth.publicUrl}/device`, {
    _csrf: hiddenField(page.body, '_csrf'),
    user_code: code.toLowerCase().replace('-', ''),
  })
  expect(login.status).toBe(200)
  let consent = login
  if (login.body.includes('action="/login"')) {
    const signedIn = await browser.post(`${lab.config.auth.publicUrl}/login`, {
      _csrf: hiddenField(login.body, '_csrf'),
      interaction: hiddenField(login.body, 'interaction'),
      username: 'alice',
      password: 'alice-password',
    })
    expect(signedIn.status).toBe(303)
    consent = await browser.get(browser.location(signedIn))
  }
  expect(consent.body).toContain(code)
  const done = await browser.post(`${lab.config.auth.publicUrl}/consent`, {
    _csrf: hiddenField(consent.body, '_csrf'),
    interaction: hiddenField(consent.body, 'interaction'),
    decision,
  })
  expect(done.status).toBe(200)
  return done.body
}

/** The TV screen's verification_uri_complete (the QR code's URL). */
function completeUri(tvBody: string): string {
  const match = /id="tv-verification-uri-complete"[^>]*>([^<]+)</.exec(tvBody)
  if (!match) throw new Error('no verification_uri_complete on the TV screen')
  return match[1]!.replace(/&amp;/g, '&')
}

describe('the device walk-through', () => {
  it('asks for a device code, shows the TV screen with a QR code, polls (authorization_pending), and ends with the token and the resource', async () => {
    const learner = walkBrowser(lab.config.client.publicUrl, 'device')
    await learner.start()
    expect(learner.flowId).toMatch(/^w_device_/)
    const empty = await learner.browser.get(`${lab.config.client.publicUrl}/walk/device/tv`)
    expect(empty.status).toBe(200)
    expect(empty.body).toContain('No code yet')

    await learner.next()
    const afterCode = await learner.page()
    expect(afterCode.body).toContain('A device code and a user code')
    expect(afterCode.body).toMatch(/user_code [BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}/)

    await learner.next()
    const afterTv = await learner.page()
    expect(afterTv.body).toContain('href="/walk/device/tv"')
    const tv = await learner.browser.get(`${lab.config.client.publicUrl}/walk/device/tv`)
    expect(tv.status).toBe(200)
    expect(tv.body).toContain('id="tv-user-code"')
    expect(tv.body).toMatch(/<img class="tv-qr" id="tv-qr" src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+"/)
    expect(tv.body).toMatch(/The code expires in <span id="tv-remaining">(59\d|600)<\/span> s/)
    const complete = completeUri(tv.body)
    expect(complete).toMatch(new RegExp(`^${lab.config.auth.publicUrl}/device\\?user_code=`))

    // Before the user decides: authorization_pending, the expected answer (the walk stays at its poll).
    await learner.next()
    const pending = await learner.page()
    expect(pending.body).toContain('Poll 1: authorization_pending (expected: not decided yet)')
    expect(pending.body).toContain('Next: Poll the token endpoint')

    // The second screen is another tab of this browser: the inspector may show it.
    expect(await approve(learner.browser, complete)).toContain('You can return to your device')
    await sleep(1100)
    await learner.next()
    const approved = await learner.page()
    expect(approved.body).toContain('Approved: the token endpoint issued the tokens')
    await learner.finish()

    const { flow, at } = await learner.sevenSteps()
    expect(at(1).some((e) => e.url === '/device_authorization' && e.part === 'request')).toBe(true)
    expect(at(2).some((e) => e.url === '/device_authorization' && e.status === 200)).toBe(true)
    // Joined by the user code: the verification page, then sign-in and consent, from the browser.
    expect(at(3).some((e) => e.url.startsWith('/device?user_code=') && e.from === 'browser')).toBe(true)
    expect(at(4).some((e) => e.url === '/login' && e.method === 'POST')).toBe(true)
    expect(at(4).some((e) => e.url === '/consent' && e.method === 'POST')).toBe(true)
    expect(at(5).some((e) => e.url === '/token' && e.status === 400)).toBe(true)
    expect(at(6).some((e) => e.url === '/token' && e.status === 200)).toBe(true)
    expect(at(7).some((e) => e.role === 'resource-server' && e.status === 200)).toBe(true)
    // authorization_pending is expected: not a refusal.
    expect(flow.verdict.outcome).toBe('completed')
    expect(flow.verdict.text).toContain('Completed')
    const lines = flow.checks.lines.map((l) => l.text).join('\n')
    expect(lines).toContain('answered authorization_pending: expected while you decide (RFC 8628 §3.5)')
    expect(lines).toContain('eight consonants')
    expect(lines).toContain('sub alice')
    expect(flow.checks.lines.every((l) => l.ok)).toBe(true)
  })

  it('polls from the TV screen; polling sooner than the interval is slow_down, and the interval grows by 5 s', async () => {
    const learner = walkBrowser(lab.config.client.publicUrl, 'device')
    await learner.start()
    await learner.next()
    await learner.next()
    const tv = await learner.browser.get(`${lab.config.client.publicUrl}/walk/device/tv`)
    const csrf = hiddenField(tv.body, '_csrf')
    const first = await fetch(`${lab.config.client.publicUrl}/walk/device/tv/poll`, {
      method: 'POST',
      headers: {
        accept: 'application/json',
        'content-type': 'application/x-www-form-urlencoded',
        cookie: learner.browser.cookieFor(lab.config.client.publicUrl) ?? '',
      },
      body: new URLSearchParams({ _csrf: csrf }).toString(),
    })
    expect(first.status).toBe(200)
    expect(await first.json()).toEqual({
      status: 'Poll 1: authorization_pending (expected: not decided yet)',
      interval: 1,
      polling: true,
    })
    // At once again: sooner than the 1 s interval.
    const second = await learner.browser.post(`${lab.config.client.publicUrl}/walk/device/tv/poll`, { _csrf: csrf })
    expect(second.status).toBe(303)
    expect(second.headers.get('location')).toBe('/walk/device/tv')
    const after = await learner.browser.get(`${lab.config.client.publicUrl}/walk/device/tv`)
    expect(after.body).toContain('Poll 2: slow_down (too fast)')
    expect(after.body).toContain('every <span id="tv-interval">6</span> s')
    const flow = await learner.flow()
    const polls = flow.steps[4]!.entries.filter((e) => e.url === '/token')
    expect(polls.map((e) => e.status)).toEqual([400, 400])
    expect(flow.verdict.outcome).toBe('stopped')
    expect(flow.verdict.text).toContain('slow_down')
    expect(flow.checks.lines.some((l) => !l.ok && l.text.includes('interval grew by 5 s'))).toBe(true)
  })

  it('approved on another browser (a phone): the walk completes, and the learner does not see what the phone sent', async () => {
    const learner = walkBrowser(lab.config.client.publicUrl, 'device')
    await learner.start()
    await learner.next()
    await learner.next()
    const tv = await learner.browser.get(`${lab.config.client.publicUrl}/walk/device/tv`)
    const phone = httpBrowser()
    await approve(phone, completeUri(tv.body))
    await learner.next()
    expect((await learner.page()).body).toContain('Approved: the token endpoint issued the tokens')
    const flow = await learner.flow()
    expect(flow.steps[3]!.entries).toEqual([])
    expect(flow.verdict.outcome).toBe('unfinished')
  })

  it('ends the walk when the user denies: access_denied', async () => {
    const learner = walkBrowser(lab.config.client.publicUrl, 'device')
    await learner.start()
    await learner.next()
    await learner.next()
    const tv = await learner.browser.get(`${lab.config.client.publicUrl}/walk/device/tv`)
    expect(await approve(learner.browser, completeUri(tv.body), 'deny')).toContain('Access denied')
    await learner.next()
    const page = await learner.page()
    expect(page.body).toContain('You denied the device')
    expect(page.body).toContain('400 access_denied')
    expect(page.body).toContain('id="walk-finished"')
  })
})

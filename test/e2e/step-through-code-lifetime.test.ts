// Step-through mode's long-lived code, over real HTTP between the three
// servers: a teacher may talk for five minutes between step 4 and step 5 and
// the held code is still redeemed, while a normal flow's code expires after
// the lab's usual 60 s. The lab's clock moves time on; nothing sleeps.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLab, type Lab } from '../../src/index.js'
import { httpBrowser } from '../helpers/http-browser.js'
import { at } from '../helpers/lists.js'

let lab: Lab

beforeAll(async () => {
  // Signed in as alice and consented: the authorization server answers /authorize with the code at once.
  lab = await startLab({ loginAs: 'alice' })
})
afterAll(() => lab.close())

function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html)
  if (!match) throw new Error('no CSRF field on the page')
  return at(match, 1)
}

type Browser = ReturnType<typeof httpBrowser>

async function browserWithStepThrough(on: boolean): Promise<Browser> {
  const b = httpBrowser()
  const settings = await b.get(`${lab.urls.client}/settings/step-through`)
  const saved = await b.post(`${lab.urls.client}/settings/step-through`, {
    _csrf: csrfOf(settings.body),
    ...(on ? { stepThrough: 'on' } : {}),
  })
  expect(saved.status).toBe(303)
  return b
}

/** Steps 1 to 4 up to the callback URL the authorization server redirects the browser to (not yet opened). */
async function toCallback(b: Browser, stepThrough: boolean): Promise<string> {
  let res = await b.get(`${lab.urls.client}/connect`)
  if (stepThrough) {
    expect(res.status).toBe(200)
    res = await b.get(`${lab.urls.client}/connect/send`)
  }
  expect(res.status).toBe(302)
  const authorize = await b.get(b.location(res))
  expect(authorize.status).toBe(302)
  const callback = b.location(authorize)
  expect(new URL(callback).searchParams.get('code')).toBeTruthy()
  return callback
}

describe('step-through mode and the code lifetime', () => {
  it('a step-through code is still redeemed five minutes after it was issued', async () => {
    const b = await browserWithStepThrough(true)
    const held = await b.get(await toCallback(b, true))
    expect(held.status).toBe(200)
    expect(held.body).toContain('About to send step 5')
    expect(held.body).toContain('600 s after it was issued')
    lab.clock.advance(5 * 60_000)
    try {
      const sent = await b.post(`${lab.urls.client}/authenticated/send`, { _csrf: csrfOf(held.body) })
      expect(sent.status).toBe(200)
      expect(sent.body).toContain('Access token received')
    } finally {
      lab.clock.advance(-5 * 60_000)
    }
  })

  it('a step-through code still expires after 10 minutes', async () => {
    const b = await browserWithStepThrough(true)
    const held = await b.get(await toCallback(b, true))
    lab.clock.advance(601_000)
    try {
      const sent = await b.post(`${lab.urls.client}/authenticated/send`, { _csrf: csrfOf(held.body) })
      expect(sent.status).toBe(400)
      expect(sent.body).toContain('invalid_grant')
    } finally {
      lab.clock.advance(-601_000)
    }
  })

  it('a normal flow’s code is refused once its 60 s are over', async () => {
    const b = await browserWithStepThrough(false)
    const callback = await toCallback(b, false)
    expect(new URL(callback).searchParams.has('lab_code_lifetime')).toBe(false)
    lab.clock.advance(61_000)
    try {
      const res = await b.get(callback)
      expect(res.status).toBe(400)
      expect(res.body).toContain('Token request refused')
      expect(res.body).toContain('invalid_grant')
    } finally {
      lab.clock.advance(-61_000)
    }
  })

  it('a normal flow’s code is redeemed within its 60 s', async () => {
    const b = await browserWithStepThrough(false)
    const callback = await toCallback(b, false)
    lab.clock.advance(59_000)
    try {
      const res = await b.get(callback)
      expect(res.status).toBe(200)
      expect(res.body).toContain('Access token received')
    } finally {
      lab.clock.advance(-59_000)
    }
  })
})

// Workshop mode's join routes on the client app, over real HTTP with the
// three servers: GET /join's form, POST /join's CSRF check and name rules
// (trimmed, 1-40 printable characters, escaped where shown), the lab user it
// provisions on the authorization server, and the room's cap. Outside
// workshop mode there is no /join.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_LEARNERS } from '../../../src/auth-server/lab/learners-route.js'
import { httpBrowser } from '../../helpers/http-browser.js'
import { hiddenField } from '../../helpers/inject-browser.js'
import { startTestLab, type TestLab } from '../../helpers/lab.js'

let lab: TestLab
let base: string

beforeAll(async () => {
  lab = await startTestLab({ WORKSHOP: 'on' })
  base = lab.config.client.publicUrl
})
afterAll(() => lab.close())

type Browser = ReturnType<typeof httpBrowser>

async function join(browser: Browser, name: string) {
  const form = await browser.get(`${base}/join`)
  expect(form.status).toBe(200)
  return browser.post(`${base}/join`, { _csrf: hiddenField(form.body, '_csrf'), name })
}

const codeOf = (html: string, id: string) => new RegExp(`id="${id}">([^<]+)<`).exec(html)?.[1]

describe('GET /join and POST /join', () => {
  it('asks a new browser to join from the home page', async () => {
    const home = await httpBrowser().get(`${base}/`)
    expect(home.body).toContain('href="/join"')
    const form = await httpBrowser().get(`${base}/join`)
    expect(form.body).toContain('<button type="submit">Join</button>')
    expect(form.body).toContain('name="_csrf"')
  })

  it('provisions a lab user of the learner\u2019s own, shown on the join and home pages', async () => {
    const browser = httpBrowser()
    const joined = await join(browser, '  Ada Lovelace  ')
    expect(joined.status).toBe(200)
    expect(joined.headers.get('cache-control')).toBe('no-store')
    const username = codeOf(joined.body, 'learner-username')
    const password = codeOf(joined.body, 'learner-password')
    expect(username).toMatch(/^ada-lovelace-\d{2}$/)
    expect(password).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/)
    // The authorization server has that user, with that password.
    expect(lab.auth.oauthLab.users.byUsername(username!)?.password).toBe(password)
    // The browser now has the inspector's id, and the pages remember the learner.
    expect(browser.cookie(base, 'oauth_lab_browser')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const again = await browser.get(`${base}/join`)
    expect(codeOf(again.body, 'learner-username')).toBe(username)
    const home = await browser.get(`${base}/`)
    expect(home.body).toContain('You joined as <strong>Ada Lovelace</strong>')
    expect(home.body).toContain(`<code>${username}</code>`)
    // Joining twice from one browser (a second tab's form) makes no second user.
    const count = lab.auth.oauthLab.users.all().length
    const other = httpBrowser()
    const form = await other.get(`${base}/join`)
    const first = await other.post(`${base}/join`, { _csrf: hiddenField(form.body, '_csrf'), name: 'Grace' })
    const second = await other.post(`${base}/join`, { _csrf: hiddenField(form.body, '_csrf'), name: 'Grace again' })
    expect(second.status).toBe(200)
    expect(codeOf(second.body, 'learner-username')).toBe(codeOf(first.body, 'learner-username'))
    expect(lab.auth.oauthLab.users.all().length).toBe(count + 1)
  })

  it('escapes the name wherever it is shown', async () => {
    const browser = httpBrowser()
    const joined = await join(browser, '<img src=x onerror=alert(1)>')
    expect(joined.status).toBe(200)
    expect(joined.body).not.toContain('<img src=x')
    expect(joined.body).toContain('&lt;img src=x onerror=alert(1)&gt;')
    const home = await browser.get(`${base}/`)
    expect(home.body).not.toContain('<img src=x')
  })

  it('refuses a POST without the form\u2019s CSRF token (403), and makes no user', async () => {
    const count = lab.auth.oauthLab.users.all().length
    const browser = httpBrowser()
    await browser.get(`${base}/join`)
    expect((await browser.post(`${base}/join`, { name: 'Mallory' })).status).toBe(403)
    expect((await browser.post(`${base}/join`, { _csrf: 'forged', name: 'Mallory' })).status).toBe(403)
    expect((await httpBrowser().post(`${base}/join`, { name: 'Mallory' })).status).toBe(403)
    expect(lab.auth.oauthLab.users.all().length).toBe(count)
  })

  it('refuses an empty, too long or unprintable name (400, the form again with why)', async () => {
    const count = lab.auth.oauthLab.users.all().length
    for (const name of ['', '   ', 'x'.repeat(41), 'Ada\u0000', 'Ada\nLovelace', 'tab\there']) {
      const res = await join(httpBrowser(), name)
      expect([name, res.status]).toEqual([name, 400])
      expect(res.body).toContain('role="alert"')
      expect(res.body).toContain('name="_csrf"')
    }
    // 40 characters (not bytes) is fine.
    expect((await join(httpBrowser(), 'é'.repeat(40))).status).toBe(200)
    expect(lab.auth.oauthLab.users.all().length).toBe(count + 1)
  })
})

describe('the room\u2019s cap', () => {
  it(`stops at ${MAX_LEARNERS} learners with a 409 that says so`, async () => {
    const capped = await startTestLab({ WORKSHOP: 'on' })
    try {
      const url = capped.config.client.publicUrl
      // Fill the authorization server's room over its own route (quicker than a browser each).
      for (let i = 0; i < MAX_LEARNERS; i++) {
        const res = await fetch(`${capped.config.auth.internalUrl}/_lab/learners`, {
          method: 'POST',
          headers: { authorization: `Bearer ${capped.config.labKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: `learner ${i}` }),
        })
        expect(res.status).toBe(201)
      }
      const browser = httpBrowser()
      const form = await browser.get(`${url}/join`)
      const res = await browser.post(`${url}/join`, { _csrf: hiddenField(form.body, '_csrf'), name: 'Late' })
      expect(res.status).toBe(409)
      expect(res.body).toContain('full')
      expect(res.body).not.toContain('learner-password')
    } finally {
      await capped.close()
    }
  })
})

describe('outside workshop mode', () => {
  it('has no /join, no /teacher and no join link', async () => {
    const plain = await startTestLab()
    try {
      const url = plain.config.client.publicUrl
      const browser = httpBrowser()
      expect((await browser.get(`${url}/join`)).status).toBe(404)
      expect((await browser.post(`${url}/join`, { name: 'Ada' })).status).toBe(404)
      expect((await browser.get(`${url}/teacher`)).status).toBe(404)
      expect((await browser.get(`${url}/`)).body).not.toContain('href="/join"')
    } finally {
      await plain.close()
    }
  })
})

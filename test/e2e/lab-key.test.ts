// The lab's powers over real HTTP, on a real lab: every /_lab/* route of the
// three servers opens to the lab key only (a script's Bearer header or a
// browser's cookie), and a token minted with it opens the resource.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LAB_KEY_COOKIE } from '../../src/shared/lab-key.js'
import { startLab, type Lab } from '../../src/index.js'
import { httpBrowser } from '../helpers/http-browser.js'

let lab: Lab

beforeAll(async () => {
  // admin: true serves /_lab/scenarios too, so every lab route is here.
  lab = await startLab({ admin: true })
})
afterAll(() => lab.close())

interface LabRoute {
  readonly server: keyof Lab['urls']
  readonly method: 'GET' | 'POST'
  readonly path: string
  /** A JSON body the route accepts (POST only). */
  readonly body?: Record<string, unknown>
  /** What the route reveals to the key holder, never to anyone else. */
  readonly reveals: string
}

const ROUTES: readonly LabRoute[] = [
  { server: 'auth', method: 'GET', path: '/_lab/exchanges', reveals: '"exchanges"' },
  { server: 'resource', method: 'GET', path: '/_lab/exchanges', reveals: '"exchanges"' },
  { server: 'client', method: 'GET', path: '/_lab/exchanges', reveals: '"exchanges"' },
  { server: 'auth', method: 'GET', path: '/_lab/scenarios', reveals: '"keys"' },
  { server: 'auth', method: 'POST', path: '/_lab/scenarios', body: { type: 'clear' }, reveals: '"keys"' },
  {
    server: 'auth',
    method: 'POST',
    path: '/_lab/tokens',
    body: { sub: 'alice', client_id: 'oauth-client-1', scope: 'foo' },
    reveals: 'access_token',
  },
]

const name = (r: LabRoute) => `${r.method} ${r.server} ${r.path}`

function call(route: LabRoute, headers: Record<string, string> = {}, query = '') {
  const json: Record<string, string> = route.method === 'POST' ? { 'content-type': 'application/json' } : {}
  return fetch(`${lab.urls[route.server]}${route.path}${query}`, {
    method: route.method,
    headers: { accept: 'application/json', ...json, ...headers },
    ...(route.body === undefined ? {} : { body: JSON.stringify(route.body) }),
    redirect: 'manual',
  })
}

async function expectRefused(res: Response, route: LabRoute): Promise<void> {
  const body = await res.text()
  expect(res.status, name(route)).toBe(401)
  expect(res.headers.get('www-authenticate'), name(route)).toBe('Bearer realm="oauth-lab"')
  expect(res.headers.get('set-cookie'), name(route)).toBeNull()
  expect(JSON.parse(body), name(route)).toMatchObject({ error: 'lab_key_required' })
  expect(body, name(route)).not.toContain(route.reveals)
}

const bearer = () => ({ authorization: `Bearer ${lab.labKey}` })

describe.each(ROUTES)('$method $server $path', (route) => {
  it('without the key: 401, a Bearer challenge, nothing revealed', async () => {
    await expectRefused(await call(route), route)
  })

  it('with a wrong key, in the header or the cookie: 401', async () => {
    await expectRefused(await call(route, { authorization: `Bearer ${lab.labKey}x` }), route)
    await expectRefused(await call(route, { authorization: `Bearer ${'A'.repeat(43)}` }), route)
    await expectRefused(await call(route, { cookie: `${LAB_KEY_COOKIE}=${'A'.repeat(43)}` }), route)
  })

  it('with Authorization: Bearer <lab key>: 200 and the answer', async () => {
    const res = await call(route, bearer())
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(await res.text()).toContain(route.reveals)
  })

  if (route.method === 'POST') {
    it('with the key in the query string of a POST: 401, and no cookie', async () => {
      await expectRefused(await call(route, {}, `?lab_key=${lab.labKey}`), route)
    })

    it('with a form body (what a cross-site page can send blindly): 401', async () => {
      const res = await fetch(`${lab.urls[route.server]}${route.path}`, {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(route.body as Record<string, string>).toString(),
      })
      await expectRefused(res, route)
    })
  } else {
    it('a browser: "Lab key needed" without it; ?lab_key= once sets the cookie, which alone then opens it', async () => {
      const url = `${lab.urls[route.server]}${route.path}`
      const browser = httpBrowser()
      const needed = await browser.get(url)
      expect(needed.status).toBe(401)
      expect(needed.headers.get('content-type')).toMatch(/^text\/html/)
      expect(needed.body).toContain('Lab key needed')
      expect(needed.body).not.toContain(route.reveals)

      const wrong = await browser.get(`${url}?lab_key=${'A'.repeat(43)}`)
      expect(wrong.status).toBe(401)
      expect(browser.cookie(url, LAB_KEY_COOKIE)).toBeUndefined()

      const keyed = await browser.get(`${url}?lab_key=${lab.labKey}`)
      expect(keyed.status).toBe(303)
      expect(browser.location(keyed)).toBe(url)
      expect(keyed.headers.get('set-cookie')).toMatch(/; HttpOnly; SameSite=Strict$/)
      expect(browser.cookie(url, LAB_KEY_COOKIE)).toBe(lab.labKey)

      // The cookie alone, no header: the browser's accept is text/html, the answer the route's own.
      const opened = await browser.get(url)
      expect(opened.status).toBe(200)
      expect(opened.body).toContain(route.reveals)
    })
  }
})

describe('POST /_lab/tokens with the key', () => {
  const mint = (body: Record<string, unknown>, contentType = 'application/json') =>
    fetch(`${lab.urls.auth}/_lab/tokens`, {
      method: 'POST',
      headers: { ...bearer(), 'content-type': contentType },
      body:
        contentType === 'application/json'
          ? JSON.stringify(body)
          : new URLSearchParams(body as Record<string, string>).toString(),
    })
  const resource = (token: string) =>
    fetch(`${lab.urls.resource}/resource`, { headers: { authorization: `Bearer ${token}` } })

  it('mints a token that opens /resource', async () => {
    const res = await mint({ sub: 'alice', client_id: 'oauth-client-1', scope: 'foo' })
    expect(res.status).toBe(200)
    const { access_token: token } = (await res.json()) as { access_token: string }
    const answer = await resource(token)
    expect(answer.status).toBe(200)
    expect(await answer.json()).toMatchObject({ sub: 'alice', client_id: 'oauth-client-1' })
  })

  it('refuses a form body with 415, even with the key', async () => {
    const res = await mint({ sub: 'alice', client_id: 'oauth-client-1' }, 'application/x-www-form-urlencoded')
    expect(res.status).toBe(415)
    expect(await res.text()).not.toContain('access_token')
  })

  it('refuses a subject no user has, unless allow_unknown_sub', async () => {
    const refused = await mint({ sub: 'eve', client_id: 'oauth-client-1', scope: 'foo' })
    expect(refused.status).toBe(400)
    expect(await refused.json()).toMatchObject({ error: 'invalid_request' })
    const allowed = await mint({ sub: 'eve', client_id: 'oauth-client-1', scope: 'foo', allow_unknown_sub: true })
    expect(allowed.status).toBe(200)
  })

  it('refuses scope "foo admin superuser": 400 invalid_scope, and no token to try on the resource', async () => {
    const res = await mint({ sub: 'alice', client_id: 'oauth-client-1', scope: 'foo admin superuser' })
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ error: 'invalid_scope' })
  })
})

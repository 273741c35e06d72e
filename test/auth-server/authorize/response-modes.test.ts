// response_mode (OAuth 2.0 Multiple Response Type Encoding Practices §2.1 and
// Form Post Response Mode §2): query, fragment and form_post, for a code and
// for an error, and the form_post page under the lab's CSP.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { LabConfig } from '../../../src/shared/config.js'
import { authorizeQuery, obtainCode, testAuthServer } from '../../helpers/auth-server.js'
import { hiddenField, injectBrowser, locationParams, type InjectBrowser } from '../../helpers/inject-browser.js'

let app: FastifyInstance
let config: LabConfig
const REDIRECT = 'http://localhost:3000/authenticated'
const ISSUER = 'http://localhost:9001'

beforeAll(async () => {
  ;({ app, config } = await testAuthServer())
})
afterAll(() => app.close())

/** Signs in and stops on the consent page. */
async function consentPage(query: Record<string, string>): Promise<{ browser: InjectBrowser; page: string }> {
  const browser = injectBrowser(app)
  const login = await browser.get(`/authorize?${authorizeQuery(config, query)}`)
  const signedIn = await browser.postForm('/login', {
    _csrf: hiddenField(login.body, '_csrf'),
    interaction: hiddenField(login.body, 'interaction'),
    username: 'alice',
    password: 'alice-password',
  })
  const page = await browser.get(signedIn.headers.location as string)
  expect(page.body).toContain('name="decision"')
  return { browser, page: page.body }
}

async function decide(query: Record<string, string>, decision: 'allow' | 'deny'): Promise<LightMyRequestResponse> {
  const { browser, page } = await consentPage(query)
  return browser.postForm('/consent', {
    _csrf: hiddenField(page, '_csrf'),
    interaction: hiddenField(page, 'interaction'),
    decision,
  })
}

function fragmentParams(res: LightMyRequestResponse): URLSearchParams {
  const location = new URL(res.headers.location as string)
  expect(`${location.origin}${location.pathname}`).toBe(REDIRECT)
  expect(location.search).toBe('')
  return new URLSearchParams(location.hash.slice(1))
}

/** The hidden fields of the form_post page, in order. */
function formFields(html: string): Array<[string, string]> {
  return [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
    m[1]!,
    m[2]!.replace(/&amp;/g, '&'),
  ])
}

function expectFormPostPage(res: LightMyRequestResponse): Array<[string, string]> {
  expect(res.statusCode).toBe(200)
  expect(res.headers.location).toBeUndefined()
  expect(res.headers['content-type']).toMatch(/^text\/html/)
  expect(res.headers['cache-control']).toBe('no-store')
  expect(res.headers['referrer-policy']).toBe('no-referrer')
  expect(res.headers['content-security-policy']).toContain("script-src 'self'")
  expect(res.body).toContain(`<form method="post" action="${REDIRECT}" id="form-post-response">`)
  expect(res.body).toMatch(/<button type="submit">Continue<\/button>/)
  // No inline script: the only script is the lab's own file.
  expect([...res.body.matchAll(/<script\b[^>]*>/g)].map((m) => m[0])).toEqual(['<script src="/assets/form-post.js">'])
  expect(res.body).toContain('<script src="/assets/form-post.js"></script>')
  return formFields(res.body)
}

describe('response_mode=query (the default for code)', () => {
  it('Allow: the code in the query', async () => {
    const res = await decide({ response_mode: 'query' }, 'allow')
    expect(res.statusCode).toBe(303)
    expect((res.headers.location as string).startsWith(`${REDIRECT}?code=`)).toBe(true)
    expect(locationParams(res).get('iss')).toBe(ISSUER)
  })

  it('Deny: access_denied in the query', async () => {
    const res = await decide({ response_mode: 'query' }, 'deny')
    expect(res.statusCode).toBe(303)
    expect(locationParams(res).get('error')).toBe('access_denied')
    expect(locationParams(res).get('state')).toBe('state-123')
  })
})

describe('response_mode=fragment', () => {
  it('Allow: code, state and iss after #, none in the query', async () => {
    const res = await decide({ response_mode: 'fragment' }, 'allow')
    expect(res.statusCode).toBe(303)
    expect(res.headers['cache-control']).toBe('no-store')
    const params = fragmentParams(res)
    expect(params.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(params.get('state')).toBe('state-123')
    expect(params.get('iss')).toBe(ISSUER)
  })

  it('Deny: access_denied after #', async () => {
    const params = fragmentParams(await decide({ response_mode: 'fragment' }, 'deny'))
    expect(params.get('error')).toBe('access_denied')
    expect(params.get('error_description')).toMatch(/\w/)
    expect(params.get('state')).toBe('state-123')
    expect(params.get('iss')).toBe(ISSUER)
    expect(params.get('code')).toBeNull()
  })

  it('an error found at once (unsupported_response_type) goes after # too', async () => {
    const url = `/authorize?${authorizeQuery(config, { response_mode: 'fragment', response_type: 'token' })}`
    const res = await app.inject({ method: 'GET', url })
    expect(res.statusCode).toBe(302)
    expect(fragmentParams(res).get('error')).toBe('unsupported_response_type')
  })

  it('a remembered decision: 302 with the code after #', async () => {
    const { app: fresh, config: cfg } = await testAuthServer()
    const { browser } = await obtainCode(fresh, cfg)
    const again = await browser.get(`/authorize?${authorizeQuery(cfg, { response_mode: 'fragment' })}`)
    expect(again.statusCode).toBe(302)
    expect(fragmentParams(again).get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    await fresh.close()
  })
})

describe('response_mode=form_post', () => {
  it('Allow: a page that posts code, state and iss to the redirect URI', async () => {
    const fields = expectFormPostPage(await decide({ response_mode: 'form_post' }, 'allow'))
    expect(fields.map(([name]) => name)).toEqual(['code', 'state', 'iss'])
    expect(fields[0]![1]).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(fields.slice(1)).toEqual([
      ['state', 'state-123'],
      ['iss', ISSUER],
    ])
  })

  it('Deny: a page that posts the error parameters', async () => {
    const fields = expectFormPostPage(await decide({ response_mode: 'form_post' }, 'deny'))
    expect(fields.map(([name]) => name)).toEqual(['error', 'error_description', 'state', 'iss'])
    expect(fields[0]).toEqual(['error', 'access_denied'])
  })

  it('escapes the state it echoes', async () => {
    const state = '"><script>alert(1)</script>&x'
    const res = await decide({ response_mode: 'form_post', state }, 'allow')
    expect(res.body).not.toContain('<script>alert(1)')
    expect(new Map(expectFormPostPage(res)).get('state')).toBe('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&x')
  })

  it('an error found at once is a form_post page too', async () => {
    const url = `/authorize?${authorizeQuery(config, { response_mode: 'form_post', scope: 'foo admin' })}`
    const fields = new Map(expectFormPostPage(await app.inject({ method: 'GET', url })))
    expect(fields.get('error')).toBe('invalid_scope')
  })

  it('its script is served by the lab, from its own origin', async () => {
    const res = await app.inject({ method: 'GET', url: '/assets/form-post.js' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/javascript/)
    expect(res.body).toContain("getElementById('form-post-response')")
    expect(res.body).toContain('.submit()')
  })
})

describe('an unknown response_mode', () => {
  for (const mode of ['jwt', 'query.jwt', 'FRAGMENT']) {
    it(`${mode}: invalid_request, redirected in query mode`, async () => {
      const url = `/authorize?${authorizeQuery(config, { response_mode: mode })}`
      const res = await app.inject({ method: 'GET', url })
      expect(res.statusCode).toBe(302)
      expect((res.headers.location as string).startsWith(`${REDIRECT}?`)).toBe(true)
      expect(locationParams(res).get('error')).toBe('invalid_request')
      expect(locationParams(res).get('error_description')).toContain('response_mode')
      expect(locationParams(res).get('state')).toBe('state-123')
    })
  }

  it('a repeated response_mode is invalid_request in query mode', async () => {
    const url = `/authorize?${authorizeQuery(config, { response_mode: 'fragment' })}&response_mode=fragment`
    const res = await app.inject({ method: 'GET', url })
    expect(locationParams(res).get('error')).toBe('invalid_request')
  })

  it('an unregistered redirect_uri is still a page, whatever the mode', async () => {
    const url = `/authorize?${authorizeQuery(config, { response_mode: 'form_post', redirect_uri: 'https://evil.example/cb' })}`
    const res = await app.inject({ method: 'GET', url })
    expect(res.statusCode).toBe(400)
    expect(res.body).not.toContain('form-post-response')
  })
})

describe('metadata', () => {
  it('advertises the three response modes', async () => {
    const res = await app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })
    expect(res.json().response_modes_supported).toEqual(['query', 'fragment', 'form_post'])
    const oidc = await app.inject({ method: 'GET', url: '/.well-known/openid-configuration' })
    expect(oidc.json().response_modes_supported).toEqual(['query', 'fragment', 'form_post'])
  })
})

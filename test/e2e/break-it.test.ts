// Break it, end to end: each attack is played by the client app against the
// real authorization and resource servers; the result page shows the answer
// that stopped it, and the servers' recorders hold every tagged request.

import { ATTACKS } from '../../src/client/break-it/catalog.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RecordedExchange } from '../../src/shared/flow-recorder.js'
import { httpBrowser, type HttpResponse } from '../helpers/http-browser.js'
import { hiddenField } from '../helpers/inject-browser.js'
import { startTestLab, type TestLab } from '../helpers/lab.js'
import { first, at } from '../helpers/lists.js'

let lab: TestLab
const browser = httpBrowser()
let csrf: string

beforeAll(async () => {
  lab = await startTestLab()
  const page = await browser.get(`${lab.config.client.publicUrl}/break`)
  expect(page.status).toBe(200)
  csrf = hiddenField(page.body, '_csrf')
})
afterAll(() => lab.close())

function text(html: string, id: string): string | undefined {
  const match = new RegExp(`id="${id}">([^<]*)<`).exec(html)
  return match?.[1]
    ?.replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

async function run(attack: string): Promise<{ page: HttpResponse; flowId: string }> {
  const page = await browser.post(`${lab.config.client.publicUrl}/break/${attack}`, { _csrf: csrf })
  expect(page.status, page.body).toBe(200)
  const flowId = text(page.body, 'flow-id')!
  expect(flowId).toMatch(new RegExp(`^attack-${attack}-[A-Za-z0-9_-]{21}$`))
  expect(page.body).toContain(`<a id="flow-link" href="/flow/${flowId}">`)
  expect(text(page.body, 'verdict')).toBe('Stopped.')
  // Every request the attack sent reached a server with its flow id (the
  // lab-only POST /_lab/tokens is the one path the recorders leave out).
  const sent = page.body.match(/<tr><td>[^<]*<\/td><td><pre[^>]*><code>(GET|POST) [^<]*<\/code>/g) ?? []
  const unrecorded = sent.filter((row) => row.includes('/_lab/')).length
  expect(sent.length).toBeGreaterThan(0)
  expect(authSaw(flowId).length + resourceSaw(flowId).length + clientSaw(flowId).length).toBe(sent.length - unrecorded)
  return { page, flowId }
}

const header = (e: RecordedExchange, name: string) =>
  e.request.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v)

function tagged(exchanges: RecordedExchange[], flowId: string): RecordedExchange[] {
  return exchanges.filter((e) => header(e, 'x-oauth-lab-flow').includes(flowId))
}

const authSaw = (flowId: string) => tagged(lab.auth.flowRecorder.since(0), flowId)
const resourceSaw = (flowId: string) => tagged(lab.resource.flowRecorder.since(0), flowId)
const clientSaw = (flowId: string) => tagged(lab.client.flowRecorder.since(0), flowId)
const calls = (list: RecordedExchange[]) =>
  list.map((e) => `${e.request.method} ${e.request.url.split('?')[0]} ${e.response.status}`)

describe('Break it', () => {
  it('lists every attack as a POST form with a CSRF token', async () => {
    const page = await browser.get(`${lab.config.client.publicUrl}/break`)
    // Every attack of the catalog (its order is checked in test/client/break-it/catalog.test.ts).
    for (const name of ATTACKS.map((a) => a.name)) {
      expect(page.body).toContain(`<form method="post" action="/break/${name}">`)
    }
    const refused = await browser.post(`${lab.config.client.publicUrl}/break/replayed-code`, {})
    expect(refused.status).toBe(403)
  })

  it('forged state: the client refuses the callback and makes no token request', async () => {
    const { page, flowId } = await run('forged-state')
    expect(text(page.body, 'answer-status')).toBe('400')
    expect(text(page.body, 'answer-error')).toBe('State does not match')
    expect(calls(clientSaw(flowId))).toEqual(['GET /connect 302', 'GET /authenticated 400'])
    expect(calls(authSaw(flowId))).toEqual([
      'GET /authorize 200',
      'POST /login 303',
      'GET /authorize 200',
      'POST /consent 303',
    ])
    expect(
      lab.auth.flowRecorder
        .since(0)
        .filter((e) => e.request.url === '/token' && e.startedAt >= first(clientSaw(flowId)).startedAt),
    ).toEqual([])
    expect(page.body).toContain('RFC 6749 section 10.12')
  })

  it('replayed code: invalid_grant, and the tokens issued from it are revoked', async () => {
    const { page, flowId } = await run('replayed-code')
    expect(text(page.body, 'answer-status')).toBe('400')
    expect(text(page.body, 'answer-error')).toBe('invalid_grant')
    expect(text(page.body, 'answer-error-description')).toBe(
      'The authorization code was already used; tokens issued from it are revoked (RFC 6749 section 4.1.2).',
    )
    const tokens = authSaw(flowId).filter((e) => e.request.url === '/token')
    expect(calls(tokens)).toEqual(['POST /token 200', 'POST /token 400'])
    // The token of the first redemption no longer works (RFC 7662 introspection).
    const accessToken = JSON.parse(first(tokens).response.body!).access_token as string
    const introspection = await fetch(`${lab.config.auth.internalUrl}/introspect`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('oauth-resource-1:oauth-resource-secret-1').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: accessToken }),
    })
    expect(await introspection.json()).toEqual({ active: false })
    // Yet the resource server, checking the JWT itself (the default jwt mode),
    // still accepts it, and the page says so rather than claiming otherwise.
    expect(calls(resourceSaw(flowId))).toEqual(['GET /resource 200'])
    expect(text(page.body, 'aftermath-status')).toBe('200')
    expect(text(page.body, 'aftermath-lesson')).toMatch(/^It still opens the resource \(HTTP 200\)\./)
    expect(text(page.body, 'aftermath-lesson')).toContain('RFC 7009 section 3')
  })

  it('redirect_uri changed at the token endpoint: invalid_grant', async () => {
    const { page, flowId } = await run('redirect-uri-changed')
    expect(text(page.body, 'answer-status')).toBe('400')
    expect(text(page.body, 'answer-error')).toBe('invalid_grant')
    expect(text(page.body, 'answer-error-description')).toContain('redirect_uri does not match')
    const token = first(
      authSaw(flowId).filter((e) => e.request.url === '/token'),
      'token',
    )
    expect(new URLSearchParams(token.request.body).get('redirect_uri')).toBe('https://attacker.example/callback')
  })

  it('wrong client secret: 401 invalid_client with a Basic challenge', async () => {
    const { page, flowId } = await run('wrong-client-secret')
    expect(text(page.body, 'answer-status')).toBe('401')
    expect(text(page.body, 'answer-error')).toBe('invalid_client')
    expect(text(page.body, 'answer-www-authenticate')).toMatch(/^Basic realm=/)
    expect(calls(authSaw(flowId)).at(-1)).toBe('POST /token 401')
  })

  it('missing PKCE verifier: invalid_grant naming RFC 7636', async () => {
    const { page, flowId } = await run('missing-pkce-verifier')
    expect(text(page.body, 'answer-status')).toBe('400')
    expect(text(page.body, 'answer-error')).toBe('invalid_grant')
    expect(text(page.body, 'answer-error-description')).toContain('code_verifier is required')
    const token = first(
      authSaw(flowId).filter((e) => e.request.url === '/token'),
      'token',
    )
    expect(new URLSearchParams(token.request.body).has('code_verifier')).toBe(false)
  })

  it('wrong PKCE verifier: invalid_grant', async () => {
    const { page } = await run('wrong-pkce-verifier')
    expect(text(page.body, 'answer-status')).toBe('400')
    expect(text(page.body, 'answer-error')).toBe('invalid_grant')
    expect(text(page.body, 'answer-error-description')).toBe(
      'code_verifier does not match the code_challenge (RFC 7636 section 4.6).',
    )
  })

  it('expired token: 401 invalid_token from the resource server', async () => {
    const { page, flowId } = await run('expired-token')
    expect(text(page.body, 'answer-status')).toBe('401')
    expect(text(page.body, 'answer-error')).toBe('invalid_token')
    expect(text(page.body, 'answer-error-description')).toMatch(/^the access token has expired \(exp/)
    expect(text(page.body, 'answer-www-authenticate')).toContain('error="invalid_token"')
    expect(calls(resourceSaw(flowId))).toEqual(['GET /resource 401'])
    // The attack minted with the lab key, server-side: neither its page nor its flow shows the key.
    expect(page.body).toContain('/_lab/tokens')
    expect(page.body).not.toContain(lab.config.labKey)
    const flow = await browser.get(`${lab.config.client.publicUrl}/flow/${flowId}.json`)
    expect(flow.status).toBe(200)
    expect(flow.body).not.toContain(lab.config.labKey)
  })

  it('token without scope foo: 403 insufficient_scope naming foo', async () => {
    const { page, flowId } = await run('token-without-foo')
    expect(text(page.body, 'answer-status')).toBe('403')
    expect(text(page.body, 'answer-error')).toBe('insufficient_scope')
    expect(text(page.body, 'answer-www-authenticate')).toContain('scope="foo"')
    expect(calls(resourceSaw(flowId))).toEqual(['GET /resource 403'])
    const authorize = first(authSaw(flowId), 'authorize')
    expect(new URL(authorize.request.url, 'http://x').searchParams.get('scope')).toBe('bar')
  })

  it('consent denied: access_denied back at the client, which shows it', async () => {
    const { page, flowId } = await run('consent-denied')
    expect(text(page.body, 'answer-status')).toBe('303')
    expect(text(page.body, 'answer-error')).toBe('access_denied')
    expect(calls(authSaw(flowId)).at(-1)).toBe('POST /consent 303')
    expect(calls(clientSaw(flowId))).toEqual(['GET /connect 302', 'GET /authenticated 400'])
    const callback = at(clientSaw(flowId), 1, 'callback')
    expect(callback.response.body).toContain('access_denied')
  })
})

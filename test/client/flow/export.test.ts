import { describe, expect, it } from 'vitest'
import { correlate } from '../../../src/client/flow/correlate.js'
import {
  LIVE_CREDENTIALS,
  curlCommand,
  shellQuote,
  toCurl,
  toHar,
  toMarkdown,
  type ExportUrls,
} from '../../../src/client/flow/export.js'
import { STEPS } from '../../../src/client/flow/steps.js'
import type { FlowEntry } from '../../../src/client/flow/types.js'
import { BASIC, browserFlow, exchange } from './fixtures.js'
import { first, at } from '../../helpers/lists.js'

const urls: ExportUrls = {
  client: 'http://localhost:3000',
  authPublic: 'http://localhost:9001',
  authInternal: 'http://auth:9001',
  resourcePublic: 'http://localhost:9002',
  resourceInternal: 'http://resource:9002',
}
const list = browserFlow({ state: 'S1', code: 'K1', token: 'T1', t0: Date.UTC(2025, 0, 2, 3, 4, 5) })
const flow = first(correlate(list), 'a correlated flow')

describe('the Markdown transcript', () => {
  const md = toMarkdown(flow)

  it('has the book\u2019s seven "## Step N: title" sections, in order', () => {
    const headings = md.split('\n').filter((line) => line.startsWith('## Step'))
    expect(headings).toEqual(STEPS.map((s) => `## Step ${s.n}: ${s.title}`))
    expect(md.startsWith('# OAuth 2: Flow steps\n')).toBe(true)
  })

  it('says at its top that it holds live credentials and is for the person whose flow it is', () => {
    expect(md.split('\n').slice(0, 3)).toEqual(['# OAuth 2: Flow steps', '', `> **${LIVE_CREDENTIALS}**`])
    expect(LIVE_CREDENTIALS).toMatch(/live credentials \(passwords, codes, tokens\).*the person whose flow it is/)
  })

  it('gives each message as a ```http block of raw HTTP', () => {
    const step5 = md.slice(md.indexOf('## Step 5'), md.indexOf('## Step 6'))
    expect(step5).toContain(
      ['```http', 'POST /token HTTP/1.1', 'host: 127.0.0.1:9001', `Authorization: ${BASIC}`].join('\n'),
    )
    expect(step5).not.toContain('HTTP/1.1 200 OK')
    const step6 = md.slice(md.indexOf('## Step 6'), md.indexOf('## Step 7'))
    expect(step6).toContain('```http\nHTTP/1.1 200 OK\ncache-control: no-store')
    expect(md).toContain('- \u2713 the code redeemed in step 5 is the code of step 4')
  })

  it('says which steps were skipped', () => {
    const remembered = first(
      correlate(browserFlow({ state: 'S2', code: 'K2', token: 'T2', t0: 0, path: 'remembered' })),
    )
    expect(toMarkdown(remembered)).toMatch(
      /## Step 3: Owner authorizes client app\n\n.*\n\n_Skipped: remembered decision\./,
    )
  })

  it('uses a longer fence when a body holds backticks', () => {
    const odd = exchange(
      'client',
      0,
      { url: '/connect' },
      { status: 302, headers: [['location', 'http://as/authorize?state=s']], body: 'a ``` b ```` c' },
    )
    const text = toMarkdown(first(correlate([odd])))
    expect(text).toContain('`````http\nHTTP/1.1 302 Found')
  })
})

describe('curl commands', () => {
  it('say at their top that they hold live credentials', () => {
    expect(toCurl(flow, urls).split('\n').slice(0, 2)).toEqual(['#!/bin/sh', `# ${LIVE_CREDENTIALS}`])
  })

  it('quote for the shell, single quotes included', () => {
    expect(shellQuote(`it's`)).toBe(`'it'\\''s'`)
  })

  it('give one command per request, browser ones at public URLs, back-channel ones at internal URLs', () => {
    const curl = toCurl(flow, urls)
    const commands = curl
      .split('\n')
      .filter((l) => l.startsWith('curl '))
      .map((l) => l.replace(/ \\$/, ''))
    expect(commands).toEqual([
      `curl -i 'http://localhost:3000/connect'`,
      expect.stringMatching(/^curl -i 'http:\/\/localhost:9001\/authorize\?response_type=code&.*state=S1.*'$/),
      `curl -i 'http://localhost:9001/login'`,
      expect.stringMatching(/^curl -i 'http:\/\/localhost:9001\/authorize\?/),
      `curl -i 'http://localhost:9001/consent'`,
      expect.stringMatching(/^curl -i 'http:\/\/localhost:3000\/authenticated\?code=K1&state=S1/),
      `curl -i 'http://auth:9001/token'`,
      `curl -i 'http://localhost:3000/fetch-resource'`,
      `curl -i 'http://resource:9002/resource'`,
    ])
    expect(curl).toContain(`  -H 'Authorization: ${BASIC}' \\\n`)
    expect(curl).toContain(`  --data-raw 'grant_type=authorization_code&redirect_uri=`)
    expect(curl).not.toMatch(/-H 'host:/i)
  })

  it('say the method when the body does not imply it', () => {
    const entry: FlowEntry = {
      exchange: exchange('auth-server', 0, {
        method: 'DELETE',
        url: '/x',
        headers: [
          ['Host', 'h'],
          ['Content-Length', '0'],
        ],
      }),
      step: 7,
      part: 'both',
      label: 'x',
      from: 'client',
      to: 'auth-server',
      at: 0,
    }
    expect(curlCommand(entry, urls)).toBe(`curl -i -X DELETE 'http://auth:9001/x'`)
  })
})

describe('the HAR file', () => {
  const har = JSON.parse(JSON.stringify(toHar(flow, urls, '1.2.3'))) as {
    log: {
      version: string
      creator: { name: string; version: string }
      entries: Array<{
        startedDateTime: string
        time: number
        comment: string
        request: {
          method: string
          url: string
          httpVersion: string
          headers: Array<{ name: string; value: string }>
          queryString: Array<{ name: string; value: string }>
          postData?: { mimeType: string; text: string }
        }
        response: {
          status: number
          statusText: string
          redirectURL: string
          content: { mimeType: string; text: string }
        }
        timings: { send: number; wait: number; receive: number }
      }>
    }
  }

  it('says in its log comment, first, that it holds live credentials', () => {
    expect((har.log as unknown as { comment: string }).comment.startsWith(LIVE_CREDENTIALS)).toBe(true)
  })

  it('is HAR 1.2 by oauth-lab with one entry per exchange, in order', () => {
    expect(har.log.version).toBe('1.2')
    expect(har.log.creator).toEqual({ name: 'oauth-lab', version: '1.2.3' })
    expect(har.log.entries).toHaveLength(list.length)
    expect(first(har.log.entries).startedDateTime).toBe('2025-01-02T03:04:05.000Z')
    expect(har.log.entries.map((e) => e.request.method + ' ' + e.request.url.split('?')[0])).toEqual([
      'GET http://localhost:3000/connect',
      'GET http://localhost:9001/authorize',
      'POST http://localhost:9001/login',
      'GET http://localhost:9001/authorize',
      'POST http://localhost:9001/consent',
      'GET http://localhost:3000/authenticated',
      'POST http://auth:9001/token',
      'POST http://localhost:3000/fetch-resource',
      'GET http://resource:9002/resource',
    ])
  })

  it('keeps headers, query, post data, redirects and timings', () => {
    const token = har.log.entries.find((e) => e.request.url.endsWith('/token'))!
    expect(token.comment).toBe(
      'Step 5, 6: POST /token: the client app redeems the code (back channel) (recorded by the auth-server)',
    )
    expect(token.request.httpVersion).toBe('HTTP/1.1')
    expect(token.request.headers).toContainEqual({ name: 'Authorization', value: BASIC })
    expect(token.request.postData).toEqual({
      mimeType: 'application/x-www-form-urlencoded',
      text: expect.stringContaining('code=K1'),
    })
    expect(JSON.parse(token.response.content.text).access_token).toBe('T1')
    expect(token.timings).toEqual({ send: 0, wait: 3, receive: 0 })
    const consent = har.log.entries.find((e) => e.request.url.endsWith('/consent'))!
    expect(consent.response.statusText).toBe('See Other')
    expect(consent.response.redirectURL).toMatch(/^http:\/\/localhost:3000\/authenticated\?code=K1&state=S1/)
    const authorize = at(har.log.entries, 1, 'authorize')
    expect(authorize.request.queryString).toContainEqual({ name: 'state', value: 'S1' })
  })
})

describe('exports for handouts', () => {
  it('the Markdown decodes the Basic header and JWTs, and sums up HTML pages in one line', () => {
    const header = Buffer.from('{"alg":"ES256","typ":"at+jwt"}').toString('base64url')
    const claims = Buffer.from('{"sub":"alice","scope":"foo bar"}').toString('base64url')
    const jwt = `${header}.${claims}.c2ln`
    const withJwt = first(correlate(browserFlow({ state: 'S3', code: 'K3', token: jwt, t0: 0 })))
    const md = toMarkdown(withJwt)
    expect(md).toContain('`client_id` = `oauth-client-1`, `client_secret` = `oauth-client-secret-1`')
    expect(md).toContain('```json\n{\n  "header": {\n    "alg": "ES256",\n    "typ": "at+jwt"\n  },\n  "claims": {')
    // Decoded once, where it first appears.
    expect(md.split('"sub": "alice"').length - 1).toBe(1)
    expect(md).not.toMatch(/<form|<pre|<code/)
    expect(md).toMatch(/\[HTML page[^\]]*\]/)
    expect(md).not.toContain('```bash')
  })

  it('the HAR parses request cookies and Set-Cookie lines', () => {
    const e = exchange(
      'client',
      0,
      { url: '/connect', headers: [['cookie', 'a=1; oauth_lab_browser=(masked)']] },
      {
        status: 302,
        headers: [
          ['location', 'http://as/authorize?state=s'],
          ['set-cookie', 'sid=xyz; Path=/; HttpOnly; SameSite=Lax'],
        ],
      },
    )
    const har = JSON.parse(JSON.stringify(toHar(first(correlate([e])), urls, '1'))) as {
      log: { entries: Array<{ request: { cookies: unknown[] }; response: { cookies: unknown[] } }> }
    }
    const entry = first(har.log.entries)
    expect(entry.request.cookies).toEqual([
      { name: 'a', value: '1' },
      { name: 'oauth_lab_browser', value: '(masked)' },
    ])
    expect(entry.response.cookies).toEqual([{ name: 'sid', value: 'xyz', path: '/', httpOnly: true, sameSite: 'Lax' }])
  })
})

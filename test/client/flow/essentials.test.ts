import { describe, expect, it } from 'vitest'
import {
  byteSize,
  essentials,
  htmlSummary,
  isOAuthHeader,
  jsonSummary,
  prettyJson,
  shortenTokens,
} from '../../../src/client/flow/essentials.js'
import { claimTimes, duration } from '../../../src/client/flow/times.js'

describe('the default level of detail', () => {
  it('keeps the start line and the OAuth headers in wire order, and names the rest', () => {
    const { text, hidden } = essentials(
      'HTTP/1.1 302 Found',
      [
        ['x-frame-options', 'DENY'],
        ['cache-control', 'no-store'],
        ['content-security-policy', "default-src 'self'"],
        ['location', 'http://localhost:9001/authorize?state=s'],
        ['set-cookie', 'oauth_lab_client_sid=(masked); Path=/'],
        ['set-cookie', 'oauth_lab_browser=(masked); Path=/'],
        ['x-frame-options', 'DENY'],
      ],
      'response',
    )
    expect(text).toBe(
      [
        'HTTP/1.1 302 Found',
        'cache-control: no-store',
        'location: http://localhost:9001/authorize?state=s',
        'set-cookie: oauth_lab_client_sid=(masked); Path=/',
        'set-cookie: oauth_lab_browser=(masked); Path=/',
      ].join('\n'),
    )
    expect(hidden).toEqual(['x-frame-options', 'content-security-policy'])
  })

  it('shows credentials, cookies and DPoP on requests, but not a browser\u2019s Cache-Control or client hints', () => {
    for (const name of ['Authorization', 'Cookie', 'Content-Type', 'DPoP'])
      expect(isOAuthHeader(name, 'request')).toBe(true)
    for (const name of ['Cache-Control', 'sec-ch-ua', 'User-Agent', 'Host'])
      expect(isOAuthHeader(name, 'request')).toBe(false)
    for (const name of ['WWW-Authenticate', 'Location', 'Set-Cookie', 'Cache-Control'])
      expect(isOAuthHeader(name, 'response')).toBe(true)
  })

  it('sums an HTML page up in one line by its heading, else its title', () => {
    const page = `<html><head><title>Sign in · oauth-lab</title></head><body><h1>Sign in</h1>${'x'.repeat(2100)}</body></html>`
    expect(htmlSummary(page)).toBe('HTML page: Sign in (2.1 KB)')
    expect(htmlSummary('<title>Authorize &amp; go · oauth-lab</title>')).toBe('HTML page: Authorize & go (46 B)')
    expect(htmlSummary('<p>hi</p>', true)).toBe('HTML page (9 B, recording truncated)')
    expect(byteSize(1023)).toBe('1023 B')
  })

  it('pretty-prints JSON, sums a long one up by its names, and leaves other text alone', () => {
    expect(prettyJson('{"a":1}', 'application/json')).toBe('{\n  "a": 1\n}')
    expect(prettyJson('a=1', 'application/x-www-form-urlencoded')).toBeUndefined()
    expect(prettyJson('{not json', 'application/json')).toBeUndefined()
    expect(jsonSummary('{"keys":[]}')).toBe('JSON with keys (11 B)')
  })

  it('shortens long JWTs to their start and length, and keeps short values whole', () => {
    const jwt = `eyJhbGciOiJFUzI1NiJ9.${'a'.repeat(100)}.${'b'.repeat(40)}`
    expect(shortenTokens(`Authorization: Bearer ${jwt}`)).toBe(
      `Authorization: Bearer ${jwt.slice(0, 24)}\u2026 (${jwt.length} characters)`,
    )
    expect(shortenTokens('state=abc.def')).toBe('state=abc.def')
  })
})

describe('JWT times in words', () => {
  const now = Date.UTC(2026, 10, 30, 9, 0, 0)
  const at = (seconds: number) => Math.floor(now / 1000) + seconds

  it('says iat, nbf, exp and auth_time relative to now, beside the raw value and UTC', () => {
    const notes = claimTimes({ iat: at(-120), exp: at(3540), nbf: at(-120), auth_time: at(-7200), sub: 'alice' }, now)
    expect(notes.map((n) => `${n.claim} ${n.raw} ${n.relative} ${n.utc}`)).toEqual([
      `iat ${at(-120)} issued 2 min ago 2026-11-30 08:58:00 UTC`,
      `nbf ${at(-120)} valid since 2 min ago 2026-11-30 08:58:00 UTC`,
      `exp ${at(3540)} expires in 59 min 2026-11-30 09:59:00 UTC`,
      `auth_time ${at(-7200)} signed in 2 h ago 2026-11-30 07:00:00 UTC`,
    ])
  })

  it('says an expired token expired, and skips times that are not numbers', () => {
    expect(claimTimes({ exp: at(-30), iat: 'yesterday' }, now).map((n) => n.relative)).toEqual(['expired 30 s ago'])
    expect(claimTimes({ iat: at(2) }, now).map((n) => n.relative)).toEqual(['issued just now'])
    expect(duration(3 * 86_400_000)).toBe('3 days')
  })
})

// Break it: a JWT access token changed by its holder (scope widened, the
// signature kept) and re-encoded with alg none, each played by the client app
// against the real servers: 401 invalid_token, with the check that stopped it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { unsecured, widenScope } from '../../../src/client/break-it/token-forgery-attacks.js'
import { breakIt, calls } from '../../helpers/break-it.js'
import { startTestLab, type TestLab } from '../../helpers/lab.js'

let lab: TestLab
const { play } = breakIt(() => lab)

beforeAll(async () => {
  lab = await startTestLab()
})
afterAll(() => lab.close())

const part = (token: string, i: number) => token.split('.')[i]!
const decoded = (token: string, i: number) =>
  JSON.parse(Buffer.from(part(token, i), 'base64url').toString('utf8')) as Record<string, unknown>
const bearer = (e: { request: { headers: ReadonlyArray<readonly [string, string]> } }) =>
  e.request.headers.find(([n]) => n.toLowerCase() === 'authorization')![1].slice('Bearer '.length)

describe('changing a JWT access token', () => {
  const token = [
    Buffer.from('{"alg":"RS256","typ":"at+jwt","kid":"k1"}').toString('base64url'),
    Buffer.from('{"sub":"alice","scope":"bar"}').toString('base64url'),
    'c2lnbmF0dXJl',
  ].join('.')

  it('widens the scope and keeps the header and the signature', () => {
    const widened = widenScope(token)
    expect(part(widened, 0)).toBe(part(token, 0))
    expect(part(widened, 2)).toBe('c2lnbmF0dXJl')
    expect(decoded(widened, 1)).toEqual({ sub: 'alice', scope: 'foo bar' })
  })

  it('re-encodes it with alg none and no signature (RFC 7515 Appendix A.5)', () => {
    const none = unsecured(token)
    expect(decoded(none, 0)).toEqual({ alg: 'none', typ: 'at+jwt' })
    expect(decoded(none, 1)).toEqual({ sub: 'alice', scope: 'foo bar' })
    expect(none.endsWith('.')).toBe(true)
  })
})

describe('Break it: a tampered JWT', () => {
  it('scope widened, signature kept: 401 invalid_token, stopped by the signature check; the genuine token gets 403', async () => {
    const run = await play('tampered-jwt')
    expect(run.field('verdict')).toBe('Stopped.')
    expect(run.field('answer-status')).toBe('401')
    expect(run.field('answer-error')).toBe('invalid_token')
    expect(run.field('answer-error-description')).toBe('the access token signature is invalid')
    expect(run.field('answer-www-authenticate')).toBe(
      'Bearer realm="oauth-lab", error="invalid_token", error_description="the access token signature is invalid"',
    )
    expect(run.html).toContain('RFC 7515 section 5.2')
    const resource = run.recorded('resource')
    expect(calls(resource)).toEqual(['GET /resource 401', 'GET /resource 403'])
    // What was sent: the genuine token's header and signature around a payload that now says foo bar.
    const [tampered, genuine] = resource.map(bearer)
    expect(decoded(genuine!, 1).scope).toBe('bar')
    expect(decoded(tampered!, 1).scope).toBe('foo bar')
    expect(part(tampered!, 2)).toBe(part(genuine!, 2))
    // The aftermath, as observed: the genuine token is refused for its scope only.
    expect(run.field('aftermath-status')).toBe('403')
    expect(run.field('aftermath-lesson')).toMatch(/^HTTP 403 insufficient_scope/)
    const verdict = await run.verdict()
    expect(verdict).toMatchObject({ outcome: 'stopped', step: 7 })
    expect(verdict.check).toEqual({
      id: 'token-signature',
      name: 'the signature check',
      rfc: 'RFC 7515 §5.2, RFC 9068 §4, RFC 6750 §3.1',
    })
    expect(verdict.text).toBe(
      '\u2717 Stopped at step 7 by the signature check (RFC 7515 §5.2, RFC 9068 §4, RFC 6750 §3.1): invalid_token: the access token signature is invalid',
    )
  })

  it('alg none without a signature: 401 invalid_token, stopped by the algorithm check', async () => {
    const run = await play('alg-none-jwt')
    expect(run.field('answer-status')).toBe('401')
    expect(run.field('answer-error')).toBe('invalid_token')
    expect(run.field('answer-error-description')).toMatch(/^the token alg is not accepted \(accepted: /)
    expect(run.field('answer-www-authenticate')).toMatch(/^Bearer realm="oauth-lab", error="invalid_token", /)
    expect(run.html).toContain('RFC 8725 section 3.1')
    const [sent] = run.recorded('resource').map(bearer)
    expect(decoded(sent!, 0)).toEqual({ alg: 'none', typ: 'at+jwt' })
    expect(sent!.endsWith('.')).toBe(true)
    const verdict = await run.verdict()
    expect(verdict).toMatchObject({ outcome: 'stopped', step: 7 })
    expect(verdict.check?.id).toBe('token-alg')
    expect(verdict.check?.rfc).toContain('RFC 8725 §3.1')
  })
})

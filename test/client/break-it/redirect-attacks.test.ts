// Break it: an authorization request with this client's client_id and a
// redirect_uri that is not registered (another site, a path added, another
// port): the authorization server's own error page each time, never a redirect.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redirectVariants } from '../../../src/client/break-it/redirect-attacks.js'
import { breakIt, calls, responseHeaderOf } from '../../helpers/break-it.js'
import { startTestLab, type TestLab } from '../../helpers/lab.js'

let lab: TestLab
const { play } = breakIt(() => lab)

beforeAll(async () => {
  lab = await startTestLab()
})
afterAll(() => lab.close())

describe('the redirect URIs tried', () => {
  it('another site, the registered URI with a path added, and on another port', () => {
    expect(redirectVariants('http://localhost:3000/authenticated').map((v) => v.uri)).toEqual([
      'https://attacker.example/callback',
      'http://localhost:3000/authenticated/attacker',
      'http://localhost:3001/authenticated',
    ])
    expect(redirectVariants('https://app.example/cb').at(-1)?.uri).toBe('https://app.example:444/cb')
  })
})

describe('Break it: an open redirect at /authorize', () => {
  it('400 error page, no Location, for each variant; stopped by the registered redirect_uri check', async () => {
    const run = await play('open-redirect')
    expect(run.field('verdict')).toBe('Stopped.')
    expect(run.field('answer-status')).toBe('400')
    expect(run.field('answer-error')).toBe('Invalid authorization request')
    expect(run.field('answer-error-description')).toBe(
      `The redirect_uri "https://attacker.example/callback" is not registered for client "${lab.config.client.clientId}".`,
    )
    expect(run.html).not.toContain('id="answer-location"')
    expect(run.html).toContain('RFC 6749 sections 4.1.2.1 and 10.15')
    const auth = run.recorded('auth')
    expect(calls(auth)).toEqual([
      'GET /authorize 400',
      'GET /authorize 400',
      'GET /authorize 400',
      'GET /authorize 200',
    ])
    const registered = `${lab.config.client.publicUrl}/authenticated`
    const sent = auth.map((e) => new URL(e.request.url, 'http://x').searchParams.get('redirect_uri'))
    expect(sent).toEqual([...redirectVariants(registered).map((v) => v.uri), registered])
    for (const e of auth.slice(0, 3)) {
      expect(responseHeaderOf(e, 'location')).toBeUndefined()
      expect(responseHeaderOf(e, 'content-type')).toContain('text/html')
      expect(e.response.body).toContain('is not registered for client')
    }
    // The aftermath, as observed: the registered URI, exactly, gets the sign-in page.
    expect(run.field('aftermath-status')).toBe('200')
    expect(run.field('aftermath-lesson')).toMatch(/^HTTP 200: with the registered redirect URI/)
    expect(auth[3]!.response.body).toContain('action="/login"')
    const verdict = await run.verdict()
    expect(verdict).toMatchObject({ outcome: 'stopped', step: 1 })
    expect(verdict.check).toEqual({
      id: 'redirect-uri-registered',
      name: 'the registered redirect_uri check',
      rfc: 'RFC 6749 §4.1.2.1, §10.15, RFC 9700 §4.1.3',
    })
    expect(verdict.text).toBe(
      `\u2717 Stopped at step 1 by the registered redirect_uri check (RFC 6749 §4.1.2.1, §10.15, RFC 9700 §4.1.3): the authorization server answered \u201cInvalid authorization request\u201d: The redirect_uri "https://attacker.example/callback" is not registered for client "${lab.config.client.clientId}".`,
    )
  })
})

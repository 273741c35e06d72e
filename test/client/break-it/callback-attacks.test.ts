// Break it at the client's callback: bob's code injected into the victim's
// callback with the victim's state (PKCE refuses it at the token endpoint),
// and a response whose iss names another authorization server, or none (the
// client refuses before redeeming anything).

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OTHER_ISSUER } from '../../../src/client/break-it/callback-attacks.js'
import type { RecordedExchange } from '../../../src/shared/flow-recorder.js'
import { breakIt, calls } from '../../helpers/break-it.js'
import { startTestLab, type TestLab } from '../../helpers/lab.js'

let lab: TestLab
const { play } = breakIt(() => lab)

beforeAll(async () => {
  lab = await startTestLab()
})
afterAll(() => lab.close())

const query = (e: RecordedExchange) => new URL(e.request.url, 'http://x').searchParams
const locationOf = (e: RecordedExchange) =>
  new URL(e.response.headers.find(([n]) => n.toLowerCase() === 'location')![1])
/** Token requests made after `since` (the client's own step 5 is not tagged with the flow id). */
const tokenRequestsSince = (since: number) =>
  lab.auth.flowRecorder.since(0).filter((e) => e.request.url === '/token' && e.startedAt >= since)

describe('Break it: code injection', () => {
  it('bob’s code with the victim’s state: the client redeems it with the victim’s verifier and gets invalid_grant', async () => {
    const run = await play('code-injection')
    expect(run.field('verdict')).toBe('Stopped.')
    expect(run.field('answer-status')).toBe('400')
    expect(run.field('answer-error')).toBe('Token request refused')
    expect(run.field('answer-error-description')).toBe(
      'The authorization server answered the token request with HTTP 400 and error invalid_grant.',
    )
    expect(run.html).toContain('RFC 7636 section 4.6')
    expect(run.html).toContain('RFC 9700 section 4.5')
    const client = run.recorded('client')
    expect(calls(client)).toEqual(['GET /connect 302', 'GET /authenticated 400'])
    // The callback carried bob's code (from the attacker's consent) and the victim's own state.
    const victimState = query(client[0]!).get('state') ?? locationOf(client[0]!).searchParams.get('state')
    const attackerConsent = run.recorded('auth').find((e) => e.request.url === '/consent')!
    const bobsCode = locationOf(attackerConsent).searchParams.get('code')
    expect(query(client[1]!).get('state')).toBe(victimState)
    expect(query(client[1]!).get('code')).toBe(bobsCode)
    expect(client[1]!.response.body).toContain(
      'code_verifier does not match the code_challenge (RFC 7636 section 4.6).',
    )
    // The client app's own step 5 for that code: refused by the PKCE check.
    const redeemed = tokenRequestsSince(client[1]!.startedAt).filter(
      (e) => new URLSearchParams(e.request.body).get('code') === bobsCode,
    )
    expect(redeemed.map((e) => e.response.status)).toEqual([400])
    expect(JSON.parse(redeemed[0]!.response.body!)).toEqual({
      error: 'invalid_grant',
      error_description: 'code_verifier does not match the code_challenge (RFC 7636 section 4.6).',
    })
    // The aftermath, as observed: without PKCE the same injection yields bob's token.
    expect(run.field('aftermath-status')).toBe('200')
    expect(run.field('aftermath-lesson')).toMatch(
      /^HTTP 200: the authorization server issued an access token for bob\./,
    )
    const verdict = await run.verdict()
    expect(verdict).toMatchObject({ outcome: 'stopped', step: 5 })
    expect(verdict.check?.id).toBe('pkce')
    expect(verdict.check?.rfc).toContain('RFC 7636')
  })
})

describe('Break it: code injection where the client must use PKCE', () => {
  let strict: TestLab
  const strictLab = breakIt(() => strict)
  beforeAll(async () => {
    strict = await startTestLab({}, (config) => ({
      ...config,
      clients: config.clients.map((c) => (c.clientId === config.client.clientId ? { ...c, requirePkce: true } : c)),
    }))
  })
  afterAll(() => strict.close())

  it('the injection is still refused; the aftermath says the flow without PKCE was refused, as observed', async () => {
    const run = await strictLab.play('code-injection')
    expect(run.field('answer-error')).toBe('Token request refused')
    const status = Number(run.field('aftermath-status'))
    expect(status).toBeGreaterThanOrEqual(300)
    expect(status).toBeLessThan(400)
    expect(run.field('aftermath-lesson')).toMatch(/^HTTP 30\d: this authorization server refused the flow without PKCE/)
    const refused = run
      .recorded('auth')
      .filter(
        (e) =>
          new URL(e.request.url, 'http://x').searchParams.has('code_challenge') === false &&
          e.request.url.startsWith('/authorize?'),
      )
    expect(refused).toHaveLength(1)
    expect(locationOf(refused[0]!).searchParams.get('error')).toBe('invalid_request')
  })
})

describe('Break it: mix-up', () => {
  it('iss of another server: refused at the callback, no token request; no iss: refused too', async () => {
    const run = await play('mix-up')
    expect(run.field('verdict')).toBe('Stopped.')
    expect(run.field('answer-status')).toBe('400')
    expect(run.field('answer-error')).toBe('Issuer does not match')
    expect(run.field('answer-error-description')).toBe(
      `The authorization response says it comes from ${OTHER_ISSUER}, not from ${lab.config.auth.publicUrl}. No token was requested.`,
    )
    expect(run.html).toContain('RFC 9207 section 2.4')
    const client = run.recorded('client')
    expect(calls(client)).toEqual([
      'GET /connect 302',
      'GET /authenticated 400',
      'GET /connect 302',
      'GET /authenticated 400',
    ])
    expect(query(client[1]!).get('iss')).toBe(OTHER_ISSUER)
    expect(query(client[1]!).get('code')).not.toBeNull()
    expect(query(client[3]!).has('iss')).toBe(false)
    expect(client[3]!.response.body).toContain('has no iss parameter')
    // Neither code was redeemed.
    expect(tokenRequestsSince(client[0]!.startedAt)).toEqual([])
    expect(run.field('aftermath-status')).toBe('400')
    expect(run.field('aftermath-lesson')).toContain('authorization_response_iss_parameter_supported: true')
    const verdict = await run.verdict()
    expect(verdict).toMatchObject({ outcome: 'stopped', step: 4 })
    expect(verdict.check).toEqual({ id: 'issuer', name: 'the issuer (iss) check', rfc: 'RFC 9207 §2.4' })
  })
})

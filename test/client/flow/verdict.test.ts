// The verdict's checks for refusals that name their cause: the resource
// server's invalid_token by what failed (signature, alg, aud, the rest), and
// the authorization server's own error page at /authorize (no redirect).

import { describe, expect, it } from 'vitest'
import { flowVerdict } from '../../../src/client/flow/verdict.js'
import type { FlowEntry, RecordedExchange, StepNumber } from '../../../src/client/flow/types.js'
import { exchange } from './fixtures.js'

function entry(e: RecordedExchange, step: StepNumber): FlowEntry {
  return { exchange: e, step, part: 'both', label: '', from: 'browser', to: e.role, at: e.startedAt }
}

function resourceRefusal(description: string): RecordedExchange {
  return exchange(
    'resource-server',
    10,
    { url: '/resource', headers: [['authorization', 'Bearer x.y.z']] },
    {
      status: 401,
      headers: [
        ['www-authenticate', `Bearer realm="oauth-lab", error="invalid_token", error_description="${description}"`],
      ],
    },
  )
}

const checkOf = (e: RecordedExchange, step: StepNumber) => flowVerdict({ entries: [entry(e, step)] }).check?.id

describe('the verdict of a refused access token', () => {
  it.each([
    ['the access token signature is invalid', 'token-signature'],
    ['the token alg is not accepted (accepted: RS256, ES256)', 'token-alg'],
    ['the access token is not meant for http://localhost:9002 (aud)', 'audience'],
    ['the access token has expired (exp)', 'token-validity'],
    ['the access token is malformed: expected a signed JWT', 'token-validity'],
  ])('%s: %s', (description, check) => {
    expect(checkOf(resourceRefusal(description), 7)).toBe(check)
  })

  it('names the check and its RFC sections in the sentence', () => {
    const verdict = flowVerdict({
      entries: [entry(resourceRefusal('the token alg is not accepted (accepted: RS256)'), 7)],
    })
    expect(verdict.text).toBe(
      '\u2717 Stopped at step 7 by the algorithm check (never alg none) (RFC 8725 §3.1, §2.1, RFC 9068 §4): invalid_token: the token alg is not accepted (accepted: RS256)',
    )
  })
})

describe('the verdict of an authorization request refused on a page', () => {
  const page = (alert: string, headers: Array<[string, string]> = []) =>
    exchange(
      'auth-server',
      10,
      { url: '/authorize?client_id=oauth-client-1&redirect_uri=https%3A%2F%2Fattacker.example%2Fcb' },
      {
        status: 400,
        headers: [['content-type', 'text/html; charset=utf-8'], ...headers],
        body: `<main><h1>Invalid authorization request</h1>\n<p class="error" role="alert">${alert}</p></main>`,
      },
    )

  it('an unregistered redirect_uri: stopped at step 1 by the registered redirect_uri check', () => {
    const verdict = flowVerdict({
      entries: [
        entry(
          page('The redirect_uri &quot;https://attacker.example/cb&quot; is not registered for client &quot;c&quot;.'),
          1,
        ),
      ],
    })
    expect(verdict).toMatchObject({ outcome: 'stopped', step: 1, check: { id: 'redirect-uri-registered' } })
    expect(verdict.said).toBe(
      'the authorization server answered \u201cInvalid authorization request\u201d: The redirect_uri "https://attacker.example/cb" is not registered for client "c".',
    )
  })

  it('another refusal on the page: the authorization endpoint', () => {
    expect(checkOf(page('Unknown client &quot;nobody&quot;.'), 1)).toBe('authorization-error')
  })

  it('an error sent back by redirect is not a page refusal', () => {
    const redirected = exchange(
      'auth-server',
      10,
      { url: '/authorize?client_id=oauth-client-1' },
      { status: 302, headers: [['location', 'http://localhost:3000/authenticated?error=invalid_request']] },
    )
    expect(checkOf(redirected, 1)).toBe('authorization-error')
    expect(flowVerdict({ entries: [entry(redirected, 1)] }).said).toBe('invalid_request')
  })
})

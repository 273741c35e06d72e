// The DPoP attacks of Break it (RFC 9449), played by the client app against
// the real servers, with and without server nonces: each ends in the resource
// server's 401 with the DPoP challenge and the RFC's error code, and the
// inspector's verdict names the DPoP check.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RecordedExchange } from '../../../src/shared/flow-recorder.js'
import { httpBrowser } from '../../helpers/http-browser.js'
import { hiddenField } from '../../helpers/inject-browser.js'
import { startTestLab, type TestLab } from '../../helpers/lab.js'

const ALGS = 'algs="ES256 RS256 PS256 EdDSA"'

const header = (headers: RecordedExchange['request']['headers'], name: string) =>
  headers.find(([n]) => n.toLowerCase() === name)?.[1]

function unescape(html: string): string {
  return html
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

const field = (html: string, id: string) => {
  const match = new RegExp(`id="${id}">([^<]*)<`).exec(html)?.[1]
  return match === undefined ? undefined : unescape(match)
}

interface Verdict {
  readonly outcome: string
  readonly step: number
  readonly text: string
  readonly check?: { readonly id: string; readonly rfc: string }
}

describe.each([
  ['without server nonces', {}],
  ['with DPOP_NONCE on', { DPOP_NONCE: 'on' }],
])('DPoP attacks, %s', (_name, env: Record<string, string>) => {
  let lab: TestLab
  const browser = httpBrowser()
  let csrf: string

  beforeAll(async () => {
    lab = await startTestLab(env)
    csrf = hiddenField((await browser.get(`${lab.config.client.publicUrl}/walk/dpop`)).body, '_csrf')
  })
  afterAll(() => lab.close())

  /** Runs the attack; its resource calls as the resource server recorded them, its page and its verdict. */
  async function run(attack: string) {
    const page = await browser.post(`${lab.config.client.publicUrl}/break/${attack}`, { _csrf: csrf })
    expect(page.status, page.body).toBe(200)
    const flowId = field(page.body, 'flow-id')!
    const calls = lab.resource.flowRecorder
      .since(0)
      .filter((e) => header(e.request.headers, 'x-oauth-lab-flow') === flowId && e.request.url === '/resource')
      // A nonce challenge (RFC 9449 §9) is part of the protocol, not the attack's answer.
      .filter((e) => !/use_dpop_nonce/.test(header(e.response.headers, 'www-authenticate') ?? ''))
    const json = await browser.get(`${lab.config.client.publicUrl}/flow/${flowId}.json`)
    expect(json.status).toBe(200)
    const verdict = (JSON.parse(json.body) as { verdict: Verdict }).verdict
    return { page: page.body, calls, verdict }
  }

  function expectDpopVerdict(verdict: Verdict, error: string): void {
    expect(verdict.outcome).toBe('stopped')
    expect(verdict.step).toBe(7)
    expect(verdict.check?.id).toBe('dpop')
    expect(verdict.check?.rfc).toBe('RFC 9449 §7.1')
    expect(verdict.text).toMatch(
      new RegExp(`^\u2717 Stopped at step 7 by the DPoP check \\(RFC 9449 §7\\.1\\): ${error}`),
    )
  }

  function expectChallenge(e: RecordedExchange, error: string, description: RegExp): void {
    expect(e.response.status).toBe(401)
    const challenge = header(e.response.headers, 'www-authenticate') ?? ''
    expect(challenge).toMatch(new RegExp(`^DPoP error="${error}", error_description="[^"]+", ${ALGS}$`))
    expect(/error_description="([^"]+)"/.exec(challenge)?.[1]).toMatch(description)
    expect((JSON.parse(e.response.body ?? '{}') as { error?: string }).error).toBe(error)
  }

  it('a stolen DPoP-bound token replayed as Bearer: 401 invalid_token with the DPoP challenge (§7.1, §7.2)', async () => {
    const { page, calls, verdict } = await run('dpop-token-as-bearer')
    expect(calls).toHaveLength(1)
    expect(header(calls[0]!.request.headers, 'dpop')).toBeUndefined()
    expect(header(calls[0]!.request.headers, 'authorization')).toMatch(/^Bearer /)
    expectChallenge(calls[0]!, 'invalid_token', /bound to a DPoP key/)
    expect(field(page, 'answer-status')).toBe('401')
    expect(field(page, 'answer-error')).toBe('invalid_token')
    expect(field(page, 'answer-www-authenticate')).toMatch(/^DPoP error="invalid_token"/)
    expectDpopVerdict(verdict, 'invalid_token')
  })

  it('a replayed proof (same jti): the first call is served, the replay 401 invalid_dpop_proof (§11.1)', async () => {
    const { page, calls, verdict } = await run('dpop-replayed-proof')
    expect(calls.map((e) => e.response.status)).toEqual([200, 401])
    expect(header(calls[1]!.request.headers, 'dpop')).toBe(header(calls[0]!.request.headers, 'dpop'))
    expectChallenge(calls[1]!, 'invalid_dpop_proof', /used before \(jti\)/)
    expect(field(page, 'answer-error')).toBe('invalid_dpop_proof')
    expectDpopVerdict(verdict, 'invalid_dpop_proof')
  })

  it('a proof for another URL (htu), then another method (htm): 401 invalid_dpop_proof (§4.3)', async () => {
    const { page, calls, verdict } = await run('dpop-proof-for-other-url')
    expect(calls).toHaveLength(2)
    expectChallenge(calls[0]!, 'invalid_dpop_proof', /htu must be http:\/\/[^ ]+\/resource/)
    expectChallenge(calls[1]!, 'invalid_dpop_proof', /htm must be GET/)
    expect(field(page, 'answer-status')).toBe('401')
    expect(field(page, 'aftermath-status')).toBe('401')
    expectDpopVerdict(verdict, 'invalid_dpop_proof')
  })

  it('the token with another key\u2019s proof: 401 invalid_dpop_proof naming cnf.jkt (§4.3 point 12)', async () => {
    const { page, calls, verdict } = await run('dpop-other-key')
    expect(calls).toHaveLength(1)
    expect(header(calls[0]!.request.headers, 'x-oauth-lab-actor')).toBe('attacker')
    expectChallenge(calls[0]!, 'invalid_dpop_proof', /another key .*cnf\.jkt/)
    expect(field(page, 'answer-error')).toBe('invalid_dpop_proof')
    expectDpopVerdict(verdict, 'invalid_dpop_proof')
  })
})

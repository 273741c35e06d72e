// Every Break-it run ends, in the flow inspector, with a ✗ verdict that names
// the check that stopped it, the step it stopped at and the RFC section; the
// attack's traffic is what a real attack's would be (the victim's host names,
// no browser cookie on the back channel), and an attacker has a lane of its own.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RecordedExchange } from '../../src/shared/flow-recorder.js'
import { httpBrowser } from '../helpers/http-browser.js'
import { hiddenField } from '../helpers/inject-browser.js'
import { startTestLab, type TestLab } from '../helpers/lab.js'

let lab: TestLab
const browser = httpBrowser()
let csrf: string

beforeAll(async () => {
  lab = await startTestLab()
  const page = await browser.get(`${lab.config.client.publicUrl}/break`)
  csrf = hiddenField(page.body, '_csrf')
})
afterAll(() => lab.close())

interface VerdictJson {
  readonly outcome: string
  readonly step: number
  readonly text: string
  readonly check?: { readonly id: string; readonly name: string; readonly rfc: string }
}

async function runAttack(attack: string): Promise<{ flowId: string; verdict: VerdictJson; page: string }> {
  const result = await browser.post(`${lab.config.client.publicUrl}/break/${attack}`, { _csrf: csrf })
  expect(result.status, result.body).toBe(200)
  const flowId = /id="flow-id">([^<]*)</.exec(result.body)![1]!
  const json = await browser.get(`${lab.config.client.publicUrl}/flow/${flowId}.json`)
  expect(json.status).toBe(200)
  const page = await browser.get(`${lab.config.client.publicUrl}/flow/${flowId}`)
  return { flowId, verdict: (JSON.parse(json.body) as { verdict: VerdictJson }).verdict, page: page.body }
}

const tagged = (flowId: string): RecordedExchange[] =>
  [lab.auth, lab.resource, lab.client]
    .flatMap((server) => server.flowRecorder.since(0))
    .filter((e) => e.request.headers.some(([n, v]) => n.toLowerCase() === 'x-oauth-lab-flow' && v === flowId))
const headerOf = (e: RecordedExchange, name: string) => e.request.headers.find(([n]) => n.toLowerCase() === name)?.[1]

const CASES: ReadonlyArray<[attack: string, check: string, step: number, rfc: string]> = [
  ['forged-state', 'state', 4, 'RFC 6749 §10.12'],
  ['replayed-code', 'one-time-code', 5, 'RFC 6749 §4.1.2'],
  ['redirect-uri-changed', 'redirect-uri', 5, 'RFC 6749 §4.1.3'],
  ['wrong-client-secret', 'client-authentication', 5, 'RFC 6749 §2.3.1'],
  ['missing-pkce-verifier', 'pkce', 5, 'RFC 7636 §4.5'],
  ['wrong-pkce-verifier', 'pkce', 5, 'RFC 7636 §4.5, §4.6'],
  ['expired-token', 'token-validity', 7, 'RFC 9068 §4'],
  ['token-without-foo', 'scope', 7, 'RFC 6750 §3.1'],
  ['consent-denied', 'consent', 3, 'RFC 6749 §4.1.2.1'],
  ['tampered-jwt', 'token-signature', 7, 'RFC 7515 §5.2'],
  ['alg-none-jwt', 'token-alg', 7, 'RFC 8725 §3.1'],
  ['token-for-another-audience', 'audience', 7, 'RFC 8707 §2'],
  ['open-redirect', 'redirect-uri-registered', 1, 'RFC 9700 §4.1.3'],
  ['code-injection', 'pkce', 5, 'RFC 7636 §4.5, §4.6'],
  ['mix-up', 'issuer', 4, 'RFC 9207 §2.4'],
]

describe('Break it in the flow inspector', () => {
  it.each(CASES)(
    '%s ends with a ✗ verdict naming the %s check, stopped at step %i',
    async (attack, check, step, rfc) => {
      const { flowId, verdict, page } = await runAttack(attack)
      expect(verdict.outcome).toBe('stopped')
      expect(verdict.check?.id).toBe(check)
      expect(verdict.step).toBe(step)
      expect(verdict.check?.rfc).toContain(rfc)
      expect(verdict.text).toMatch(new RegExp(`^\u2717 Stopped at step ${step} by `))
      expect(page).toContain(`data-outcome="stopped" data-check="${check}"`)
      // A refused answer is a red arrow in the diagram.
      expect(page).toMatch(/<g class="arrow step-\d answer failed">/)
      // Back channel (token endpoint, resource, lab): never the browser's cookies.
      const backChannel = tagged(flowId).filter((e) => ['/token', '/resource'].includes(e.request.url.split('?')[0]!))
      for (const e of backChannel) expect(headerOf(e, 'cookie'), `${e.request.method} ${e.request.url}`).toBeUndefined()
      // The browser's requests to the authorization server use the host name the victim's browser uses.
      const auth = new URL(lab.config.auth.publicUrl).host
      const front = tagged(flowId).filter((e) =>
        ['/authorize', '/login', '/consent'].includes(e.request.url.split('?')[0]!),
      )
      for (const e of front) expect(headerOf(e, 'host')).toBe(auth)
      // Steps after the stop say where the flow stopped (a replayed code's first redemption did reach 6 and 7).
      if (step < 7 && attack !== 'replayed-code')
        expect(page).toContain(`Not reached: the flow stopped at step ${step}.`)
    },
  )

  it('forged state: the victim and the attacker each have a lane; the lesson mentions PKCE', async () => {
    const { page } = await runAttack('forged-state')
    expect(page).toContain('Victim\u2019s browser')
    expect(page).toContain('Attacker\u2019s browser')
    const result = await browser.post(`${lab.config.client.publicUrl}/break/forged-state`, { _csrf: csrf })
    expect(result.body).toContain('PKCE stops it too')
  })

  it('lists a stopped flow as stopped at its step', async () => {
    await runAttack('wrong-client-secret')
    const list = await browser.get(`${lab.config.client.publicUrl}/flow`)
    expect(list.body).toContain('\u2717 stopped at step 5')
  })
})

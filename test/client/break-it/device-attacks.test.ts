// Break it's device-grant attacks (RFC 8628) over real HTTP: the client app
// plays each against the real authorization server; the result page shows the
// exact answer, and the inspector ends the attack's flow with a ✗ verdict
// naming the check and its RFC section, while the device's expected
// authorization_pending is no refusal.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RecordedExchange } from '../../../src/shared/flow-recorder.js'
import { httpBrowser } from '../../helpers/http-browser.js'
import { hiddenField } from '../../helpers/inject-browser.js'
import { startTestLab, type TestLab } from '../../helpers/lab.js'

let lab: TestLab
const browser = httpBrowser()
let csrf = ''

beforeAll(async () => {
  lab = await startTestLab()
  const page = await browser.get(`${lab.config.client.publicUrl}/walk/device`)
  csrf = hiddenField(page.body, '_csrf')
})
afterAll(async () => lab.close())

interface FlowJson {
  readonly verdict: {
    readonly outcome: string
    readonly step: number
    readonly text: string
    readonly check?: { readonly id: string; readonly rfc: string }
  }
}

function text(html: string, id: string): string | undefined {
  return new RegExp(`id="${id}">([^<]*)<`)
    .exec(html)?.[1]
    ?.replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
}

async function run(attack: string): Promise<{ html: string; flowId: string; flow: FlowJson }> {
  const page = await browser.post(`${lab.config.client.publicUrl}/break/${attack}`, { _csrf: csrf })
  expect(page.status, page.body).toBe(200)
  const flowId = text(page.body, 'flow-id')!
  const json = await browser.get(`${lab.config.client.publicUrl}/flow/${flowId}.json`)
  expect(json.status).toBe(200)
  return { html: page.body, flowId, flow: JSON.parse(json.body) as FlowJson }
}

const tagged = (flowId: string): RecordedExchange[] =>
  lab.auth.flowRecorder
    .since(0)
    .filter((e) => e.request.headers.some(([n, v]) => n.toLowerCase() === 'x-oauth-lab-flow' && v === flowId))
const responseHeader = (e: RecordedExchange, name: string) =>
  e.response.headers.find(([n]) => n.toLowerCase() === name)?.[1]

describe('Break it: the device grant', () => {
  it('lists the three device attacks on the device walk-through', async () => {
    const page = await browser.get(`${lab.config.client.publicUrl}/walk/device`)
    for (const name of ['device-polling-too-fast', 'device-guessed-user-code', 'device-code-expired'])
      expect(page.body).toContain(`action="/break/${name}"`)
  })

  it('polling too fast: 400 slow_down, the interval raised by 5 s; the pending poll before it is no refusal', async () => {
    const { html, flowId, flow } = await run('device-polling-too-fast')
    expect(text(html, 'answer-status')).toBe('400')
    expect(text(html, 'answer-error')).toBe('slow_down')
    // The default interval is 5 s: now 10 s (RFC 8628 §3.5).
    expect(text(html, 'answer-error-description')).toContain('wait at least 10 seconds')
    expect(html).not.toContain('id="answer-www-authenticate"')
    const polls = tagged(flowId).filter((e) => e.request.url === '/token')
    expect(polls.map((e) => [e.response.status, (JSON.parse(e.response.body!) as { error: string }).error])).toEqual([
      [400, 'authorization_pending'],
      [400, 'slow_down'],
    ])
    expect(flow.verdict.outcome).toBe('stopped')
    expect(flow.verdict.check).toEqual(expect.objectContaining({ id: 'device-polling', rfc: 'RFC 8628 §3.5' }))
    expect(flow.verdict.text).toContain('by the polling interval check (RFC 8628 §3.5): slow_down')
    expect(flow.verdict.text).not.toContain('authorization_pending')
  })

  it('a guessed user code: 400 for each wrong code, then 429 with Retry-After, the right code included', async () => {
    const { html, flowId, flow } = await run('device-guessed-user-code')
    expect(text(html, 'answer-status')).toBe('429')
    expect(text(html, 'answer-error-description')).toMatch(/^Too many wrong codes\. Wait 10 minutes, then try again\.$/)
    const posts = tagged(flowId).filter((e) => e.request.method === 'POST' && e.request.url === '/device')
    expect(posts.map((e) => e.response.status)).toEqual([400, 400, 400, 400, 400, 429])
    expect(posts[0]!.response.body).toContain('That code is not valid, or it has expired.')
    expect(Number(responseHeader(posts[5]!, 'retry-after'))).toBeGreaterThan(590)
    // The right code was typed last, and it was not checked.
    expect(posts[5]!.request.body).toMatch(/user_code=[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}/)
    expect(flow.verdict.outcome).toBe('stopped')
    expect(flow.verdict.check).toEqual(expect.objectContaining({ id: 'user-code', rfc: 'RFC 8628 §3.3, §5.1' }))
    expect(flow.verdict.text).toContain('by the user code check (RFC 8628 §3.3, §5.1): HTTP 400')
  })

  it('an expired device code: 400 expired_token', async () => {
    const { html, flow } = await run('device-code-expired')
    expect(text(html, 'answer-status')).toBe('400')
    expect(text(html, 'answer-error')).toBe('expired_token')
    expect(html).not.toContain('id="answer-www-authenticate"')
    expect(flow.verdict.outcome).toBe('stopped')
    expect(flow.verdict.check).toEqual(expect.objectContaining({ id: 'device-code-expired', rfc: 'RFC 8628 §3.5' }))
    expect(flow.verdict.text).toContain('by the device code lifetime check (RFC 8628 §3.5): expired_token')
  })
})

// Break it's pushed-authorization-request attacks over real HTTP (RFC 9126):
// a replayed request_uri and one presented under another client_id are
// refused by /authorize with its HTML error page (400, no redirect), and the
// inspector's verdict names the request_uri check and its RFC sections.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLab, type Lab } from '../../../src/lab.js'
import { httpBrowser } from '../../helpers/http-browser.js'
import { hiddenField } from '../../helpers/inject-browser.js'

let lab: Lab
const browser = httpBrowser()
let csrf = ''

beforeAll(async () => {
  lab = await startLab()
  const page = await browser.get(`${lab.urls.client}/break`)
  csrf = hiddenField(page.body, '_csrf')
})
afterAll(() => lab.close())

function text(html: string, id: string): string | undefined {
  return new RegExp(`id="${id}">([^<]*)<`)
    .exec(html)?.[1]
    ?.replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
}

interface FlowJson {
  readonly verdict: { readonly outcome: string; readonly step: number; readonly text: string }
}

async function run(attack: string): Promise<{ html: string; flow: FlowJson }> {
  const page = await browser.post(`${lab.urls.client}/break/${attack}`, { _csrf: csrf })
  expect(page.status, page.body).toBe(200)
  expect(text(page.body, 'verdict')).toBe('Stopped.')
  const flowId = text(page.body, 'flow-id')!
  const flow = await browser.get(`${lab.urls.client}/flow/${flowId}.json`)
  expect(flow.status).toBe(200)
  return { html: page.body, flow: JSON.parse(flow.body) as FlowJson }
}

describe('Break it: pushed authorization requests', () => {
  it('lists both attacks, on the Break it page and on the par walk', async () => {
    const page = await browser.get(`${lab.urls.client}/break`)
    const walk = await browser.get(`${lab.urls.client}/walk/par`)
    for (const name of ['par-request-uri-replayed', 'par-request-uri-other-client']) {
      expect(page.body).toContain(`/break/${name}`)
      expect(walk.body).toContain(`/break/${name}`)
    }
  })

  it('a request_uri opened a second time: 400, the error page, no redirect (one-time)', async () => {
    const { html, flow } = await run('par-request-uri-replayed')
    expect(text(html, 'answer-status')).toBe('400')
    expect(text(html, 'answer-error')).toBe('Invalid authorization request')
    expect(text(html, 'answer-error-description')).toBe(
      'The request_uri was already used; push the request again (RFC 9126 section 4).',
    )
    expect(text(html, 'answer-location')).toBeUndefined()
    // The first use went through: alice signed in and a code came back.
    expect(html).toContain('Step 3: allow on the consent page')
    expect(flow.verdict.outcome).toBe('stopped')
    expect(flow.verdict.text).toBe(
      '✗ Stopped at step 1 by the pushed request_uri check (RFC 9126 §2.2, §4): The request_uri was already used; push the request again (RFC 9126 section 4).',
    )
  })

  it('a request_uri under another client_id: 400, the error page, no redirect (bound to its client)', async () => {
    const { html, flow } = await run('par-request-uri-other-client')
    expect(text(html, 'answer-status')).toBe('400')
    expect(text(html, 'answer-error')).toBe('Invalid authorization request')
    expect(text(html, 'answer-error-description')).toBe(
      'The request_uri was pushed by another client (RFC 9126 section 4).',
    )
    expect(text(html, 'answer-location')).toBeUndefined()
    expect(flow.verdict.outcome).toBe('stopped')
    expect(flow.verdict.text).toContain('by the pushed request_uri check (RFC 9126 §2.2, §4)')
  })
})

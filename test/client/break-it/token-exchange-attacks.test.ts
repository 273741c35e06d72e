// Break it's token exchange attacks over real HTTP (RFC 8693): an exchange for
// an audience the client's policy does not list is 400 invalid_target, a
// subject token that is not a token 400 invalid_request (RFC 8693 §2.2.2, as
// this lab answers), and the inspector's verdict names the token exchange check.

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

describe('Break it: token exchange', () => {
  it('lists both attacks, on the Break it page and on the token-exchange walk', async () => {
    const page = await browser.get(`${lab.urls.client}/break`)
    const walk = await browser.get(`${lab.urls.client}/walk/token-exchange`)
    for (const name of ['token-exchange-audience-not-allowed', 'token-exchange-not-a-token']) {
      expect(page.body).toContain(`/break/${name}`)
      expect(walk.body).toContain(`/break/${name}`)
    }
  })

  it('an audience the policy does not list: 400 invalid_target, no WWW-Authenticate', async () => {
    const { html, flow } = await run('token-exchange-audience-not-allowed')
    expect(text(html, 'answer-status')).toBe('400')
    expect(text(html, 'answer-error')).toBe('invalid_target')
    expect(text(html, 'answer-error-description')).toBe(
      `This client may not exchange tokens for ${lab.urls.resource} (its tokenExchange.audiences: ${lab.urls.resource}/mcp).`,
    )
    expect(text(html, 'answer-www-authenticate')).toBeUndefined()
    expect(flow.verdict.outcome).toBe('stopped')
    expect(flow.verdict.step).toBe(5)
    expect(flow.verdict.text).toMatch(
      /^✗ Stopped at step 5 by the token exchange check \(RFC 8693 §2\.2\.2\): invalid_target: /,
    )
  })

  it('a subject token that is not a token: 400 invalid_request', async () => {
    const { html, flow } = await run('token-exchange-not-a-token')
    expect(text(html, 'answer-status')).toBe('400')
    expect(text(html, 'answer-error')).toBe('invalid_request')
    expect(text(html, 'answer-error-description')).toContain('subject_token is not an active access token')
    expect(text(html, 'answer-www-authenticate')).toBeUndefined()
    expect(flow.verdict.text).toMatch(
      /^✗ Stopped at step 5 by the token exchange check \(RFC 8693 §2\.2\.2\): invalid_request: subject_token/,
    )
  })
})

// Break it's pushed-authorization-request attacks over real HTTP (RFC 9126):
// a replayed request_uri and one presented under another client_id are
// refused by /authorize with its HTML error page (400, no redirect), and the
// inspector's verdict names the request_uri check and its RFC sections.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { breakIt } from '../../helpers/break-it.js'
import { startTestLab, type TestLab } from '../../helpers/lab.js'

let lab: TestLab
const { play, browser } = breakIt(() => lab)
const urls = () => ({ client: lab.config.client.publicUrl, resource: lab.config.resource.publicUrl })

beforeAll(async () => {
  lab = await startTestLab()
})
afterAll(() => lab.close())

/** Plays the attack from /break: its result page (stopped) and the inspector's verdict of its flow. */
async function run(attack: string) {
  const played = await play(attack)
  expect(played.field('verdict')).toBe('Stopped.')
  return { text: (id: string) => played.field(id), html: played.html, flow: { verdict: await played.verdict() } }
}

describe('Break it: pushed authorization requests', () => {
  it('lists both attacks, on the Break it page and on the par walk', async () => {
    const page = await browser.get(`${urls().client}/break`)
    const walk = await browser.get(`${urls().client}/walk/par`)
    for (const name of ['par-request-uri-replayed', 'par-request-uri-other-client']) {
      expect(page.body).toContain(`/break/${name}`)
      expect(walk.body).toContain(`/break/${name}`)
    }
  })

  it('a request_uri opened a second time: 400, the error page, no redirect (one-time)', async () => {
    const { text, html, flow } = await run('par-request-uri-replayed')
    expect(text('answer-status')).toBe('400')
    expect(text('answer-error')).toBe('Invalid authorization request')
    expect(text('answer-error-description')).toBe(
      'The request_uri was already used; push the request again (RFC 9126 section 4).',
    )
    expect(text('answer-location')).toBeUndefined()
    // The first use went through: alice signed in and a code came back.
    expect(html).toContain('Step 3: allow on the consent page')
    expect(flow.verdict.outcome).toBe('stopped')
    expect(flow.verdict.text).toBe(
      '✗ Stopped at step 1 by the pushed request_uri check (RFC 9126 §2.2, §4): The request_uri was already used; push the request again (RFC 9126 section 4).',
    )
  })

  it('a request_uri under another client_id: 400, the error page, no redirect (bound to its client)', async () => {
    const { text, flow } = await run('par-request-uri-other-client')
    expect(text('answer-status')).toBe('400')
    expect(text('answer-error')).toBe('Invalid authorization request')
    expect(text('answer-error-description')).toBe('The request_uri was pushed by another client (RFC 9126 section 4).')
    expect(text('answer-location')).toBeUndefined()
    expect(flow.verdict.outcome).toBe('stopped')
    expect(flow.verdict.text).toContain('by the pushed request_uri check (RFC 9126 §2.2, §4)')
  })
})

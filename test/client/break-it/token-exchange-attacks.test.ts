// Break it's token exchange attacks over real HTTP (RFC 8693): an exchange for
// an audience the client's policy does not list is 400 invalid_target, a
// subject token that is not a token 400 invalid_request (RFC 8693 §2.2.2, as
// this lab answers), and the inspector's verdict names the token exchange check.

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

describe('Break it: token exchange', () => {
  it('lists both attacks, on the Break it page and on the token-exchange walk', async () => {
    const page = await browser.get(`${urls().client}/break`)
    const walk = await browser.get(`${urls().client}/walk/token-exchange`)
    for (const name of ['token-exchange-audience-not-allowed', 'token-exchange-not-a-token']) {
      expect(page.body).toContain(`/break/${name}`)
      expect(walk.body).toContain(`/break/${name}`)
    }
  })

  it('an audience the policy does not list: 400 invalid_target, no WWW-Authenticate', async () => {
    const { text, flow } = await run('token-exchange-audience-not-allowed')
    expect(text('answer-status')).toBe('400')
    expect(text('answer-error')).toBe('invalid_target')
    expect(text('answer-error-description')).toBe(
      `This client may not exchange tokens for ${urls().resource} (its tokenExchange.audiences: ${urls().resource}/mcp).`,
    )
    expect(text('answer-www-authenticate')).toBeUndefined()
    expect(flow.verdict.outcome).toBe('stopped')
    expect(flow.verdict.step).toBe(5)
    expect(flow.verdict.text).toMatch(
      /^✗ Stopped at step 5 by the token exchange check \(RFC 8693 §2\.2\.2\): invalid_target: /,
    )
  })

  it('a subject token that is not a token: 400 invalid_request', async () => {
    const { text, flow } = await run('token-exchange-not-a-token')
    expect(text('answer-status')).toBe('400')
    expect(text('answer-error')).toBe('invalid_request')
    expect(text('answer-error-description')).toContain('subject_token is not an active access token')
    expect(text('answer-www-authenticate')).toBeUndefined()
    expect(flow.verdict.text).toMatch(
      /^✗ Stopped at step 5 by the token exchange check \(RFC 8693 §2\.2\.2\): invalid_request: subject_token/,
    )
  })
})

// Every failure shown, in real headless Chromium: each Break-it run, followed
// to the flow inspector, ends with a ✗ verdict naming the check that stopped
// it; the steps after it say where the flow stopped; refused answers are red.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { closeLabInBrowser, openLabInBrowser, SCREENSHOT_DIR, type LabBrowser } from '../helpers/browser.js'
import type { TestLab } from '../helpers/lab.js'

let lab: TestLab
let browser: LabBrowser
let page: Page

beforeAll(async () => {
  ;({ lab, browser, page } = await openLabInBrowser())
})
afterAll(() => closeLabInBrowser({ lab, browser }))

const ATTACKS: Array<[title: string, check: string, step: number]> = [
  ['Forged state (CSRF)', 'the state check', 4],
  ['Replayed code', 'the one-time code check', 5],
  ['redirect_uri changed at the token endpoint', 'the redirect_uri check', 5],
  ['Wrong client secret', 'client authentication', 5],
  ['Missing PKCE verifier', 'the PKCE check', 5],
  ['Wrong PKCE verifier', 'the PKCE check', 5],
  ['Expired token', 'the access token check', 7],
  ['Token without scope foo', 'the scope check', 7],
  ['Consent denied', 'the resource owner’s consent', 3],
  ['Replayed refresh token', 'refresh token rotation', 5],
  ['Client credentials asked by a public client', 'the token endpoint', 5],
  ['ID token sent to userinfo', 'the access token check', 7],
  ['Tampered JWT (scope widened)', 'the signature check', 7],
  ['JWT with alg none', 'the algorithm check (never alg none)', 7],
  ['Token for another audience', 'the audience (aud) check', 7],
  ['Open redirect at /authorize', 'the registered redirect_uri check', 1],
  ['Code injection (PKCE)', 'the PKCE check', 5],
  ['Mix-up (iss of another server)', 'the issuer (iss) check', 4],
  ['Pushed request_uri replayed', 'the pushed request_uri check', 1],
  ['Pushed request_uri used by another client', 'the pushed request_uri check', 1],
  ['Token exchange for an audience the policy does not allow', 'the token exchange check', 5],
  ['Token exchange with a subject token that is not a token', 'the token exchange check', 5],
]

describe('Break it, seen in the flow inspector', () => {
  for (const [title, check, step] of ATTACKS) {
    it(`${title}: ✗ stopped at step ${step} by ${check}`, async () => {
      await page.goto(`${lab.config.client.publicUrl}/break`)
      await page.getByRole('button', { name: title, exact: true }).click()
      await page.getByRole('heading', { name: `Break it: ${title}` }).waitFor()
      await page.locator('#flow-link').click()
      const verdict = page.locator('#flow-verdict')
      await verdict.waitFor()
      expect(await verdict.getAttribute('data-outcome')).toBe('stopped')
      expect(await verdict.textContent()).toContain(`\u2717 Stopped at step ${step} by ${check} (`)
      expect(await page.locator(`#step-${step} [data-stop]`).textContent()).toContain(check)
      expect(await page.locator('.flow-diagram .arrow.failed').count()).toBeGreaterThan(0)
      // Step 7 was never reached: it says where the flow stopped (a replayed code's first redemption did reach it).
      if (step < 7 && title !== 'Replayed code')
        expect(await page.locator('#step-7 .flow-not-reached').textContent()).toBe(
          `Not reached: the flow stopped at step ${step}.`,
        )
      await page.screenshot({ path: join(SCREENSHOT_DIR, `verdict-${title.replace(/\W+/g, '-')}.png`), fullPage: true })
    })
  }

  it('a forged state draws the victim and the attacker in lanes of their own', async () => {
    await page.goto(`${lab.config.client.publicUrl}/break`)
    await page.getByRole('button', { name: 'Forged state (CSRF)', exact: true }).click()
    await page.locator('#flow-link').click()
    const lanes = await page.locator('.flow-diagram .lane text').allTextContents()
    expect(lanes.slice(0, 2)).toEqual(['Victim\u2019s browser', 'Attacker\u2019s browser'])
  })
})

// The Break-it attacks on forged and misdirected tokens, the open redirect,
// code injection and mix-up, in real headless Chromium: each runs from /break,
// its result page has no serious or critical axe violation at 390 and 1280 px,
// and the flow inspector shows it stopped (✗) by the check that stopped it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { describeViolations, seriousViolations } from '../helpers/axe.js'
import { closeLabInBrowser, openLabInBrowser, SCREENSHOT_DIR, type LabBrowser } from '../helpers/browser.js'
import type { TestLab } from '../helpers/lab.js'

let lab: TestLab
let browser: LabBrowser
let page: Page

beforeAll(async () => {
  ;({ lab, browser, page } = await openLabInBrowser())
})
afterAll(() => closeLabInBrowser({ lab, browser }))

const ATTACKS: ReadonlyArray<[name: string, title: string, check: string, rfc: string]> = [
  ['tampered-jwt', 'Tampered JWT (scope widened)', 'the signature check', 'RFC 7515 §5.2'],
  ['alg-none-jwt', 'JWT with alg none', 'the algorithm check (never alg none)', 'RFC 8725 §3.1'],
  ['token-for-another-audience', 'Token for another audience', 'the audience (aud) check', 'RFC 8707 §2'],
  ['open-redirect', 'Open redirect at /authorize', 'the registered redirect_uri check', 'RFC 9700 §4.1.3'],
  ['code-injection', 'Code injection (PKCE)', 'the PKCE check', 'RFC 7636'],
  ['mix-up', 'Mix-up (iss of another server)', 'the issuer (iss) check', 'RFC 9207 §2.4'],
]

async function expectAccessible(name: string): Promise<void> {
  expect(describeViolations(await seriousViolations(page)).map((line) => `${name}: ${line}`)).toEqual([])
}

describe('Break it: tokens, redirects and callbacks', () => {
  for (const [name, title, check, rfc] of ATTACKS) {
    it(`${title}: accessible at 390 and 1280 px, ✗ by ${check} in the inspector`, async () => {
      await page.setViewportSize({ width: 1280, height: 800 })
      await page.goto(`${lab.config.client.publicUrl}/break`)
      await page.getByRole('button', { name: title, exact: true }).click()
      await page.getByRole('heading', { name: `Break it: ${title}` }).waitFor()
      expect(await page.locator('#verdict').textContent()).toBe('Stopped.')
      await expectAccessible(`${name} at 1280 px`)
      await page.setViewportSize({ width: 390, height: 844 })
      await expectAccessible(`${name} at 390 px`)
      await page.screenshot({ path: join(SCREENSHOT_DIR, `break-it-${name}-390.png`), fullPage: true })
      await page.setViewportSize({ width: 1280, height: 800 })
      await page.locator('#flow-link').click()
      const verdict = page.locator('#flow-verdict')
      await verdict.waitFor()
      expect(await verdict.getAttribute('data-outcome')).toBe('stopped')
      expect(await verdict.textContent()).toContain(`\u2717 Stopped at step `)
      expect(await verdict.textContent()).toContain(`by ${check} (`)
      expect(await verdict.textContent()).toContain(rfc)
      expect(await page.locator('.flow-diagram .arrow.failed').count()).toBeGreaterThan(0)
      await expectAccessible(`${name}'s flow`)
    })
  }

  it('code injection draws the victim and the attacker in lanes of their own', async () => {
    await page.goto(`${lab.config.client.publicUrl}/break`)
    await page.getByRole('button', { name: 'Code injection (PKCE)', exact: true }).click()
    await page.locator('#flow-link').click()
    const lanes = await page.locator('.flow-diagram .lane text').allTextContents()
    expect(lanes.slice(0, 2)).toEqual(['Victim\u2019s browser', 'Attacker\u2019s browser'])
  })
})

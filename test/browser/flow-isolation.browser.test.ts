// Two people side by side, in real headless Chromium: each browser (its own
// profile, so its own cookies) runs a flow, alice in one and bob in the other,
// and each flow inspector shows only its own flow, told apart by the state
// values and the resource owner. A screenshot of each inspector is kept.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { at, first } from '../helpers/lists.js'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { launchBrowser, SCREENSHOT_DIR, type LabBrowser } from '../helpers/browser.js'
import { startTestLab, type TestLab } from '../helpers/lab.js'

let lab: TestLab
const browsers: LabBrowser[] = []

beforeAll(async () => {
  lab = await startTestLab()
  browsers.push(await launchBrowser(), await launchBrowser())
})
afterAll(async () => {
  await Promise.all(browsers.map((b) => b.close()))
  await lab?.close()
})

/** A whole flow as `user`, by clicking; returns the state the client sent (and got back) in this browser. */
async function runFlow(page: Page, user: string): Promise<string> {
  await page.goto(`${lab.config.client.publicUrl}/`)
  await page.getByRole('button', { name: 'Connect' }).click()
  await page.getByLabel('Username').fill(user)
  await page.getByLabel('Password').fill(`${user}-password`)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('button', { name: 'Allow' }).click()
  await page.waitForURL(`${lab.config.client.publicUrl}/authenticated?**`)
  const state = new URL(page.url()).searchParams.get('state')!
  await page.getByRole('button', { name: 'Fetch resource' }).click()
  // Generous: the whole suite shares two cores with Chromium.
  await page.locator('#resource-status').waitFor({ timeout: 20_000 })
  return state
}

describe('the flow inspector, two browsers side by side', () => {
  it('shows each browser only its own flow', async () => {
    const alicePage = await first(browsers).context.newPage()
    const bobPage = await at(browsers, 1).context.newPage()
    const [aliceState, bobState] = await Promise.all([runFlow(alicePage, 'alice'), runFlow(bobPage, 'bob')])
    expect(aliceState).not.toBe(bobState)

    for (const [page, user, own, other] of [
      [alicePage, 'alice', aliceState, bobState],
      [bobPage, 'bob', bobState, aliceState],
    ] as const) {
      await page.goto(`${lab.config.client.publicUrl}/flow`)
      await expect(page.locator('#flow-view').textContent()).resolves.toMatch(/^Your flows/)
      // One flow listed, this browser's, with its resource owner.
      const rows = page.locator('.flow-list tbody tr')
      await expect(rows.count()).resolves.toBe(1)
      await expect(rows.locator('td').nth(2).textContent()).resolves.toBe(user)
      const html = await page.content()
      expect(html).toContain(`state=${own}`)
      expect(html).not.toContain(other)
      // The authorization server's cookie reached the client app: named, its value masked.
      await expect(page.locator('[data-masked="oauth_lab_as_sid"]').count()).resolves.toBe(1)
      // flow.js follows this browser's flows live, with this browser's cookies.
      await page.locator('#flow-live[data-live="open"]').waitFor({ state: 'attached' })
      await page.screenshot({
        path: join(SCREENSHOT_DIR, `flow-isolation-${user}.png`),
        fullPage: true,
        timeout: 20_000,
      })
    }
  }, 120_000)
})

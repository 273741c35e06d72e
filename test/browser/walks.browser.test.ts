// The walk-throughs of client credentials and refresh rotation in real
// headless Chromium: clicked through from /walk, sign-in and consent in the
// browser, each walk's page and its flow in the inspector screenshotted and
// checked with axe at 1280 and 390 px.

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

const shot = (name: string) => page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true })
const next = () => page.locator('#walk-next').click()

async function accessibleAtBothWidths(): Promise<void> {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 800 })
    expect(describeViolations(await seriousViolations(page))).toEqual([])
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    expect(overflow).toBeLessThanOrEqual(0)
  }
  await page.setViewportSize({ width: 1280, height: 800 })
}

async function inspectorOfWalk(name: string, steps: number): Promise<void> {
  await page.locator('#walk-flow-link').click()
  await page.locator('#flow-verdict').waitFor()
  expect(await page.locator('#flow-verdict').getAttribute('data-outcome')).toBe('completed')
  expect(await page.locator(`#step-${steps}`).count()).toBe(1)
  expect(await page.locator(`#step-${steps + 1}`).count()).toBe(0)
  await shot(`walk-${name}-inspector`)
  await accessibleAtBothWidths()
}

describe('walk-throughs in a browser', () => {
  it('client credentials: two Nexts, then its three steps in the inspector', async () => {
    await page.goto(`${lab.config.client.publicUrl}/walk`)
    await page.getByRole('link', { name: 'Client credentials' }).click()
    await page.getByRole('button', { name: 'Start' }).click()
    await next()
    await page.locator('.walk-result', { hasText: 'An access token for the client itself' }).waitFor()
    await next()
    await page.locator('#walk-finished').waitFor()
    expect(await page.locator('#lab-banner').textContent()).toContain('Step 3 of 3')
    await shot('walk-client-credentials')
    await accessibleAtBothWidths()
    await inspectorOfWalk('client-credentials', 3)
  })

  it('refresh rotation: signs in and consents in the browser, rotates, and shows five steps', async () => {
    await page.goto(`${lab.config.client.publicUrl}/walk/refresh`)
    await page.getByRole('button', { name: 'Start' }).click()
    await next()
    await page.getByLabel('Username').fill('alice')
    await page.getByLabel('Password').fill('alice-password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    // A remembered decision from an earlier test may skip consent.
    const allow = page.getByRole('button', { name: 'Allow' })
    await Promise.race([allow.waitFor().then(() => allow.click()), page.waitForURL(/\/walk\/refresh/)])
    await page.waitForURL(/\/walk\/refresh/)
    await page.locator('.walk-result', { hasText: 'An access token and a refresh token' }).waitFor()
    await next()
    await next()
    await page.locator('.walk-result', { hasText: 'A new access token and a new refresh token' }).waitFor()
    await next()
    await page.locator('#walk-finished').waitFor()
    await shot('walk-refresh')
    await accessibleAtBothWidths()
    await inspectorOfWalk('refresh', 5)
  })
})

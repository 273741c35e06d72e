// Presentation mode of the flow inspector in real headless Chromium: one step
// per screen, ← and → (keyboard only) move between the seven steps, Esc
// leaves; axe-core finds nothing serious at a projector's and a phone's width.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { closeLabInBrowser, openLabInBrowser, SCREENSHOT_DIR, type LabBrowser } from '../helpers/browser.js'
import type { TestLab } from '../helpers/lab.js'
import { describeViolations, seriousViolations as axeViolations } from '../helpers/axe.js'

let lab: TestLab
let browser: LabBrowser
let page: Page

beforeAll(async () => {
  ;({ lab, browser, page } = await openLabInBrowser())
  // One whole flow in this browser: Connect, sign in, allow, fetch the resource.
  await page.goto(`${lab.config.client.publicUrl}/`)
  await page.getByRole('button', { name: 'Connect' }).click()
  await page.getByLabel('Username').fill('alice')
  await page.getByLabel('Password').fill('alice-password')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('button', { name: 'Allow' }).click()
  await page.getByRole('button', { name: 'Fetch resource' }).click()
  await page.locator('#resource-status').waitFor()
})
afterAll(() => closeLabInBrowser({ lab, browser }))

async function seriousViolations(): Promise<string[]> {
  return describeViolations(await axeViolations(page))
}

const heading = () => page.locator('#present-heading').textContent()

describe('presentation mode', () => {
  it('is a button on the inspector, and shows step 1 alone, with its key values highlighted', async () => {
    await page.setViewportSize({ width: 1920, height: 1080 })
    await page.goto(`${lab.config.client.publicUrl}/flow`)
    await page.getByRole('link', { name: 'Present (one step per screen)' }).click()
    expect(await heading()).toBe('Step 1: Client app redirects resource owner to Authorization server')
    expect(await page.locator('.present-exchange').count()).toBeGreaterThan(0)
    expect(await page.locator('.present-exchange mark.hl-state').count()).toBeGreaterThan(0)
    expect(await page.locator('#flow-verdict').getAttribute('data-outcome')).toBe('completed')
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'present-1920.png') })
  })

  it('moves with → and ← alone, stops at the ends, and Esc leaves', async () => {
    for (let n = 2; n <= 7; n++) {
      await page.keyboard.press('ArrowRight')
      await page.waitForURL(new RegExp(`/flow/[\\w-]+\\?present=1&step=${n}$`))
      expect(await heading()).toMatch(new RegExp(`^Step ${n}: `))
    }
    expect(await page.locator('#present-next').count()).toBe(0)
    await page.keyboard.press('ArrowLeft')
    await page.waitForURL(/\/flow\/[\w-]+\?present=1&step=6$/)
    expect(await page.locator('.present-exchange mark.hl-access_token').count()).toBeGreaterThan(0)
    await page.keyboard.press('Escape')
    await page.waitForURL(/\/flow\/[\w-]+#step-6$/)
    expect(await page.locator('#present').count()).toBe(0)
  })

  it('has buttons that do the same', async () => {
    await page.goto(`${lab.config.client.publicUrl}/flow?present=1&step=3`)
    await page.getByRole('link', { name: 'Step 4 \u2192' }).click()
    await page.waitForURL('**/flow?present=1&step=4')
    await page.getByRole('link', { name: '\u2190 Step 3' }).click()
    await page.waitForURL('**/flow?present=1&step=3')
  })

  for (const [width, height] of [
    [1280, 800],
    [390, 844],
  ] as const) {
    it(`is axe clean at ${width} px, and nothing overflows sideways`, async () => {
      await page.setViewportSize({ width, height })
      for (const step of [1, 5, 7]) {
        await page.goto(`${lab.config.client.publicUrl}/flow?present=1&step=${step}`)
        expect(await seriousViolations()).toEqual([])
      }
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
      expect(overflow).toBeLessThanOrEqual(0)
      await page.screenshot({ path: join(SCREENSHOT_DIR, `present-${width}.png`) })
    })
  }
})

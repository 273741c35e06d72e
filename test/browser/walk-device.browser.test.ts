// The device walk-through (RFC 8628) in real headless Chromium: the learner's
// browser plays the walk and opens the TV screen (user code, QR code,
// countdown); a second Chromium with its own profile plays the phone on the
// verification page; the TV screen polls by itself until the approval lands.
// Screenshots of the TV screen, the walk and its inspector flow; axe at 1280
// and 390 px.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { describeViolations, seriousViolations } from '../helpers/axe.js'
import { closeLabInBrowser, launchBrowser, SCREENSHOT_DIR, type LabBrowser } from '../helpers/browser.js'
import { startTestLab, type TestLab } from '../helpers/lab.js'

let lab: TestLab
let browser: LabBrowser
let phoneBrowser: LabBrowser
let page: Page
let phone: Page

beforeAll(async () => {
  // A 1 s interval keeps the TV screen's polls quick; the rule is the same.
  lab = await startTestLab({ DEVICE_POLL_INTERVAL_SECONDS: '1' })
  browser = await launchBrowser()
  phoneBrowser = await launchBrowser()
  page = await browser.context.newPage()
  phone = await phoneBrowser.context.newPage()
  await phone.setViewportSize({ width: 390, height: 844 })
})
afterAll(async () => {
  await phoneBrowser?.close()
  await closeLabInBrowser({ lab, browser })
})

const shot = (p: Page, name: string) => p.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true })

async function axeAtBothWidths(p: Page): Promise<void> {
  for (const [width, height] of [
    [1280, 800],
    [390, 844],
  ] as const) {
    await p.setViewportSize({ width, height })
    const violations = await seriousViolations(p)
    expect(violations, `${p.url()} at ${width} px: ${describeViolations(violations).join('; ')}`).toEqual([])
  }
  await p.setViewportSize({ width: 1280, height: 800 })
}

describe('the device walk-through in a browser', () => {
  it('asks for a device code and shows the TV screen with the user code, a QR code and a countdown', async () => {
    await page.setViewportSize({ width: 1280, height: 800 })
    await page.goto(`${lab.config.client.publicUrl}/walk/device`)
    await page.getByRole('button', { name: 'Start' }).click()
    await page.getByRole('button', { name: /^Next: Ask for a device code/ }).click()
    await page.getByText('\u2713 A device code and a user code').waitFor()
    await page.getByRole('button', { name: /^Next: Show the code on the TV screen/ }).click()
    await page.getByRole('link', { name: 'Open the TV screen' }).click()
    await page.waitForURL(`${lab.config.client.publicUrl}/walk/device/tv`)
    const code = (await page.locator('#tv-user-code').textContent()) ?? ''
    expect(code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/)
    const qr = page.locator('#tv-qr')
    expect(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true)
    // The countdown runs (the device code lives 600 s by default).
    const first = Number(await page.locator('#tv-remaining').textContent())
    expect(first).toBeGreaterThan(590)
    await page.waitForFunction((start) => Number(document.getElementById('tv-remaining')?.textContent) < start, first)
    await shot(page, 'walk-device-tv')
    await axeAtBothWidths(page)
  })

  it('the phone (another browser) opens the QR code\u2019s URL, signs in and allows; the TV screen polls until it has the token', async () => {
    const complete = (await page.locator('#tv-verification-uri-complete').getAttribute('href')) ?? ''
    const code = (await page.locator('#tv-user-code').textContent()) ?? ''
    expect(complete).toBe(`${lab.config.auth.publicUrl}/device?user_code=${code}`)
    await page.getByLabel(/Poll by itself/).check()

    await phone.goto(complete)
    expect(await phone.getByLabel('Code').inputValue()).toBe(code)
    await phone.getByRole('button', { name: 'Continue' }).click()
    await phone.getByLabel('Username').fill('alice')
    await phone.getByLabel('Password').fill('alice-password')
    await phone.getByRole('button', { name: 'Sign in' }).click()
    await phone.getByRole('heading', { name: 'Authorize OAuth Public Client' }).waitFor()
    await shot(phone, 'walk-device-phone-consent')
    await phone.getByRole('button', { name: 'Allow' }).click()
    await phone.getByText('You can return to your device').waitFor()

    await page.locator('#tv-status', { hasText: 'Approved: the token endpoint issued the tokens' }).waitFor()
    expect(await page.getByLabel(/Poll by itself/).isChecked()).toBe(false)
    const polls = lab.exchanges.filter((e) => e.role === 'auth' && e.url === '/token')
    expect(polls.at(-1)?.status).toBe(200)
    expect(polls.every((e) => e.status === 200 || e.responseBody.includes('authorization_pending'))).toBe(true)
  })

  it('calls the resource, then the inspector shows the walk\u2019s seven steps, completed', async () => {
    await page.getByRole('link', { name: 'Back to the walk-through' }).click()
    await page.getByRole('button', { name: /^Next: Call the resource server/ }).click()
    await page.locator('#walk-finished').waitFor()
    expect(await page.getByText('Hello alice').count()).toBeGreaterThan(0)
    await shot(page, 'walk-device')
    await axeAtBothWidths(page)

    await page.getByRole('link', { name: 'This walk in the flow inspector' }).click()
    const verdict = page.locator('#flow-verdict')
    await verdict.waitFor()
    expect(await verdict.getAttribute('data-outcome')).toBe('completed')
    expect(await page.getByText('The device polls the token endpoint').count()).toBeGreaterThan(0)
    await shot(page, 'walk-device-flow')
    await axeAtBothWidths(page)
  })
})

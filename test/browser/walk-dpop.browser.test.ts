// The DPoP walk-through (RFC 9449) in real headless Chromium, with server
// nonces on: Start, Next, sign in and consent at the authorization server,
// then one Next per DPoP request; the walk page and its flow in the inspector
// are screenshotted and checked with axe. Then the walk's four Break-it
// attacks, each run from the walk's page, end with ✗ in the inspector.

import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeViolations, seriousViolations } from '../helpers/axe.js'
import { launchBrowser, SCREENSHOT_DIR, type LabBrowser } from '../helpers/browser.js'
import { startTestLab, type TestLab } from '../helpers/lab.js'

let lab: TestLab
let browser: LabBrowser
let page: Page

beforeAll(async () => {
  lab = await startTestLab({ DPOP_NONCE: 'on' })
  browser = await launchBrowser()
  page = await browser.context.newPage()
})
afterAll(async () => {
  await browser?.close()
  await lab?.close()
})

const shot = (name: string) => page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true })
const walkUrl = () => `${lab.config.client.publicUrl}/walk/dpop`

async function expectAccessible(name: string): Promise<void> {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 })
    const found = describeViolations(await seriousViolations(page))
    expect(found.map((line) => `${name} at ${width} px: ${line}`)).toEqual([])
  }
  await page.setViewportSize({ width: 1280, height: 900 })
}

/** Waits for a stop's result on the walk page (its ✓/✗ line). */
const result = (title: string) => page.locator('.walk-result p', { hasText: title }).waitFor()

async function next(action: string): Promise<void> {
  const button = page.locator('#walk-next')
  expect(await button.textContent()).toContain(action)
  await button.click()
}

describe('the DPoP walk-through in a browser', () => {
  it('walks it by clicking: sign-in and consent in the browser, then each DPoP request', async () => {
    await page.goto(walkUrl())
    await page.getByRole('button', { name: 'Start', exact: true }).click()
    await page.waitForURL(walkUrl())
    await next('Send your browser to the authorization server')
    await page.waitForURL(`${lab.config.auth.publicUrl}/authorize?**`)
    await page.getByLabel('Username').fill('alice')
    await page.getByLabel('Password').fill('alice-password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('button', { name: 'Allow' }).click()
    await page.waitForURL(walkUrl())
    await result('Back with a code')

    await next('Send the token request with a DPoP proof')
    await result('The server asks for its nonce first (use_dpop_nonce)')
    await shot('walk-dpop-nonce')
    await next('Retry the token request with the server\u2019s nonce')
    await result('A DPoP-bound access token')
    await next('Call the resource with Authorization: DPoP')
    await result('The resource server answered')
    await next('Refresh the token with a new proof')
    await page.locator('#walk-finished').waitFor()
    const results = await page.locator('.walk-result').allTextContents()
    expect(results).toHaveLength(5)
    expect(results.join('\n')).not.toContain('\u2717 ')
    expect(results.join('\n')).toContain('The token is bound to the walk\u2019s key')
    await shot('walk-dpop')
    await expectAccessible('walk page')
  }, 90_000)

  it('shows the walk in the inspector: its six steps, its checks, completed', async () => {
    await page.locator('#walk-flow-link').click()
    const verdict = page.locator('#flow-verdict')
    await verdict.waitFor()
    expect(await verdict.getAttribute('data-outcome')).toBe('completed')
    const body = (await page.locator('main').textContent()) ?? ''
    expect(body).toContain('The server asks for its nonce (when DPOP_NONCE is on)')
    expect(body).toContain('jkt: the token\u2019s cnf.jkt is the thumbprint of the proof\u2019s key')
    expect(body).toContain('ath: the proof carries the SHA-256 hash of the access token')
    await shot('walk-dpop-inspector')
    await expectAccessible('the walk in the inspector')
  }, 90_000)

  it.each([
    ['DPoP token replayed as Bearer', 'invalid_token'],
    ['Replayed DPoP proof', 'invalid_dpop_proof'],
    ['DPoP proof for another URL', 'invalid_dpop_proof'],
    ['DPoP token with another key\u2019s proof', 'invalid_dpop_proof'],
  ])('runs "%s" from the walk page: stopped, ✗ by the DPoP check in the inspector', async (title, error) => {
    await page.goto(walkUrl())
    await page.getByRole('button', { name: title, exact: true }).click()
    await page.locator('#verdict').waitFor()
    expect(await page.locator('#verdict').textContent()).toBe('Stopped.')
    expect(await page.locator('#answer-status').textContent()).toBe('401')
    expect(await page.locator('#answer-error').textContent()).toBe(error)
    expect(await page.locator('#answer-www-authenticate').textContent()).toMatch(new RegExp(`^DPoP error="${error}"`))
    const slug = title.toLowerCase().replace(/[^a-z]+/g, '-')
    await shot(`walk-dpop-attack-${slug}`)
    await page.locator('#flow-link').click()
    const verdict = page.locator('#flow-verdict')
    await verdict.waitFor()
    expect(await verdict.getAttribute('data-outcome')).toBe('stopped')
    expect(await verdict.getAttribute('data-check')).toBe('dpop')
    expect(await verdict.textContent()).toMatch(/^\u2717 Stopped at step 7 by the DPoP check \(RFC 9449 §7\.1\)/)
    await shot(`walk-dpop-attack-${slug}-inspector`)
  })
})

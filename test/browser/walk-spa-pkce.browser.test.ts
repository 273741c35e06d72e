// The SPA walk-through in real headless Chromium: the page's own script makes
// the PKCE pair with WebCrypto, the learner signs in and consents, the script
// redeems the code at /token and calls the resource with fetch across origins,
// and the walk's page shows what it saw. Screenshots and axe at 1280 and 390 px.

import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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

/** Errors the page's script threw or the CSP reported, and the verifier it made (shared by the steps below). */
const errors: string[] = []
let verifier = ''

const shot = (name: string) => page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true })

async function axeAtBothWidths(): Promise<void> {
  for (const [width, height] of [
    [1280, 800],
    [390, 844],
  ] as const) {
    await page.setViewportSize({ width, height })
    expect(describeViolations(await seriousViolations(page)), `${page.url()} at ${width} px`).toEqual([])
  }
  await page.setViewportSize({ width: 1280, height: 800 })
}

describe('the SPA walk-through in a browser', () => {
  it('runs the public client with PKCE from the page, clicking through sign-in and consent', async () => {
    // Uncaught errors of the page's script, and any CSP refusal (a blocked fetch or script).
    page.on('pageerror', (error) => errors.push(error.message))
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) errors.push(m.text())
    })
    await page.goto(`${lab.config.client.publicUrl}/walk/spa-pkce`)
    await axeAtBothWidths()
    await page.getByRole('button', { name: 'Start', exact: true }).click()
    await page.getByRole('button', { name: /^Next: Open the SPA/ }).click()
    await page.waitForURL(`${lab.config.client.publicUrl}/walk/spa-pkce/app?**`)

    await page.getByRole('button', { name: 'Make the code_verifier and the code_challenge' }).click()
    await page.locator('#spa-pkce').waitFor()
    verifier = (await page.locator('#spa-verifier').textContent()) ?? ''
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const stored = await page.evaluate(() => sessionStorage.getItem('oauth-lab-spa-pkce'))
    expect(JSON.parse(stored ?? '{}')).toMatchObject({ verifier })
    await axeAtBothWidths()
    await shot('walk-spa-pkce-1-pkce')
  }, 90_000)

  it("signs in and consents by clicking, back to the SPA's page", async () => {
    await page.getByRole('button', { name: 'Send the browser to /authorize' }).click()
    await page.waitForURL(`${lab.config.auth.publicUrl}/authorize?**`)
    const sent = new URL(page.url()).searchParams
    expect(sent.get('client_id')).toBe('oauth-client-public')
    expect(sent.get('code_challenge')).toBe(
      Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))).toString('base64url'),
    )
    await page.getByLabel('Username').fill('alice')
    await page.getByLabel('Password').fill('alice-password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('button', { name: 'Allow' }).click()
    await page.waitForURL(`${lab.config.client.publicUrl}/walk/spa-pkce/app`)
  }, 90_000)

  it('redeems the code and calls the resource from the page, across origins', async () => {
    await page.getByRole('button', { name: 'POST the code and the code_verifier to /token' }).click()
    await page.locator('#spa-token-out').waitFor()
    expect(await page.locator('#spa-token-out').textContent()).toMatch(/^HTTP 200\ntoken_type Bearer/)
    await page.getByRole('button', { name: 'Call the resource with the access token' }).click()
    await page.locator('#spa-resource-out').waitFor()
    expect(await page.locator('#spa-resource-out').textContent()).toMatch(/^HTTP 200\n/)
    await axeAtBothWidths()
    await shot('walk-spa-pkce-2-spa')

    // What the browser sent: an Origin header, no Authorization, the verifier; a preflight before the resource.
    const token = lab.exchanges.filter((e) => e.role === 'auth' && e.url === '/token').at(-1)!
    expect(token.headers.origin).toBe(new URL(lab.config.client.publicUrl).origin)
    expect(token.headers.authorization).toBeUndefined()
    expect(token.body).toMatchObject({ client_id: 'oauth-client-public', code_verifier: verifier })
    expect(lab.exchanges.some((e) => e.role === 'resource' && e.method === 'OPTIONS' && e.status === 204)).toBe(true)
    expect(await page.evaluate(() => sessionStorage.getItem('oauth-lab-spa-pkce'))).toBeNull()
  }, 90_000)

  it("reports back to the walk's page, and the inspector shows the flow completed", async () => {
    await page.getByRole('button', { name: 'Back to the walk-through' }).click()
    await page.locator('#walk-finished').waitFor()
    expect(await page.locator('#step-7').textContent()).toContain('The resource, read by the SPA from the browser')
    await axeAtBothWidths()
    await shot('walk-spa-pkce')

    await page.getByRole('link', { name: 'This walk in the flow inspector' }).click()
    await page.waitForURL(`${lab.config.client.publicUrl}/flow/w_spa-pkce_**`)
    const verdict = await page.locator('#flow-verdict').getAttribute('data-outcome')
    expect(verdict).toBe('completed')
    await axeAtBothWidths()
    await shot('walk-spa-pkce-inspector')
    expect(errors).toEqual([])
  }, 90_000)
})

// The OpenID Connect walk-through in real headless Chromium: Start, Next to
// the authorization server, sign in and consent by clicking, each Next on
// the walk's page, the ID token's checks shown ✓, /userinfo, and the logout
// confirmed at the end_session_endpoint. Screenshots and axe at 1280 and 390 px.

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

const walkUrl = () => `${lab.config.client.publicUrl}/walk/oidc`
const next = (action: RegExp) => page.getByRole('button', { name: action }).click()

describe('the OpenID Connect walk-through in a browser', () => {
  it('signs in with an ID token, checks it, reads /userinfo and signs out', async () => {
    const walk = walkUrl()
    await page.goto(walk)
    await page.getByRole('button', { name: 'Start', exact: true }).click()
    await next(/^Next: Send the browser to \/authorize/)
    await page.waitForURL(`${lab.config.auth.publicUrl}/authorize?**`)
    expect(new URL(page.url()).searchParams.get('scope')).toBe('openid profile email')
    await page.getByLabel('Username').fill('alice')
    await page.getByLabel('Password').fill('alice-password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('button', { name: 'Allow' }).click()
    await page.waitForURL(walk)
    expect(await page.locator('#step-4').textContent()).toContain('The code is back at the redirect URI')
  }, 90_000)

  it('sends the token request, validates the ID token and calls /userinfo', async () => {
    const walk = walkUrl()
    await next(/^Next: Send the token request/)
    await page.waitForURL(`${walk}#step-5`)
    await next(/^Next: Validate the ID token/)
    await page.waitForURL(`${walk}#step-6`)
    const checks = (await page.locator('#step-6 .walk-result').textContent()) ?? ''
    expect(checks).toContain('The ID token is valid')
    for (const name of ['signature', 'iss', 'aud', 'exp', 'iat', 'nonce']) expect(checks).toContain(`\u2713 ${name}: `)
    expect(checks).not.toContain('\u2717')
    await next(/^Next: Call \/userinfo/)
    await page.waitForURL(`${walk}#step-7`)
    expect(await page.locator('#step-7').textContent()).toContain('\u2713 sub alice equals the ID token\u2019s sub')
    await axeAtBothWidths()
  }, 90_000)

  it('signs out at the end_session_endpoint and comes back to the walk', async () => {
    const walk = walkUrl()
    await next(/^Next: Sign out through the end_session_endpoint/)
    await page.waitForURL(`${lab.config.auth.publicUrl}/end-session?**`)
    expect(new URL(page.url()).searchParams.get('id_token_hint')).toMatch(/^ey/)
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL(walk)
    await page.locator('#walk-finished').waitFor()
    expect(await page.locator('#step-7').textContent()).toContain(
      'Signed out at the authorization server, and back at the client',
    )
    await axeAtBothWidths()
    await shot('walk-oidc')

    await page.getByRole('link', { name: 'This walk in the flow inspector' }).click()
    await page.waitForURL(`${lab.config.client.publicUrl}/flow/w_oidc_**`)
    expect(await page.locator('#flow-verdict').getAttribute('data-outcome')).toBe('completed')
    await axeAtBothWidths()
    await shot('walk-oidc-inspector')
  }, 90_000)
})

// The pushed-authorization-request walk-through in real headless Chromium:
// Start, Next to push, Next for the short URL, Next sends this browser to the
// authorization server with client_id and request_uri only; sign in, allow,
// back at the walk; the token and the resource; the walk's inspector flow.
// Screenshots of both pages, and axe at 1280 and 390 px.

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
const next = (action: string) => page.getByRole('button', { name: `Next: ${action}` }).click()

async function axeAt(width: number): Promise<string[]> {
  await page.setViewportSize({ width, height: 900 })
  return describeViolations(await seriousViolations(page))
}

describe('the par walk-through in a browser', () => {
  it('pushes the request and shows the short front-channel URL', async () => {
    await page.goto(`${lab.config.client.publicUrl}/walk/par`)
    await page.getByRole('button', { name: 'Start', exact: true }).click()
    await next('Push the authorization request (POST /par)')
    await page.getByText('A request_uri for the pushed request').waitFor()
    await next('Build the front-channel URL')
    await page.getByText('The short URL your browser will carry').waitFor()
    expect(await page.locator('#step-3 pre').textContent()).toContain('client_id and request_uri only')
  })

  it('sends this browser with client_id and request_uri only; sign-in and consent bring it back', async () => {
    await next('Send your browser to sign in and consent')
    await page.waitForURL(`${lab.config.auth.publicUrl}/authorize?**`)
    expect([...new URL(page.url()).searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])
    await page.getByLabel('Username').fill('alice')
    await page.getByLabel('Password').fill('alice-password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('button', { name: 'Allow' }).click()
    await page.waitForURL(`${lab.config.client.publicUrl}/walk/par`)
    await page.getByText('The code is back at the callback').waitFor()
  })

  it('redeems the code, calls the resource, and the page is axe clean at 1280 and 390 px', async () => {
    await next('Redeem the code with the PKCE verifier')
    await page.getByText('An access token for the pushed request').waitFor()
    await next('Call the resource server with the token')
    await page.locator('#walk-finished').waitFor()
    expect(await page.locator('#step-7 pre').textContent()).toContain('Hello alice')
    expect(await page.locator('.walk-result p.error').count()).toBe(0)
    expect(await axeAt(1280)).toEqual([])
    await shot('walk-par')
    expect(await axeAt(390)).toEqual([])
    await shot('walk-par-390')
  })

  it('shows the walk in the inspector: seven steps, every check ✓, completed', async () => {
    await page.setViewportSize({ width: 1280, height: 900 })
    await page.locator('#walk-flow-link').click()
    await page.waitForURL(`${lab.config.client.publicUrl}/flow/w_par_**`)
    const body = (await page.locator('main').textContent()) ?? ''
    expect(body).toContain('The browser carries only client_id and request_uri')
    expect(body).toContain('The front channel carried only client_id and request_uri')
    expect(body).toContain('The pushed request_uri was used once')
    expect(body).not.toContain('✗')
    expect(await axeAt(1280)).toEqual([])
    await shot('walk-par-inspector')
    expect(await axeAt(390)).toEqual([])
  })

  it('a Break it button on the walk page: the replayed request_uri is stopped', async () => {
    await page.goto(`${lab.config.client.publicUrl}/walk/par`)
    await page.getByRole('button', { name: 'Pushed request_uri replayed' }).click()
    await page.locator('#verdict').waitFor()
    expect(await page.locator('#verdict').textContent()).toBe('Stopped.')
    expect(await page.locator('#answer-status').textContent()).toBe('400')
    await shot('walk-par-attack-replayed')
  })
})

// A person's walk through the seven steps, in real headless Chromium.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import {
  closeLabInBrowser,
  launchBrowser,
  openLabInBrowser,
  SCREENSHOT_DIR,
  type LabBrowser,
} from '../helpers/browser.js'
import type { TestLab } from '../helpers/lab.js'
import { first } from '../helpers/lists.js'

let lab: TestLab
let browser: LabBrowser
let page: Page

beforeAll(async () => {
  ;({ lab, browser, page } = await openLabInBrowser())
})
afterAll(() => closeLabInBrowser({ lab, browser }))

const shot = (name: string) => page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true })

describe('in a browser', () => {
  it('Connect, sign in as alice, allow, fetch the resource', async () => {
    await page.goto(`${lab.config.client.publicUrl}/`)
    await shot('01-client-home')
    await page.getByRole('button', { name: 'Connect' }).click()

    // Step 2: the authorization server's login page.
    await page.waitForURL(`${lab.config.auth.publicUrl}/authorize?**`)
    await shot('02-login')
    await page.getByLabel('Username').fill('alice')
    await page.getByLabel('Password').fill('alice-password')
    await page.getByRole('button', { name: 'Sign in' }).click()

    // Step 3: consent.
    await page.getByRole('heading', { name: 'Authorize OAuth Client 1' }).waitFor()
    await page.getByRole('button', { name: 'Allow' }).waitFor()
    expect(await page.getByLabel('Remember this decision').isChecked()).toBe(true)
    await shot('03-consent')
    await page.getByRole('button', { name: 'Allow' }).click()

    // Steps 4-6: back at the client with a token.
    await page.waitForURL(`${lab.config.client.publicUrl}/authenticated?**`)
    await page.getByRole('button', { name: 'Fetch resource' }).waitFor()
    const tokenRequests = lab.exchanges.filter((e) => e.role === 'auth' && e.url === '/token')
    expect(tokenRequests).toHaveLength(1)
    const accessToken = JSON.parse(first(tokenRequests).responseBody).access_token as string
    expect(await page.content()).toContain(accessToken)
    await shot('04-token')

    // Step 7.
    await page.getByRole('button', { name: 'Fetch resource' }).click()
    await page.locator('#resource-status').waitFor()
    expect(await page.locator('#resource-status').textContent()).toBe('200')
    const body = JSON.parse((await page.locator('#resource-body').textContent()) ?? '{}')
    expect(body).toMatchObject({ sub: 'alice', client_id: 'oauth-client-1' })
    await shot('05-resource')
  })

  it('the flow again: no consent page, straight back with a token', async () => {
    const consentPagesBefore = lab.exchanges.filter(
      (e) => e.role === 'auth' && e.responseBody.includes('name="decision"'),
    ).length
    await page.goto(`${lab.config.client.publicUrl}/`)
    await page.getByRole('button', { name: 'Connect' }).click()
    await page.waitForURL(`${lab.config.client.publicUrl}/authenticated?**`)
    await page.getByRole('button', { name: 'Fetch resource' }).waitFor()
    const consentPagesAfter = lab.exchanges.filter(
      (e) => e.role === 'auth' && e.responseBody.includes('name="decision"'),
    ).length
    expect(consentPagesAfter).toBe(consentPagesBefore)
    expect(lab.exchanges.filter((e) => e.role === 'auth' && e.url === '/token')).toHaveLength(2)
    await shot('06-second-flow')
  })

  it('a new browser session signs in again but is not asked to consent', async () => {
    const fresh = await launchBrowser()
    try {
      const p = await fresh.context.newPage()
      await p.goto(`${lab.config.client.publicUrl}/`)
      await p.getByRole('button', { name: 'Connect' }).click()
      await p.getByLabel('Username').fill('alice')
      await p.getByLabel('Password').fill('alice-password')
      await p.getByRole('button', { name: 'Sign in' }).click()
      await p.waitForURL(`${lab.config.client.publicUrl}/authenticated?**`)
      await p.getByRole('button', { name: 'Fetch resource' }).waitFor()
    } finally {
      await fresh.close()
    }
  })

  it('a wrong password shows the error on the login page', async () => {
    const fresh = await launchBrowser()
    try {
      const p = await fresh.context.newPage()
      await p.goto(`${lab.config.client.publicUrl}/connect`)
      await p.getByLabel('Username').fill('alice')
      await p.getByLabel('Password').fill('nope')
      await p.getByRole('button', { name: 'Sign in' }).click()
      await p.getByRole('alert').waitFor()
      expect(await p.getByRole('alert').textContent()).toContain('Wrong username or password.')
      await p.screenshot({ path: join(SCREENSHOT_DIR, '07-wrong-password.png') })
    } finally {
      await fresh.close()
    }
  })
})

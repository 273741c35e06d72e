// axe-core, run in real Chromium, on every HTML page of the lab: no serious or
// critical violation. (The resource server has no HTML pages: JSON only.)
// The same walk checks that no page asks for anything outside the lab.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { closeLabInBrowser, openLabInBrowser, type LabBrowser } from '../helpers/browser.js'
import type { TestLab } from '../helpers/lab.js'
import { describeViolations, seriousViolations } from '../helpers/axe.js'

let lab: TestLab
let browser: LabBrowser
let page: Page
const foreignRequests: string[] = []

beforeAll(async () => {
  ;({ lab, browser, page } = await openLabInBrowser())
  page.on('request', (request) => {
    const url = new URL(request.url())
    if (!['localhost', '127.0.0.1'].includes(url.hostname) && url.protocol !== 'data:')
      foreignRequests.push(request.url())
  })
})
afterAll(() => closeLabInBrowser({ lab, browser }))

async function expectAccessible(name: string): Promise<void> {
  expect(describeViolations(await seriousViolations(page)).map((line) => `${name}: ${line}`)).toEqual([])
}

describe('accessibility (axe-core in Chromium)', () => {
  it('client home, AS login, consent, token page, flow inspector, Break it, AS grants and error pages', async () => {
    const client = lab.config.client.publicUrl
    const auth = lab.config.auth.publicUrl
    await page.goto(`${client}/`)
    await expectAccessible('client home')

    await page.getByRole('button', { name: 'Connect' }).click()
    await page.getByLabel('Username').waitFor()
    await expectAccessible('login')
    await page.getByLabel('Username').fill('alice')
    await page.getByLabel('Password').fill('wrong')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('alert').waitFor()
    await expectAccessible('login with error')
    await page.getByLabel('Password').fill('alice-password')
    await page.getByRole('button', { name: 'Sign in' }).click()

    await page.getByRole('button', { name: 'Allow' }).waitFor()
    await expectAccessible('consent')
    await page.getByRole('button', { name: 'Allow' }).click()

    await page.getByRole('button', { name: 'Fetch resource' }).waitFor()
    await expectAccessible('token page')
    await page.getByRole('button', { name: 'Fetch resource' }).click()
    await page.locator('#resource-status').waitFor()
    await expectAccessible('resource answer')

    for (const path of ['/flow', '/break']) {
      const res = await page.goto(`${client}${path}`)
      expect(res?.status()).toBe(200)
      await expectAccessible(path)
    }

    await page.goto(`${auth}/account/grants`)
    await expectAccessible('account grants')
    const bad = await page.goto(`${auth}/authorize?client_id=nobody`)
    expect(bad?.status()).toBe(400)
    await expectAccessible('authorization error page')

    expect(foreignRequests).toEqual([])
  })

  it('the device grant: verification page, wrong code, consent and the end page (RFC 8628 §3.3)', async () => {
    const auth = lab.config.auth.publicUrl
    const started = await fetch(`${lab.config.auth.internalUrl}/device_authorization`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: 'oauth-client-public', scope: 'foo' }).toString(),
    })
    const { user_code: userCode } = (await started.json()) as { user_code: string }
    await page.goto(`${auth}/device`)
    await expectAccessible('device code page')
    await page.getByLabel('Code').fill('BBBB-BBBB')
    await page.getByRole('button', { name: 'Continue' }).click()
    await page.getByRole('alert').waitFor()
    await expectAccessible('device code page with error')
    await page.getByLabel('Code').fill(userCode)
    await page.getByRole('button', { name: 'Continue' }).click()
    // Signed in by the walk above, or not if this test runs alone.
    if ((await page.getByLabel('Password').count()) > 0) {
      await page.getByLabel('Username').fill('alice')
      await page.getByLabel('Password').fill('alice-password')
      await page.getByRole('button', { name: 'Sign in' }).click()
    }
    await page.getByRole('button', { name: 'Allow' }).waitFor()
    await expectAccessible('device consent')
    await page.getByRole('button', { name: 'Allow' }).click()
    await page.getByText('You can return to your device').waitFor()
    await expectAccessible('device connected')
    expect(foreignRequests).toEqual([])
  })
})

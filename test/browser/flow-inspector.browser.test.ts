// The flow inspector in headless Chromium: after a flow run by clicking, the
// seven steps and the diagram are on /flow, and the page follows a second
// flow live while it is open, put together from the sections the stream
// pushes (no fetch). Nothing is loaded from outside the lab.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { launchBrowser, SCREENSHOT_DIR, type LabBrowser } from '../helpers/browser.js'
import { startTestLab, type TestLab } from '../helpers/lab.js'

const TITLES = [
  'Step 1: Client app redirects resource owner to Authorization server',
  'Step 2: Resource owner authenticates on Authorization server',
  'Step 3: Owner authorizes client app',
  'Step 4: Auth server redirects owner with authorization code',
  'Step 5: Client app requests Access token from Auth server',
  'Step 6: Auth server issues access token to client to access resource',
  'Step 7: Client uses access token to access protected resource',
]

let lab: TestLab
let browser: LabBrowser
const requested: string[] = []

beforeAll(async () => {
  lab = await startTestLab()
  browser = await launchBrowser()
  browser.context.on('request', (request) => requested.push(request.url()))
})
afterAll(async () => {
  await browser?.close()
  await lab?.close()
})

async function connectAndFetch(page: Page, signIn: boolean): Promise<void> {
  await page.goto(`${lab.config.client.publicUrl}/`)
  await page.getByRole('button', { name: 'Connect' }).click()
  if (signIn) {
    await page.getByLabel('Username').fill('alice')
    await page.getByLabel('Password').fill('alice-password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('button', { name: 'Allow' }).click()
  }
  await page.waitForURL(`${lab.config.client.publicUrl}/authenticated?**`)
  await page.getByRole('button', { name: 'Fetch resource' }).click()
  // Generous: the whole suite shares two cores with Chromium.
  await page.locator('#resource-status').waitFor({ timeout: 20_000 })
}

describe('the flow inspector in a browser', () => {
  it('shows the seven steps and the diagram, and follows a new flow live', async () => {
    const page = await browser.context.newPage()
    await connectAndFetch(page, true)

    const inspector = await browser.context.newPage()
    await inspector.goto(`${lab.config.client.publicUrl}/flow`)
    for (const title of TITLES)
      await expect(inspector.getByRole('heading', { name: title, exact: true }).isVisible()).resolves.toBe(true)
    const diagram = inspector.locator('svg.flow-diagram')
    await expect(diagram.count()).resolves.toBe(1)
    expect(await diagram.locator('g.arrow').count()).toBeGreaterThanOrEqual(20)
    await expect(inspector.locator('.flow-banner[data-check="code"]').textContent()).resolves.toContain(
      'the code redeemed in step 5 is the code of step 4',
    )
    const firstId = await inspector.locator('[data-flow-id]').getAttribute('data-flow-id')
    // flow.js has connected to /flow/events.
    await inspector.locator('#flow-live[data-live="open"]').waitFor({ state: 'attached' })
    const listening = requested.length

    // A second flow in another tab: signed in and remembered, straight back with a code.
    const second = await browser.context.newPage()
    await connectAndFetch(second, false)
    await inspector.waitForFunction(
      (id) => {
        const section = document.querySelector('[data-flow-id]')
        return (
          section !== null &&
          section.getAttribute('data-flow-id') !== id &&
          document.querySelector('#step-7 .exchange') !== null
        )
      },
      firstId,
      { timeout: 20_000 },
    )
    await expect(inspector.locator('#step-3 .flow-skipped').textContent()).resolves.toMatch(
      /^Skipped: remembered decision/,
    )
    await expect(inspector.locator('.flow-list tbody tr').count()).resolves.toBe(2)
    // The same flow grows (step 7 again): the stream sends only the new exchanges and the page puts the
    // section together with the ones it has, without fetching it.
    const shown = await inspector.locator('#step-7 .exchange h3').count()
    await second.getByRole('button', { name: 'Fetch resource' }).click()
    await inspector.waitForFunction((n) => document.querySelectorAll('#step-7 .exchange h3').length > n, shown, {
      timeout: 20_000,
    })
    await expect(inspector.locator('#step-1 .exchange h3').count()).resolves.toBeGreaterThan(0)
    await expect(inspector.locator('#flow-live [data-keep]').count()).resolves.toBe(0)
    expect(requested.slice(listening).filter((url) => url.includes('fragment=1'))).toEqual([])
    await inspector.bringToFront()
    await inspector.screenshot({ path: join(SCREENSHOT_DIR, 'flow-inspector.png'), fullPage: true, timeout: 20_000 })
  }, 90_000)

  it('loads nothing from outside the lab', () => {
    const lab3 = new Set(
      [lab.config.client.publicUrl, lab.config.auth.publicUrl, lab.config.resource.publicUrl].map(
        (u) => new URL(u).host,
      ),
    )
    expect(requested.length).toBeGreaterThan(10)
    expect(requested.filter((url) => !lab3.has(new URL(url).host))).toEqual([])
    expect(requested).toContain(`${lab.config.client.publicUrl}/assets/flow.js`)
    expect(requested).toContain(`${lab.config.client.publicUrl}/assets/flow.css`)
  })
})

// The token-exchange walk-through in real headless Chromium: Start, then one
// Next per step (alice's sign-in is played server-side by the client app), the
// walk's inspector flow, a Break it button. Screenshots of the walk page and
// its flow, and axe at 1280 and 390 px.

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

async function axeAt(width: number): Promise<string[]> {
  await page.setViewportSize({ width, height: 900 })
  return describeViolations(await seriousViolations(page))
}

const STOPS: ReadonlyArray<readonly [string, string]> = [
  ['Get alice’s token (sign-in played server-side)', 'Alice’s access token'],
  ['Send it to API A (GET /resource)', 'API A accepted alice’s token'],
  ['Exchange it for API B (no actor: impersonation)', 'A token for API B that stands for alice'],
  ['Exchange it with an actor token (delegation)', 'A token for API B that says who acts for alice'],
  ['Decode the issued token', 'The delegated token, decoded'],
  ['Call API B (the MCP server) with it', 'API B answered for alice'],
]

describe('the token-exchange walk-through in a browser', () => {
  it('walks the six steps by clicking Next, and the page is axe clean at 1280 and 390 px', async () => {
    await page.goto(`${lab.config.client.publicUrl}/walk/token-exchange`)
    await page.getByRole('button', { name: 'Start', exact: true }).click()
    for (const [action, result] of STOPS) {
      await page.getByRole('button', { name: `Next: ${action}` }).click()
      await page.getByText(`✓ ${result}`, { exact: true }).waitFor()
    }
    await page.locator('#walk-finished').waitFor()
    // Never left the client app: the sign-in was played server-side.
    expect(page.url().startsWith(lab.config.client.publicUrl)).toBe(true)
    expect(await page.locator('#step-5 pre').textContent()).toContain(`act: {"sub":"${lab.config.client.clientId}"}`)
    expect(await page.locator('.walk-result p.error').count()).toBe(0)
    expect(await axeAt(1280)).toEqual([])
    await shot('walk-token-exchange')
    expect(await axeAt(390)).toEqual([])
    await shot('walk-token-exchange-390')
  })

  it('shows the walk in the inspector: six steps, the checks ✓, completed', async () => {
    await page.setViewportSize({ width: 1280, height: 900 })
    await page.locator('#walk-flow-link').click()
    await page.waitForURL(`${lab.config.client.publicUrl}/flow/w_token-exchange_**`)
    const body = (await page.locator('main').textContent()) ?? ''
    expect(body).toContain('API A exchanges it for a token for API B (impersonation)')
    expect(body).toContain('act present')
    expect(body).toContain('sub kept: alice')
    expect(body).not.toContain('✗')
    expect(await axeAt(1280)).toEqual([])
    await shot('walk-token-exchange-inspector')
    expect(await axeAt(390)).toEqual([])
  })

  it('a Break it button on the walk page: the exchange for another audience is stopped with invalid_target', async () => {
    await page.goto(`${lab.config.client.publicUrl}/walk/token-exchange`)
    await page.getByRole('button', { name: 'Token exchange for an audience the policy does not allow' }).click()
    await page.locator('#verdict').waitFor()
    expect(await page.locator('#verdict').textContent()).toBe('Stopped.')
    expect(await page.locator('#answer-error').textContent()).toBe('invalid_target')
    await shot('walk-token-exchange-attack-audience')
  })
})

// The teaching features in real headless Chromium: step-through mode through
// the seven steps, then every Break it button.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { closeLabInBrowser, openLabInBrowser, SCREENSHOT_DIR, type LabBrowser } from '../helpers/browser.js'
import type { TestLab } from '../helpers/lab.js'
import { at, first } from '../helpers/lists.js'
import { describeViolations, seriousViolations } from '../helpers/axe.js'
import { ATTACKS as CATALOG } from '../../src/client/break-it/catalog.js'

let lab: TestLab
let browser: LabBrowser
let page: Page

beforeAll(async () => {
  ;({ lab, browser, page } = await openLabInBrowser())
})
afterAll(() => closeLabInBrowser({ lab, browser }))

const shot = (name: string) => page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true })
const tokenRequests = () => lab.exchanges.filter((e) => e.role === 'auth' && e.url === '/token')
const resourceCalls = () => lab.exchanges.filter((e) => e.role === 'resource' && e.url === '/resource')
const send = () => page.getByRole('button', { name: 'Send', exact: true }).click()

async function previewOf(step: number): Promise<string> {
  await page.getByRole('heading', { name: `About to send step ${step}` }).waitFor()
  return (await page.locator('#step-message').textContent()) ?? ''
}

describe('step-through mode in a browser', () => {
  it('turns on from the home page', async () => {
    await page.goto(`${lab.config.client.publicUrl}/`)
    await page.getByRole('button', { name: 'Step-through mode…' }).click()
    await page.getByLabel('Step-through mode').check()
    await page.getByRole('button', { name: 'Save' }).click()
    await page.waitForURL(`${lab.config.client.publicUrl}/`)
    expect(await page.locator('#step-through-status').textContent()).toBe('on')
    expect(await page.getByLabel('Step-through mode').isChecked()).toBe(true)
    await shot('step-through-0-home')
  })

  it('stops before step 1, then Send goes to the authorization server', async () => {
    await page.getByRole('button', { name: 'Connect' }).click()
    const message = await previewOf(1)
    expect(message).toMatch(/^HTTP\/1\.1 302 Found\nLocation: /)
    const shown = at(message.split('\n'), 1, 'the Location line').slice('Location: '.length)
    await shot('step-through-1')
    await send()
    await page.waitForURL(`${lab.config.auth.publicUrl}/authorize?**`)
    expect(page.url()).toBe(shown)
  })

  it('signs in and allows; stops before step 5 with no token request made', async () => {
    await page.getByLabel('Username').fill('alice')
    await page.getByLabel('Password').fill('alice-password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('button', { name: 'Allow' }).click()
    await page.waitForURL(`${lab.config.client.publicUrl}/authenticated?**`)
    const message = await previewOf(5)
    expect(message.split('\n')[0]).toBe('POST /token HTTP/1.1')
    expect(tokenRequests()).toHaveLength(0)
    // Step 4 on the same page: the banner, the real checks, the code and its countdown.
    const host = new URL(lab.config.client.publicUrl).host
    expect((await page.locator('#lab-banner').innerText()).replace(/\s+/g, ' ')).toBe(
      `oauth-lab Step 4 of 7 · Client app (${host})`,
    )
    expect((await page.locator('#arrival-summary').innerText()).trim()).toBe('The code has arrived: state ✓ iss ✓')
    expect((await page.locator('#arrival-code').innerText()).trim()).toBe(new URL(page.url()).searchParams.get('code'))
    await expect.poll(() => page.locator('.countdown').innerText()).toMatch(/\((9|10) min \d\d s left\)/)
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: 800 })
      expect(describeViolations(await seriousViolations(page)), `axe at ${width} px`).toEqual([])
      const wide = await page.evaluate(
        () => document.documentElement.scrollWidth > document.documentElement.clientWidth,
      )
      expect(wide, `wider than ${width} px`).toBe(false)
    }
    await shot('step-through-5')
    await send()
    await page.getByRole('heading', { name: 'Access token received' }).waitFor()
    expect(tokenRequests()).toHaveLength(1)
    expect(first(tokenRequests()).body).toEqual(
      Object.fromEntries(new URLSearchParams(at(message.split('\n\n'), 1, 'the body of the previewed request'))),
    )
    await shot('step-through-6-token')
  })

  it('stops before step 7, then Send fetches the resource', async () => {
    await page.getByRole('button', { name: 'Fetch resource' }).click()
    const message = await previewOf(7)
    expect(message.split('\n')[0]).toBe('GET /resource HTTP/1.1')
    expect(resourceCalls()).toHaveLength(0)
    await shot('step-through-7')
    await send()
    await page.locator('#resource-status').waitFor()
    expect(await page.locator('#resource-status').textContent()).toBe('200')
    expect(resourceCalls()).toHaveLength(1)
    await shot('step-through-7-resource')
  })
})

const ATTACKS: Array<[name: string, title: string, status: string, error: string]> = [
  ['forged-state', 'Forged state (CSRF)', '400', 'State does not match'],
  ['replayed-code', 'Replayed code', '400', 'invalid_grant'],
  ['redirect-uri-changed', 'redirect_uri changed at the token endpoint', '400', 'invalid_grant'],
  ['wrong-client-secret', 'Wrong client secret', '401', 'invalid_client'],
  ['missing-pkce-verifier', 'Missing PKCE verifier', '400', 'invalid_grant'],
  ['wrong-pkce-verifier', 'Wrong PKCE verifier', '400', 'invalid_grant'],
  ['expired-token', 'Expired token', '401', 'invalid_token'],
  ['token-without-foo', 'Token without scope foo', '403', 'insufficient_scope'],
  ['consent-denied', 'Consent denied', '303', 'access_denied'],
  ['tampered-jwt', 'Tampered JWT (scope widened)', '401', 'invalid_token'],
  ['alg-none-jwt', 'JWT with alg none', '401', 'invalid_token'],
  ['token-for-another-audience', 'Token for another audience', '401', 'invalid_token'],
  ['open-redirect', 'Open redirect at /authorize', '400', 'Invalid authorization request'],
  ['code-injection', 'Code injection (PKCE)', '400', 'Token request refused'],
  ['mix-up', 'Mix-up (iss of another server)', '400', 'Issuer does not match'],
  ['mcp-token-for-other-resource', 'MCP: a token for another resource', '401', 'invalid_token'],
  [
    'mcp-confused-deputy',
    'MCP: confused-deputy redirect through a registered client',
    '400',
    'Invalid authorization request',
  ],
  [
    'mcp-lying-metadata-document',
    'MCP: a metadata document that lies about its client_id',
    '400',
    'Client metadata document refused',
  ],
  ['par-request-uri-replayed', 'Pushed request_uri replayed', '400', 'Invalid authorization request'],
  ['par-request-uri-other-client', 'Pushed request_uri used by another client', '400', 'Invalid authorization request'],
  [
    'token-exchange-audience-not-allowed',
    'Token exchange for an audience the policy does not allow',
    '400',
    'invalid_target',
  ],
  ['token-exchange-not-a-token', 'Token exchange with a subject token that is not a token', '400', 'invalid_request'],
  ['device-polling-too-fast', 'Device polls too fast', '400', 'slow_down'],
  // The verification page is HTML: its heading stands where a JSON answer has its error code.
  ['device-guessed-user-code', 'Guessed user code', '429', 'Connect a device'],
  ['device-code-expired', 'Expired device code', '400', 'expired_token'],
]

describe('Break it in a browser', () => {
  it('lists the attacks', async () => {
    await page.goto(`${lab.config.client.publicUrl}/`)
    await page.getByRole('link', { name: 'Break it' }).click()
    await page.getByRole('heading', { name: 'Break it', exact: true }).waitFor()
    // Every attack of the catalog is a button; the ones played below are those of the seven steps and the modern flows.
    expect(await page.getByRole('button').count()).toBe(CATALOG.length)
    await shot('break-it')
  })

  for (const [name, title, status, error] of ATTACKS) {
    it(`${title}: stopped with ${status} ${error}`, async () => {
      await page.goto(`${lab.config.client.publicUrl}/break`)
      await page.getByRole('button', { name: title, exact: true }).click()
      await page.getByRole('heading', { name: `Break it: ${title}` }).waitFor()
      expect(await page.locator('#verdict').textContent()).toBe('Stopped.')
      expect(await page.locator('#answer-status').textContent()).toBe(status)
      expect(await page.locator('#answer-error').textContent()).toBe(error)
      expect(await page.locator('#flow-link').getAttribute('href')).toMatch(new RegExp(`^/flow/attack-${name}-`))
      await shot(`break-it-${name}`)
    })
  }
})

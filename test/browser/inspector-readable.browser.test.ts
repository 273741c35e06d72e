// The flow inspector as a junior reads it on a projector or a phone, in real
// Chromium after one seven-step flow clicked through: the OAuth headers by
// default and the rest behind "show everything", Set-Cookie recorded, steps 4
// and 5 shown, every page saying which step and which server, axe clean at
// 390 px and 1280 px with nothing wider than the screen, underscores of
// highlighted values drawn at device pixel ratio 1, few Tab stops to step 5 and a
// few screens tall (what a learner does not need first folded to one line).

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { closeLabInBrowser, openLabInBrowser, type LabBrowser } from '../helpers/browser.js'
import type { TestLab } from '../helpers/lab.js'
import { describeViolations, seriousViolations as axeViolations } from '../helpers/axe.js'

let lab: TestLab
let browser: LabBrowser
let page: Page
let client: string
let auth: string
/** What each page's banner said, by page, as the flow went. */
const banners: Record<string, string> = {}
/** The seven-step flow (later tests run more flows: this one stays the one measured). */
let flowPath: string

const bannerText = async () => (await page.locator('#lab-banner').innerText()).replace(/\s+/g, ' ')
const host = (url: string) => new URL(url).host

beforeAll(async () => {
  ;({ lab, browser, page } = await openLabInBrowser())
  client = lab.config.client.publicUrl
  auth = lab.config.auth.publicUrl
  await page.setViewportSize({ width: 1280, height: 800 })
  await page.goto(`${client}/`)
  banners.home = await bannerText()
  await page.getByRole('button', { name: 'Connect' }).click()
  await page.getByLabel('Username').fill('alice')
  banners.login = await bannerText()
  await page.getByLabel('Password').fill('alice-password')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('button', { name: 'Allow' }).waitFor()
  banners.consent = await bannerText()
  await page.getByRole('button', { name: 'Allow' }).click()
  await page.getByRole('button', { name: 'Fetch resource' }).waitFor({ timeout: 20_000 })
  banners.token = await bannerText()
  await page.getByRole('button', { name: 'Fetch resource' }).click()
  await page.locator('#resource-status').waitFor({ timeout: 20_000 })
  banners.resource = await bannerText()
  await page.goto(`${client}/flow`)
  flowPath = `/flow/${await page.locator('[data-flow-id]').getAttribute('data-flow-id')}`
})
afterAll(() => closeLabInBrowser({ lab, browser }))

async function openInspector(width: number, path = flowPath): Promise<void> {
  await page.setViewportSize({ width, height: width < 600 ? 844 : 800 })
  await page.goto(`${client}${path}`)
  await page.locator('#step-7 article.exchange').first().waitFor()
}

/** What a reader sees of the flow: innerText leaves out folded <details> and hidden parts. */
const visibleText = () => page.locator('.flow-steps').innerText()

describe('the inspector, readable', () => {
  it('is a few screens tall at 1280 px by default', async () => {
    await openInspector(1280)
    const height = await page.evaluate(() => document.documentElement.scrollHeight)
    console.info(`flow inspector, one seven-step flow, 1280 px: ${height} px tall`)
    // Before: 17,212 px here (every header and page body shown), then 7,594 px (every exchange
    // unfolded, one "show everything" row each, the diagram alone on its row).
    expect(height).toBeLessThan(5000)
  })

  it('shows the OAuth headers and Set-Cookie by default, and the rest only with "show everything"', async () => {
    await openInspector(1280)
    const text = await visibleText()
    for (const shown of [
      'location: http',
      'set-cookie: oauth_lab_client_sid=(masked)',
      'set-cookie: oauth_lab_as_sid=(masked)',
      'Cookie: oauth_lab_client_sid=(masked)',
      'Authorization: Basic ',
      'cache-control: no-store',
      'content-type: application/json',
    ])
      expect(text).toContain(shown)
    for (const hidden of ['sec-ch-ua', 'content-security-policy', 'x-frame-options', 'user-agent'])
      expect(text.toLowerCase()).not.toContain(hidden)
    // HTML pages are one line, by their name and size.
    await expect(page.locator('#step-2 .body-summary').first().innerText()).resolves.toMatch(
      /^HTML page: Sign in \(\d+(\.\d)? KB\)$/,
    )
    expect(text).not.toContain('<form')

    // One exchange unfolded: its every header, and only its own.
    const connect = page.locator('#step-1 article.exchange').first()
    await connect.locator('details.everything > summary').click()
    const unfolded = (await connect.innerText()).toLowerCase()
    expect(unfolded).toContain('sec-ch-ua')
    expect(unfolded).toContain('x-frame-options')
    expect((await page.locator('#step-2').innerText()).toLowerCase()).not.toContain('sec-ch-ua')

    // Every exchange at once, with script...
    await page.locator('#flow-detail-toggle').click()
    const all = (await visibleText()).toLowerCase()
    expect(all).toContain('content-security-policy')
    expect((await page.locator('#step-2').innerText()).toLowerCase()).toContain('sec-ch-ua')
    expect(all).toContain('<form')
    // ...and without: the same link is a page of its own.
    const res = await fetch(`${client}${flowPath}?detail=all`, { headers: { cookie: await cookieHeader() } })
    const html = await res.text()
    expect(html).toMatch(/<details class="everything" data-key="x1" open>/)
    expect(html).not.toMatch(/<details class="everything" data-key="x\d+">/)
  })

  it('shows steps 4 and 5 with their exchanges, a line on what to look at in each step, and JWT times in words', async () => {
    await openInspector(1280)
    for (const step of [4, 5]) {
      const exchanges = page.locator(`#step-${step} article.exchange`)
      expect(await exchanges.count()).toBeGreaterThan(0)
      await expect(exchanges.first().isVisible()).resolves.toBe(true)
    }
    await expect(page.locator('#step-4').innerText()).resolves.toMatch(/code=/)
    await expect(page.locator('#step-5').innerText()).resolves.toMatch(/code_verifier/)
    await expect(page.locator('.flow-step .flow-look').count()).resolves.toBe(7)
    await expect(page.locator('#step-6 .jwt-times [data-claim="exp"]').innerText()).resolves.toMatch(
      /^exp: \d+ expires in \d+ (min|s) \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)$/,
    )
    await expect(page.locator('#step-6 .jwt-times [data-claim="iat"]').innerText()).resolves.toMatch(
      /issued (just now|\d+ s ago)/,
    )
    // Each exchange names its server in words, not by colour alone.
    await expect(page.locator('#step-5 article.exchange .server-tag').first().innerText()).resolves.toBe(
      `Authorization server (${host(auth)})`,
    )
  })

  it('says on every page which server it is and, where known, which step', async () => {
    expect(banners.home).toBe(`oauth-lab Client app (${host(client)})`)
    expect(banners.login).toBe(`oauth-lab Step 2 of 7 · Authorization server (${host(auth)})`)
    expect(banners.consent).toBe(`oauth-lab Step 3 of 7 · Authorization server (${host(auth)})`)
    expect(banners.token).toBe(`oauth-lab Step 6 of 7 · Client app (${host(client)})`)
    expect(banners.resource).toBe(`oauth-lab Step 7 of 7 · Client app (${host(client)})`)
    await page.goto(`${client}/flow`)
    expect(await bannerText()).toBe(`oauth-lab Client app (${host(client)})`)
    await page.goto(`${auth}/authorize?client_id=nobody`)
    expect(await bannerText()).toBe(`oauth-lab Authorization server (${host(auth)})`)
    // Distinct colours per server, on the banner and the exchange cards.
    await page.goto(`${client}/`)
    const clientColour = await page.locator('header.lab-header').evaluate((e) => getComputedStyle(e).backgroundColor)
    await page.goto(`${auth}/account/grants`)
    const authColour = await page.locator('header.lab-header').evaluate((e) => getComputedStyle(e).backgroundColor)
    expect(clientColour).not.toBe(authColour)
  })
})

async function seriousViolations(): Promise<string[]> {
  return describeViolations(await axeViolations(page))
}

const overflow = () =>
  page.evaluate(() => {
    const root = document.documentElement
    return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth }
  })

describe('the inspector, accessible', () => {
  for (const width of [390, 1280]) {
    it(`has no serious or critical axe violation at ${width} px, with and without "show everything"`, async () => {
      await openInspector(width)
      expect(await seriousViolations()).toEqual([])
      await openInspector(width, `${flowPath}?detail=all`)
      expect(await seriousViolations()).toEqual([])
    })
  }

  it('puts nothing wider than a 390 px phone on any page of the lab', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    const pages = [
      `${client}/`,
      `${client}/flow`,
      `${client}/flow?detail=all`,
      `${client}/break`,
      `${client}/settings/step-through`,
      `${auth}/account/grants`,
      `${auth}/authorize?client_id=nobody`,
    ]
    const wide: string[] = []
    for (const url of pages) {
      await page.goto(url)
      const { scrollWidth, clientWidth } = await overflow()
      if (scrollWidth > clientWidth) wide.push(`${url}: ${scrollWidth} > ${clientWidth}`)
    }
    // The flow's own pages: sign-in, consent, the token and the resource.
    await page.goto(`${client}/`)
    await page.getByRole('button', { name: 'Connect' }).click()
    await page.getByRole('button', { name: 'Fetch resource' }).waitFor({ timeout: 20_000 })
    for (const [name, url] of [['token page', page.url()]] as const) {
      const { scrollWidth, clientWidth } = await overflow()
      if (scrollWidth > clientWidth) wide.push(`${name} ${url}: ${scrollWidth} > ${clientWidth}`)
    }
    await page.getByRole('button', { name: 'Fetch resource' }).click()
    await page.locator('#resource-status').waitFor({ timeout: 20_000 })
    const after = await overflow()
    if (after.scrollWidth > after.clientWidth) wide.push(`resource page: ${after.scrollWidth} > ${after.clientWidth}`)
    expect(wide).toEqual([])
  })

  it('counts the Tab stops from the top of the inspector to step 5', async () => {
    await openInspector(1280)
    let presses = 0
    while (presses < 100 && !(await page.evaluate(() => document.activeElement?.closest('#step-5') != null))) {
      await page.keyboard.press('Tab')
      presses++
    }
    console.info(`Tab presses from the top of the inspector into step 5: ${presses}`)
    // Skip link, "show everything", then one "show everything" per exchange of steps 1-4 that is
    // not folded (4 in this flow; 9 before folding, 12 presses).
    expect(presses).toBeLessThan(10)
    // The first stop is the skip link, and it shows when focused.
    await openInspector(1280)
    await page.keyboard.press('Tab')
    const skip = page.locator('.skip-link')
    await expect(skip.evaluate((e) => e === document.activeElement)).resolves.toBe(true)
    await expect(skip.evaluate((e) => e.getBoundingClientRect().top >= 0)).resolves.toBe(true)
    await expect(skip.evaluate((e) => getComputedStyle(e).outlineStyle)).resolves.not.toBe('none')
    // It leads to the steps: the next Tab is inside step 1, past the page's own controls.
    await expect(skip.innerText()).resolves.toBe('Skip to the steps')
    await page.keyboard.press('Enter')
    await page.keyboard.press('Tab')
    await expect(page.evaluate(() => document.activeElement?.closest('#step-1') != null)).resolves.toBe(true)
  })

  it('folds to one line what a learner does not need first, and "show everything" unfolds it', async () => {
    await openInspector(1280)
    const folded = page.locator('article.exchange.folded')
    const count = await folded.count()
    expect(count).toBeGreaterThan(0)
    // The sign-in page's answer: its line only (server and what it is), none of its headers.
    const login = page.locator('#step-2 article.exchange.folded').first()
    await expect(login.locator('h3').innerText()).resolves.toMatch(/^Folded \(a page of the lab\): /)
    expect((await login.boundingBox())!.height).toBeLessThan(40)
    await expect(login.locator('pre').first().isVisible()).resolves.toBe(false)
    // Nothing refused is ever folded, and step 4's code and step 5's request are shown.
    await expect(page.locator('#step-4 article.exchange:not(.folded)').count()).resolves.toBeGreaterThan(0)
    await expect(page.locator('#step-5 article.exchange.folded').count()).resolves.toBe(0)
    // With script: every folded exchange unfolds, headers and all.
    await page.locator('#flow-detail-toggle').click()
    await expect(login.locator('pre').first().isVisible()).resolves.toBe(true)
    await expect(login.innerText()).resolves.toMatch(/HTTP\/1\.1 200 OK/)
    // Without: the same page with ?detail=all.
    await openInspector(1280, `${flowPath}?detail=all`)
    await expect(page.locator('#step-2 article.exchange.folded pre').first().isVisible()).resolves.toBe(true)
  })

  it('draws the underscore of a highlighted redirect_uri at device pixel ratio 1', async () => {
    await openInspector(1280)
    expect(await page.evaluate(() => window.devicePixelRatio)).toBe(1)
    const mark = page.locator('#step-1 .exchange-body pre mark.hl-redirect_uri').first()
    await mark.scrollIntoViewIfNeeded()
    // The cell of the "_", as laid out.
    const box = await mark.evaluate((m) => {
      const text = m.firstChild as Text
      const range = document.createRange()
      const at = text.data.indexOf('_')
      range.setStart(text, at)
      range.setEnd(text, at + 1)
      const r = range.getBoundingClientRect()
      return { x: r.x, y: r.y, width: r.width, height: r.height }
    })
    expect(box.height).toBeGreaterThan(0)
    const clip = {
      x: Math.floor(box.x),
      y: Math.floor(box.y),
      width: Math.ceil(box.width),
      height: Math.ceil(box.height) + 4,
    }
    const withUnderscore = await page.screenshot({ clip })
    // The same cell with a space in its place: what the reader sees without the glyph.
    await mark.evaluate((m) => {
      const text = m.firstChild as Text
      text.data = text.data.replace('_', ' ')
    })
    const withSpace = await page.screenshot({ clip })
    const contrasting = await contrastingPixels(withUnderscore, withSpace)
    // A visible underscore is a run of pixels that stand out from the highlight behind it.
    expect(contrasting).toBeGreaterThanOrEqual(Math.floor(box.width / 2))
  })
})

/** Pixels whose luminance differs by more than 80 (of 255) between two same-size PNGs, compared in the page's canvas. */
async function contrastingPixels(a: Buffer, b: Buffer): Promise<number> {
  return page.evaluate(
    async ([pngA, pngB]) => {
      const pixels = async (base64: string) => {
        const image = new Image()
        image.src = `data:image/png;base64,${base64}`
        await image.decode()
        const canvas = document.createElement('canvas')
        canvas.width = image.width
        canvas.height = image.height
        const context = canvas.getContext('2d')!
        context.drawImage(image, 0, 0)
        return context.getImageData(0, 0, image.width, image.height).data
      }
      const [one, two] = [await pixels(pngA), await pixels(pngB)]
      const luminance = (d: Uint8ClampedArray, i: number) => 0.2126 * d[i]! + 0.7152 * d[i + 1]! + 0.0722 * d[i + 2]!
      let count = 0
      for (let i = 0; i < one.length; i += 4) if (Math.abs(luminance(one, i) - luminance(two, i)) > 80) count++
      return count
    },
    [a.toString('base64'), b.toString('base64')] as const,
  )
}

/** This browser's cookies for the client app, as a Cookie header (to ask for a page without script). */
async function cookieHeader(): Promise<string> {
  const cookies = await browser.context.cookies(client)
  return cookies.map((c) => `${c.name}=${c.value}`).join('; ')
}

describe('the inspector, live', () => {
  it('never moves focus: while the reader is inside the flow, new exchanges wait behind a polite "show"', async () => {
    await page.setViewportSize({ width: 1280, height: 800 })
    await page.goto(`${client}/flow`)
    await page.locator('#flow-live[data-live="open"]').waitFor({ state: 'attached' })
    const before = await page.locator('[data-flow-id]').getAttribute('data-flow-id')
    const reading = page.locator('#step-1 details.everything > summary').first()
    await reading.focus()
    await expect(page.locator('#flow-live-status').getAttribute('role')).resolves.toBe('status')

    // Another tab runs a flow (signed in, decision remembered: straight back with a code).
    const other = await browser.context.newPage()
    await other.goto(`${client}/`)
    await other.getByRole('button', { name: 'Connect' }).click()
    await other.getByRole('button', { name: 'Fetch resource' }).click({ timeout: 20_000 })
    await other.locator('#resource-status').waitFor({ timeout: 20_000 })
    await other.close()

    const status = page.locator('#flow-live-status')
    await expect.poll(() => status.innerText(), { timeout: 20_000 }).toMatch(/^\d+ new exchanges? · show$/)
    // Focus stayed where the reader put it, on the same element, and the page did not change under it.
    await expect(reading.evaluate((e) => e === document.activeElement)).resolves.toBe(true)
    await expect(page.locator('[data-flow-id]').getAttribute('data-flow-id')).resolves.toBe(before)

    await status.getByRole('button', { name: 'show' }).click()
    await expect(page.locator('[data-flow-id]').getAttribute('data-flow-id')).resolves.not.toBe(before)
  }, 60_000)
})

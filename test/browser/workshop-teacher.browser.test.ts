// The teacher's view in real Chromium (WORKSHOP=on): refused without the lab
// key, then, once opened with ?lab_key=, it follows two learners live (they
// join and run over real HTTP, each in a cookie jar of their own) without a
// reload; axe-core finds no serious violation on /join or /teacher.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { launchBrowser, type LabBrowser } from '../helpers/browser.js'
import { hiddenField } from '../helpers/inject-browser.js'
import { startTestLab, type TestLab } from '../helpers/lab.js'
import { joinAs, walkSevenSteps } from '../helpers/workshop.js'
import { describeViolations, seriousViolations } from '../helpers/axe.js'

let lab: TestLab
let browser: LabBrowser
let page: Page
let base: string

beforeAll(async () => {
  lab = await startTestLab({ WORKSHOP: 'on' })
  base = lab.config.client.publicUrl
  browser = await launchBrowser()
  page = await browser.context.newPage()
})
afterAll(async () => {
  await browser.close()
  await lab.close()
})

async function expectAccessible(name: string): Promise<void> {
  expect(describeViolations(await seriousViolations(page)).map((line) => `${name}: ${line}`)).toEqual([])
}

describe('the teacher\u2019s view in Chromium', () => {
  it('is refused without the lab key, with the page that says how to get it', async () => {
    const res = await page.goto(`${base}/teacher`)
    expect(res?.status()).toBe(401)
    await expect(page.getByRole('heading', { name: 'Lab key needed' }).isVisible()).resolves.toBe(true)
    expect(await page.content()).not.toContain('teacher-grid')
  })

  it('follows two learners live: joining, the seven steps, and a Break-it run', async () => {
    await page.goto(`${base}/teacher?lab_key=${encodeURIComponent(lab.config.labKey)}`)
    expect(new URL(page.url()).search).toBe('')
    await page.getByText('Nobody has joined yet').waitFor()

    const ada = await joinAs(base, 'Ada')
    const grace = await joinAs(base, 'Grace')
    // No reload: the page's own poll brings them in.
    await page.locator(`tr[data-learner="${ada.username}"][data-reached="0"]`).waitFor()
    await page.locator(`tr[data-learner="${grace.username}"][data-reached="0"]`).waitFor()

    await walkSevenSteps(base, lab.config.auth.publicUrl, ada)
    await page.locator(`tr[data-learner="${ada.username}"][data-reached="7"]`).waitFor()
    expect(await page.locator(`tr[data-learner="${ada.username}"] td.step-done`).count()).toBe(7)
    expect(await page.locator(`tr[data-learner="${grace.username}"] td.step-done`).count()).toBe(0)

    const breakPage = await grace.browser.get(`${base}/break`)
    await grace.browser.post(`${base}/break/forged-state`, { _csrf: hiddenField(breakPage.body, '_csrf') })
    await page.locator(`tr[data-learner="${grace.username}"] li[data-attack="forged-state"]`).waitFor()

    // Ada's link opens her flow in the inspector for the key's holder.
    await page.getByRole('link', { name: 'latest flow of Ada' }).click()
    await page.waitForURL(/\/flow\/[A-Za-z0-9_-]+$/)
    expect(await page.content()).toContain(ada.username)
    await page.goto(`${base}/teacher`)
    await page.locator(`tr[data-learner="${ada.username}"]`).waitFor()
    await expectAccessible('teacher with two learners')
  })

  it('has an accessible join page, before and after joining', async () => {
    const learner = await browser.context.newPage()
    try {
      page = learner
      await learner.goto(`${base}/join`)
      await expectAccessible('join form')
      await learner.getByLabel('Display name', { exact: true }).fill('')
      await learner.getByRole('button', { name: 'Join' }).click({ noWaitAfter: true })
      // The browser's own check (required) keeps the empty name here; a name of spaces reaches the server.
      await learner.getByLabel('Display name', { exact: true }).fill('   ')
      await learner.getByRole('button', { name: 'Join' }).click()
      await learner.getByRole('alert').waitFor()
      await expectAccessible('join form with error')
      await learner.getByLabel('Display name', { exact: true }).fill('Katherine')
      await learner.getByRole('button', { name: 'Join' }).click()
      await learner.locator('#learner-password').waitFor()
      await expectAccessible('joined')
    } finally {
      await learner.close()
    }
  })
})

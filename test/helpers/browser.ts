// Real headless Chromium (Debian's package) driven by playwright-core, with a
// fresh profile each time and no background traffic (the lab is offline).

import { mkdtemp, rm, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { ensureChromium } from './chromium.js'
import { startTestLab, type TestLab } from './lab.js'

export const SCREENSHOT_DIR = join(process.cwd(), 'test-results', 'screenshots')

export interface LabBrowser {
  readonly context: BrowserContext
  close(): Promise<void>
}

export async function launchBrowser(): Promise<LabBrowser> {
  const executablePath = await ensureChromium()
  const profile = await mkdtemp(join(tmpdir(), 'oauth-lab-chromium-'))
  await mkdir(SCREENSHOT_DIR, { recursive: true })
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  context.setDefaultTimeout(10_000)
  return {
    context,
    async close() {
      await context.close()
      await rm(profile, { recursive: true, force: true })
    },
  }
}

/** The three servers and a fresh Chromium with one page: the start of every browser test. */
export async function openLabInBrowser(): Promise<{ lab: TestLab; browser: LabBrowser; page: Page }> {
  const lab = await startTestLab()
  const browser = await launchBrowser()
  return { lab, browser, page: await browser.context.newPage() }
}

export async function closeLabInBrowser(opened: { lab?: TestLab; browser?: LabBrowser }): Promise<void> {
  await opened.browser?.close()
  await opened.lab?.close()
}

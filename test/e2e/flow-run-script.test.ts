// The runnable curl script of a flow (GET /flow/:id/run.sh), run with bash
// against a started lab: fresh state and PKCE pair, sign-in and consent forms,
// the code from Location, the token with HTTP Basic, then the resource: 200.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFile, execFileSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { hiddenField } from '../helpers/inject-browser.js'
import { httpBrowser } from '../helpers/http-browser.js'
import { startTestLab, type TestLab } from '../helpers/lab.js'

function has(tool: string): boolean {
  try {
    execFileSync('which', [tool], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
const missing = ['bash', 'curl', 'openssl'].filter((tool) => !has(tool))

let lab: TestLab
const browser = httpBrowser()

beforeAll(async () => {
  lab = await startTestLab()
})
afterAll(() => lab.close())

/** One whole flow in this browser, up to the resource. */
async function runFlow(): Promise<void> {
  const base = lab.config.client.publicUrl
  const connect = await browser.get(`${base}/connect`)
  let res = await browser.get(browser.location(connect))
  const signedIn = await browser.post(`${lab.config.auth.publicUrl}/login`, {
    _csrf: hiddenField(res.body, '_csrf'),
    interaction: hiddenField(res.body, 'interaction'),
    username: 'alice',
    password: 'alice-password',
  })
  res = await browser.get(browser.location(signedIn))
  res = await browser.post(`${lab.config.auth.publicUrl}/consent`, {
    _csrf: hiddenField(res.body, '_csrf'),
    interaction: hiddenField(res.body, 'interaction'),
    decision: 'allow',
  })
  const page = await browser.get(browser.location(res))
  expect(page.status).toBe(200)
}

describe.skipIf(missing.length > 0)(
  `the runnable curl script (needs ${missing.join(', ') || 'bash, curl, openssl'})`,
  () => {
    it('plays the flow again from scratch and reaches the resource with 200', async () => {
      await runFlow()
      const script = await browser.get(`${lab.config.client.publicUrl}/flow/latest/run.sh`)
      expect(script.status).toBe(200)
      expect(script.headers.get('content-disposition')).toMatch(/\.run\.sh"$/)
      expect(script.body).toContain('live credentials')
      expect(script.body).toContain('openssl rand 32')
      const dir = await mkdtemp(join(tmpdir(), 'oauth-lab-run-'))
      try {
        const file = join(dir, 'run.sh')
        await writeFile(file, script.body)
        const tokensBefore = lab.exchanges.filter((e) => e.role === 'auth' && e.url === '/token').length
        const { stdout } = await promisify(execFile)('bash', [file], { timeout: 60_000 })
        expect(stdout).toMatch(/^Step 4: code \S+$/m)
        expect(stdout).toMatch(/^Step 7: HTTP 200$/m)
        expect(stdout).toContain('"resource":"foo"')
        // It made a token request of its own: a new code, not the flow's replayed.
        expect(lab.exchanges.filter((e) => e.role === 'auth' && e.url === '/token').length).toBe(tokensBefore + 1)
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    })
  },
)

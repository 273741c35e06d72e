// Builds the real authorization server for route tests, with a clock the test controls.

import type { FastifyInstance } from 'fastify'
import { buildAuthServer } from '../../src/auth-server/app.js'
import type { ClientInput } from '../../src/shared/builtin-data.js'
import { loadConfig, type LabConfig } from '../../src/shared/config.js'
import { hiddenField, injectBrowser, locationParams, type InjectBrowser } from './inject-browser.js'
import { createHash, randomBytes } from 'node:crypto'

export interface TestClock {
  now: () => number
  advance(ms: number): void
}

export function testClock(start = Date.UTC(2026, 0, 1)): TestClock {
  let t = start
  return { now: () => t, advance: (ms) => void (t += ms) }
}

export async function testAuthServer(env: Record<string, string> = {}) {
  const config = loadConfig({ LOG_LEVEL: 'silent', ...env })
  const clock = testClock(Date.now())
  const app = await buildAuthServer(config, { now: clock.now, logger: false })
  return { app, config, clock }
}

/**
 * The authorization server with clients registered beside the built-in ones,
 * read and checked exactly as `startLab({ extraClients })` reads them (the
 * `label` names the source in a config error).
 */
export async function authServerWithClients(label: string, extraClients: readonly ClientInput[]) {
  const config = loadConfig({ LOG_LEVEL: 'silent' }, { labOptions: { label, options: { extraClients } } })
  const app = await buildAuthServer(config, { logger: false })
  return { app, config }
}

export function pkcePair() {
  const verifier = randomBytes(32).toString('base64url')
  const challenge = createHash('sha256').update(verifier).digest('base64url')
  return { verifier, challenge }
}

export function authorizeQuery(config: LabConfig, overrides: Record<string, string | undefined> = {}): string {
  const params: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: 'oauth-client-1',
    redirect_uri: `${config.client.publicUrl}/authenticated`,
    scope: 'foo bar',
    state: 'state-123',
    ...overrides,
  }
  const defined = Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined)
  return new URLSearchParams(defined).toString()
}

/**
 * Steps 1-4 as a browser does them: /authorize, sign in, consent (allow,
 * remember unless told otherwise). Returns the code redirect's parameters.
 */
export async function obtainCode(
  app: FastifyInstance,
  config: LabConfig,
  opts: {
    browser?: InjectBrowser
    username?: string
    query?: Record<string, string | undefined>
    remember?: boolean
  } = {},
) {
  const browser = opts.browser ?? injectBrowser(app)
  const query = authorizeQuery(config, opts.query)
  let res = await browser.get(`/authorize?${query}`)
  if (res.statusCode === 200 && res.body.includes('name="password"')) {
    res = await browser.postForm('/login', {
      _csrf: hiddenField(res.body, '_csrf'),
      interaction: hiddenField(res.body, 'interaction'),
      username: opts.username ?? 'alice',
      password: `${opts.username ?? 'alice'}-password`,
    })
    if (res.statusCode !== 303) throw new Error(`login failed: ${res.statusCode}`)
    res = await browser.get(res.headers.location as string)
  }
  if (res.statusCode === 200 && res.body.includes('name="decision"')) {
    const form: Record<string, string> = {
      _csrf: hiddenField(res.body, '_csrf'),
      interaction: hiddenField(res.body, 'interaction'),
      decision: 'allow',
    }
    if (opts.remember !== false) form.remember = 'on'
    res = await browser.postForm('/consent', form)
  }
  return { res, params: locationParams(res), browser }
}

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`
}

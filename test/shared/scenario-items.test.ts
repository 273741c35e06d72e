// A config file's headless sign-in keys (loginAs, loginHint) and `scenarios`
// armed at start: loaded like every other key, each problem named by its
// pointer; the authorization server arms the scenarios before its first request.

import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildAuthServer } from '../../src/auth-server/app.js'
import { labPowersOf } from '../../src/auth-server/lab/register-lab.js'
import { ConfigError, loadConfig } from '../../src/shared/config.js'
import { configErrorLines } from '../../src/shared/config-error.js'
import { confidential, expectOAuthError, postForm } from '../helpers/back-channel.js'

const dir = mkdtempSync(join(tmpdir(), 'oauth-lab-scenarios-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let count = 0
function write(content: unknown): string {
  const file = join(dir, `${count++}.json`)
  writeFileSync(file, JSON.stringify(content))
  return file
}

function problems(content: unknown): string[] {
  const file = write(content)
  try {
    loadConfig({}, { file })
  } catch (error) {
    if (error instanceof ConfigError) return configErrorLines(error).map((line) => line.replace(file, '<file>'))
    throw error
  }
  throw new Error('loaded without error')
}

describe('the config file', () => {
  it('takes loginAs, loginHint and scenarios', () => {
    const scenarios = [{ type: 'fail-token-requests', count: 2, error: 'server_error' }, { type: 'rotate-keys' }]
    const config = loadConfig({}, { file: write({ loginAs: 'bob', loginHint: true, scenarios }) })
    expect(config.auth.autoLogin).toBe('bob')
    expect(config.auth.honourLoginHint).toBe(true)
    expect(config.auth.scenarios).toEqual(scenarios)
    // The environment still beats the file.
    expect(loadConfig({ AUTO_LOGIN: 'alice' }, { file: write({ loginAs: 'bob' }) }).auth.autoLogin).toBe('alice')
  })

  it('names the pointer of each problem', () => {
    expect(
      problems({
        loginAs: 'mallory',
        scenarios: [
          { type: 'deny-next-authorization', count: 2 },
          { type: 'delay-token-endpoint' },
          { type: 'explode' },
          { type: 'delay-token-endpoint', ms: 60_000 },
        ],
      }),
    ).toEqual([
      'oauth-lab: configuration error in <file> at /scenarios/2/type: must be one of: fail-token-requests, deny-next-authorization, delay-token-endpoint, rotate-keys, clear',
      'oauth-lab: configuration error in <file> at /scenarios/3/ms: must be at most 30000',
    ])
    expect(
      problems({
        loginAs: 'mallory',
        scenarios: [{ type: 'deny-next-authorization', count: 2 }, { type: 'delay-token-endpoint' }],
      }),
    ).toEqual([
      'oauth-lab: configuration error in <file> at /loginAs: must name a user (alice, bob)',
      'oauth-lab: configuration error in <file> at /scenarios/0/count: is not a field of deny-next-authorization',
      'oauth-lab: configuration error in <file> at /scenarios/1: delay-token-endpoint needs ms',
    ])
  })
})

describe('scenarios armed at start', () => {
  it('take effect at the first request, without LAB_ADMIN or its routes', async () => {
    const file = write({ scenarios: [{ type: 'fail-token-requests', error: 'temporarily_unavailable' }] })
    const app = await buildAuthServer(loadConfig({ LOG_LEVEL: 'silent' }, { file }), { logger: false })
    try {
      const token = () => postForm(app, '/token', { grant_type: 'client_credentials', scope: 'foo' }, confidential)
      expectOAuthError(await token(), 503, 'temporarily_unavailable')
      expect((await token()).statusCode).toBe(200)
      expect(labPowersOf(app).scenarios.armed().failTokenRequests).toBeNull()
      expect((await app.inject({ method: 'GET', url: '/_lab/scenarios' })).statusCode).toBe(404)
    } finally {
      await app.close()
    }
  })
})

// Operations: on SIGTERM a server lets in-flight requests finish, closes its
// store and exits 0. The compiled authorization server runs as a real process;
// the lab-admin scenario "slow token endpoint" keeps a request in flight.

import { afterAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { freePort } from './helpers/free-port.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
/** The lab key this server is given: arming a scenario over HTTP needs it. */
const LAB_KEY = randomBytes(32).toString('base64url')
const dir = mkdtempSync(join(tmpdir(), 'oauth-lab-shutdown-'))
let child: ChildProcess | undefined

afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

async function healthy(url: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return
    await sleep(50)
  }
  throw new Error('the server never became healthy')
}

describe('graceful shutdown', () => {
  it('finishes an in-flight token request after SIGTERM, closes the store, exits 0', async () => {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const db = join(dir, 'lab.db')
    child = spawn(process.execPath, ['dist/auth-server/server.js'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOST: '127.0.0.1',
        AUTH_PORT: String(port),
        LOG_LEVEL: 'warn',
        LAB_ADMIN: 'on',
        LAB_KEY,
        STORE: `sqlite:${db}`,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    const exited = new Promise<number | null>((done) => child!.on('exit', (code) => done(code)))
    await healthy(url)

    const arm = await fetch(`${url}/_lab/scenarios`, {
      method: 'POST',
      headers: { authorization: `Bearer ${LAB_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'delay-token-endpoint', ms: 1500, count: 1 }),
    })
    expect(arm.status).toBe(200)
    const inFlight = fetch(`${url}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('oauth-client-1:oauth-client-secret-1').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    })
    await sleep(300) // the request is now waiting inside the token endpoint
    child.kill('SIGTERM')

    const res = await inFlight
    expect(res.status).toBe(200)
    expect((await res.json()).token_type).toBe('Bearer')
    expect(await Promise.race([exited, sleep(10_000).then(() => 'timeout')])).toBe(0)
    // The store was closed cleanly: the database opens and is sound.
    const reopened = new Database(db, { readonly: true })
    expect(reopened.pragma('integrity_check', { simple: true })).toBe('ok')
    reopened.close()
  })
})

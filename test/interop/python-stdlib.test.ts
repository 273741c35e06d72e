// Interoperability from another language: a Python script using only the
// standard library (urllib.request, http.cookiejar, hashlib, secrets, base64,
// json, html.parser; PyPI cannot be reached from this machine, so authlib and
// requests-oauthlib cannot be installed) runs the whole flow with PKCE and
// HTTP Basic against the lab as a user starts it: the compiled CLI
// (`node dist/cli.js`) on a YAML config file. Where authlib (and requests)
// can be imported, the same flow runs with authlib's OAuth2Session too.

import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePorts } from '../helpers/free-port.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const FIXTURES = fileURLToPath(new URL('fixtures/', import.meta.url))
const CLIENT_ID = 'python-script'
const CLIENT_SECRET = 'python secret/with+reserved:chars'
const POLL_MS = 50
const MAX_POLLS = 400

const hasPython = spawnSync('python3', ['--version']).status === 0
const hasAuthlib = hasPython && spawnSync('python3', ['-c', 'import authlib, requests']).status === 0

let lab: ChildProcess | undefined
let output = ''
const dir = mkdtempSync(join(tmpdir(), 'oauth-lab-python-'))
let urls: { auth: string; resource: string; redirect: string }

/** The config file a Python user writes: the client app's client kept, theirs added, tokens checked by introspection. */
function configYaml(ports: { auth: number; resource: number; client: number; script: number }): string {
  return `# oauth-lab for a Python script's tests
logLevel: warn
ports:
  auth: ${ports.auth}
  resource: ${ports.resource}
  client: ${ports.client}
tokenCheck: introspect
clients:
  - clientId: oauth-client-1
    clientSecret: oauth-client-secret-1
    redirectUris: ['http://localhost:${ports.client}/authenticated']
    scopes: [foo, bar]
  - clientId: ${CLIENT_ID}
    clientSecret: '${CLIENT_SECRET}'
    name: Python script
    redirectUris: ['http://127.0.0.1:${ports.script}/callback']
    scopes: [foo]
`
}

/** No variable of the caller's may move the lab off the test's ports or config. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of Object.keys(env)) {
    if (/^(AUTH|RESOURCE|CLIENT)_|^OAUTH_LAB_CONFIG$|^HOST$|^LOG_LEVEL$|^LAB_KEY|^STORE$/.test(name)) delete env[name]
  }
  return env
}

async function healthy(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) })).ok
  } catch {
    return false
  }
}

beforeAll(async () => {
  if (!hasPython) return
  const [auth, resource, client, script] = (await freePorts(4)) as [number, number, number, number]
  const file = join(dir, 'oauth-lab.config.yaml')
  writeFileSync(file, configYaml({ auth, resource, client, script }))
  lab = spawn(process.execPath, ['dist/cli.js', '--config', file], {
    cwd: ROOT,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  lab.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  lab.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  let ready = false
  for (let poll = 0; poll < MAX_POLLS && !ready; poll++) {
    if (lab.exitCode !== null) throw new Error(`the lab exited: ${output}`)
    ready = (await Promise.all([auth, resource, client].map(healthy))).every(Boolean)
    if (!ready) await sleep(POLL_MS)
  }
  if (!ready) throw new Error(`the lab did not become healthy: ${output}`)
  urls = {
    auth: `http://localhost:${auth}`,
    resource: `http://localhost:${resource}`,
    redirect: `http://127.0.0.1:${script}/callback`,
  }
})

afterAll(async () => {
  if (lab && lab.exitCode === null) {
    const closed = new Promise((resolve) => lab?.once('close', resolve))
    lab.kill('SIGTERM')
    await Promise.race([closed, sleep(10_000)])
    if (lab.exitCode === null) lab.kill('SIGKILL')
  }
  rmSync(dir, { recursive: true, force: true })
})

/** Runs a fixture script with the lab's URLs and the test's credentials; its JSON output. */
async function runScript(name: string): Promise<Record<string, unknown>> {
  const args = [
    join(FIXTURES, name),
    urls.auth,
    urls.resource,
    CLIENT_ID,
    CLIENT_SECRET,
    urls.redirect,
    'alice',
    'alice-password',
    'oauth-resource-1',
    'oauth-resource-secret-1',
  ]
  const { stdout } = await promisify(execFile)('python3', args, { timeout: 60_000 })
  return JSON.parse(stdout) as Record<string, unknown>
}

const STDLIB_TITLE = hasPython
  ? 'a Python client with the standard library only, against the CLI-started lab'
  : 'a Python client with the standard library only (skipped: python3 is not on the PATH)'
const AUTHLIB_TITLE = hasAuthlib
  ? 'authlib against the CLI-started lab'
  : 'authlib (skipped: `python3 -c "import authlib, requests"` fails here; PyPI is out of reach)'

describe.skipIf(!hasPython)(STDLIB_TITLE, () => {
  it('discovery, sign-in and consent forms, PKCE, HTTP Basic, resource, refresh rotation, revocation', async () => {
    const seen = await runScript('python_stdlib_flow.py')
    expect(seen).toEqual({
      discovery: { issuer: urls.auth, token_endpoint: `${urls.auth}/token` },
      authorize: { pages: ['login', 'consent'], iss: urls.auth },
      token: { scope: 'foo', refresh_token: true },
      resource: expect.objectContaining({ resource: 'foo', sub: 'alice', client_id: CLIENT_ID }),
      // A rotated-out refresh token used again: invalid_grant (and its family is revoked).
      refresh: { rotated: true, reuse: [400, 'invalid_grant'] },
      revocation: {
        // The decision was remembered: a new browser signs in, with no consent page.
        pages_second_time: ['login'],
        introspection: { active: false },
        resource: 401,
        challenge: expect.stringMatching(/^Bearer .*error="invalid_token"/),
      },
    })
  })
})

describe.skipIf(!hasAuthlib)(AUTHLIB_TITLE, () => {
  it('OAuth2Session: token with PKCE, resource, refresh, revocation', async () => {
    expect(await runScript('python_authlib_flow.py')).toMatchObject({
      resource: 200,
      rotated: true,
      introspection: { active: false },
    })
  })
})

// docker-compose.yml without a docker engine: the file is parsed and checked,
// then the three compiled servers run as real processes with exactly the
// environment each service gets from it. Only what a container provides is
// mapped: service names (auth, resource, client) become 127.0.0.1 and the
// published ports become free ports. The browser stand-in uses the public
// localhost URLs, the servers the internal ones, so a flow that completes
// proves the front-channel / back-channel split of docs/contract.md works.
// auth runs on the compose durable store (STORE, in the volume), and a
// remembered decision outlives a restart of its process.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { freePorts } from '../helpers/free-port.js'
import { httpBrowser, type HttpResponse } from '../helpers/http-browser.js'
import { hiddenField } from '../helpers/inject-browser.js'
import { at, defined, first } from '../helpers/lists.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const POLL_MS = 50
/** The named volume, here a fresh directory: /app/data of every container. */
const DATA_DIR = mkdtempSync(join(tmpdir(), 'oauth-lab-compose-'))
/** The lab key the three servers share, read from the volume once auth has made it. */
let LAB_KEY = ''
const SERVICES = ['auth', 'resource', 'client'] as const
type Service = (typeof SERVICES)[number]

interface ComposeService {
  build?: unknown
  image?: string
  command?: unknown
  environment?: Record<string, unknown>
  ports?: unknown[]
  volumes?: unknown[]
  healthcheck?: { test?: unknown; interval?: string; timeout?: string; retries?: number }
  depends_on?: Record<string, { condition?: string }>
  restart?: string
}

interface ComposeFile {
  services: Record<string, ComposeService>
  volumes?: Record<string, unknown>
}

// merge: true resolves the `<<: *lab-env` merge keys as compose does.
const compose = parse(readFileSync(`${ROOT}/docker-compose.yml`, 'utf8'), { merge: true }) as ComposeFile
const service = (name: Service): ComposeService =>
  defined(compose.services[name], `service ${name} in docker-compose.yml`)

/**
 * What each role is in the container: its entry file, port variable and the
 * default port of docs/contract.md (written out, not imported from src/, so this
 * test checks the file against the contract rather than against the code).
 */
const ROLE: Record<Service, { entry: string; portVar: string; defaultPort: number }> = {
  auth: { entry: 'dist/bundle/auth-server.js', portVar: 'AUTH_PORT', defaultPort: 9001 },
  resource: { entry: 'dist/bundle/resource-server.js', portVar: 'RESOURCE_PORT', defaultPort: 9002 },
  client: { entry: 'dist/bundle/client.js', portVar: 'CLIENT_PORT', defaultPort: 3000 },
}

/** Compose's environment map as strings (YAML may give numbers or booleans). */
function composeEnv(name: Service): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(service(name).environment ?? {})) env[key] = String(value)
  return env
}

/** The "ip:host:container" entries of a service's `ports`. */
function published(name: Service): Array<{ ip: string; host: number; container: number }> {
  return (service(name).ports ?? []).map((entry) => {
    const match = /^(?:([0-9.]+):)?(\d+):(\d+)$/.exec(String(entry))
    if (!match) throw new Error(`${name}: port "${String(entry)}" is not "ip:host:container"`)
    return { ip: match[1] ?? '0.0.0.0', host: Number(match[2]), container: Number(match[3]) }
  })
}

/** The port a role listens on inside its container: its *_PORT, else the default. */
function containerPort(name: Service): number {
  const raw = composeEnv(name)[ROLE[name].portVar]
  return raw === undefined ? ROLE[name].defaultPort : Number(raw)
}

/** Debian's docker-compose (v1), when installed: it checks the file without an engine. */
const hasDockerCompose = (() => {
  try {
    execFileSync('docker-compose', ['version'], { stdio: 'ignore', timeout: 20_000 })
    return true
  } catch {
    return false
  }
})()

describe('docker-compose.yml', () => {
  it.skipIf(!hasDockerCompose)('passes `docker-compose config -q`', () => {
    expect(() =>
      execFileSync('docker-compose', ['config', '-q'], { cwd: ROOT, stdio: 'pipe', timeout: 20_000 }),
    ).not.toThrow()
  })

  it('has the three services, built once and sharing one image', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['auth', 'client', 'resource'])
    const images = new Set(SERVICES.map((name) => service(name).image))
    expect([...images]).toEqual(['oauth-lab:local'])
    expect(SERVICES.filter((name) => service(name).build !== undefined)).toEqual(['auth'])
  })

  it('runs one role per service, restarting it unless stopped', () => {
    for (const name of SERVICES) {
      expect(service(name).command).toEqual(['node', ROLE[name].entry])
      expect(service(name).restart).toBe('unless-stopped')
    }
  })

  it("publishes 9001, 9002 and 3000 on the host's loopback only, to the port each role listens on", () => {
    // Lab safety: published on 127.0.0.1, not on every interface of the host.
    expect(published('auth')).toEqual([{ ip: '127.0.0.1', host: 9001, container: 9001 }])
    expect(published('resource')).toEqual([{ ip: '127.0.0.1', host: 9002, container: 9002 }])
    expect(published('client')).toEqual([{ ip: '127.0.0.1', host: 3000, container: 3000 }])
    for (const name of SERVICES) expect(first(published(name)).container).toBe(containerPort(name))
  })

  it('gives every service the same URLs (public ones on localhost, internal ones by service name) and lab key file, and auth the durable store', () => {
    for (const name of SERVICES) {
      expect(composeEnv(name)).toEqual({
        HOST: '0.0.0.0',
        AUTH_PUBLIC_URL: 'http://localhost:9001',
        AUTH_INTERNAL_URL: 'http://auth:9001',
        RESOURCE_PUBLIC_URL: 'http://localhost:9002',
        RESOURCE_INTERNAL_URL: 'http://resource:9002',
        CLIENT_PUBLIC_URL: 'http://localhost:3000',
        LAB_KEY_FILE: '/app/data/lab-key',
        // Only the authorization server keeps state worth keeping.
        ...(name === 'auth' ? { STORE: 'sqlite:/app/data/oauth-lab.db' } : {}),
      })
    }
  })

  it('checks each service with node against its own /healthz (the slim image has no curl)', () => {
    for (const name of SERVICES) {
      const { test } = service(name).healthcheck ?? {}
      expect(test).toEqual([
        'CMD',
        'node',
        '-e',
        `fetch('http://127.0.0.1:${containerPort(name)}/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`,
      ])
    }
  })

  it('starts resource after a healthy auth, and client after healthy auth and resource', () => {
    expect(service('auth').depends_on).toBeUndefined()
    expect(service('resource').depends_on).toEqual({ auth: { condition: 'service_healthy' } })
    expect(service('client').depends_on).toEqual({
      auth: { condition: 'service_healthy' },
      resource: { condition: 'service_healthy' },
    })
  })

  it('shares the named volume oauth-lab-data (lab key file, durable store) at /app/data', () => {
    expect(Object.keys(compose.volumes ?? {})).toEqual(['oauth-lab-data'])
    for (const name of SERVICES) expect(service(name).volumes).toEqual(['oauth-lab-data:/app/data'])
    for (const name of SERVICES) expect(composeEnv(name).LAB_KEY_FILE).toBe('/app/data/lab-key')
    expect(composeEnv('auth').LAB_KEY).toBeUndefined()
    // The store's file is in the volume, or it would go with the container.
    expect(composeEnv('auth').STORE).toMatch(/^sqlite:\/app\/data\/[^/]+\.db$/)
  })
})

interface Run {
  readonly name: Service
  readonly child: ChildProcess
  stdout: string
  stderr: string
  closed: boolean
}

const runs: Run[] = []

async function until(what: string, check: () => boolean | Promise<boolean>, attempts = 300): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await check()) return
    await sleep(POLL_MS)
  }
  throw new Error(`gave up waiting for ${what}`)
}

async function healthy(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) })
    await response.body?.cancel()
    return response.ok
  } catch {
    return false
  }
}

/** SIGTERM, a bounded wait, then SIGKILL: a failed test must leave no server behind. */
async function stop(r: Run): Promise<void> {
  if (r.closed) return
  r.child.kill('SIGTERM')
  await until(`${r.name} to stop`, () => r.closed, 200).catch(async () => {
    r.child.kill('SIGKILL')
    await until(`${r.name} to die`, () => r.closed, 100).catch(() => undefined)
  })
}

afterAll(async () => {
  await Promise.all(runs.map(stop))
  rmSync(DATA_DIR, { recursive: true, force: true })
})

describe('the compose environment, with service names on loopback', () => {
  /** Free port for each service's published (host) port and for its container port. */
  const hostPort = new Map<number, number>()
  const servicePort = new Map<Service, number>()
  const env = {} as Record<Service, Record<string, string>>
  const browser = httpBrowser()
  let authPublic: string, authInternal: string, resourcePublic: string, resourceInternal: string, clientPublic: string
  let accessToken: string

  /**
   * What docker gives a container, done on loopback: a service name resolves
   * to that service (here 127.0.0.1 and its free port); localhost:<published
   * port> reaches the service publishing it (here localhost and the same port).
   */
  function mapUrl(value: string): string {
    let url: URL
    try {
      url = new URL(value)
    } catch {
      return value
    }
    if ((SERVICES as readonly string[]).includes(url.hostname)) {
      const target = url.hostname as Service
      if (Number(url.port) !== containerPort(target))
        throw new Error(`${value}: ${target} listens on ${containerPort(target)}`)
      url.hostname = '127.0.0.1'
      url.port = String(servicePort.get(target))
    } else if (url.hostname === 'localhost') {
      const port = hostPort.get(Number(url.port))
      if (port === undefined) throw new Error(`${value}: no service publishes port ${url.port}`)
      url.port = String(port)
    }
    return url.href.replace(/\/+$/, '')
  }

  beforeAll(async () => {
    // dist/ is built once for the whole suite (test/helpers/global-setup.ts).
    const ports = await freePorts(SERVICES.length)
    SERVICES.forEach((name, i) => {
      const port = at(ports, i, `a free port for ${name}`)
      servicePort.set(name, port)
      for (const { host } of published(name)) hostPort.set(host, port)
    })
    for (const name of SERVICES) {
      const mapped: Record<string, string> = {}
      // The volume's mount point, moved to the test's directory (also in STORE=sqlite:<path>).
      for (const [key, value] of Object.entries(composeEnv(name)))
        mapped[key] = mapUrl(value).replace(
          /^(sqlite:)?\/app\/data(?=\/|$)/,
          (_, scheme?: string) => `${scheme ?? ''}${DATA_DIR}`,
        )
      env[name] = {
        ...mapped,
        // The container port of each role, moved to its free port.
        AUTH_PORT: String(servicePort.get('auth')),
        RESOURCE_PORT: String(servicePort.get('resource')),
        CLIENT_PORT: String(servicePort.get('client')),
        // Never 0.0.0.0 in a test: loopback only.
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
      }
    }
    authPublic = env.auth.AUTH_PUBLIC_URL!
    authInternal = env.auth.AUTH_INTERNAL_URL!
    resourcePublic = env.auth.RESOURCE_PUBLIC_URL!
    resourceInternal = env.auth.RESOURCE_INTERNAL_URL!
    clientPublic = env.auth.CLIENT_PUBLIC_URL!
    // In compose order, each once the ones it depends on are healthy.
    for (const name of SERVICES) await startService(name)
    LAB_KEY = readFileSync(join(DATA_DIR, 'lab-key'), 'utf8').trim()
  }, 180_000)

  /** Runs a service's command with its environment, as its container would, and waits until it is healthy. */
  async function startService(name: Service): Promise<Run> {
    const [, ...args] = service(name).command as string[]
    // The compose environment and PATH only: nothing of the test's leaks in.
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...env[name] },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const r: Run = { name, child, stdout: '', stderr: '', closed: false }
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (r.stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (r.stderr += chunk))
    child.on('close', () => (r.closed = true))
    runs.push(r)
    const port = servicePort.get(name)!
    await until(`${name} /healthz`, async () => r.closed || (await healthy(port)))
    if (r.closed) throw new Error(`${name} exited with ${r.child.exitCode}:\n${r.stderr}${r.stdout}`)
    return r
  }

  it('maps the URLs as docker would: public to localhost, internal to loopback, on the free ports', () => {
    const [auth, resource, client] = SERVICES.map((name) => servicePort.get(name)!)
    expect({ authPublic, authInternal, resourcePublic, resourceInternal, clientPublic }).toEqual({
      authPublic: `http://localhost:${auth}`,
      authInternal: `http://127.0.0.1:${auth}`,
      resourcePublic: `http://localhost:${resource}`,
      resourceInternal: `http://127.0.0.1:${resource}`,
      clientPublic: `http://localhost:${client}`,
    })
    // Exactly the compose keys, plus the ports, log level and lab key this test sets.
    for (const name of SERVICES) {
      const set = ['AUTH_PORT', 'RESOURCE_PORT', 'CLIENT_PORT', 'LOG_LEVEL']
      expect(Object.keys(env[name]).sort()).toEqual([...new Set([...Object.keys(composeEnv(name)), ...set])].sort())
    }
  })

  it("each service's healthcheck command passes against it", async () => {
    for (const name of SERVICES) {
      const [, node, ...args] = service(name).healthcheck!.test as string[]
      expect(node).toBe('node')
      const script = at(args, 1).replace(`127.0.0.1:${containerPort(name)}`, `127.0.0.1:${servicePort.get(name)}`)
      const code = await new Promise<number | null>((resolve) => {
        const child = execFile(process.execPath, ['-e', script], { timeout: 10_000 }, () => resolve(child.exitCode))
      })
      expect(code, name).toBe(0)
    }
  })

  it('runs the flow: front channel on localhost, back channel on the internal URLs', async () => {
    // Step 1: the browser, on the client's public URL, is sent to the AS's public URL.
    const connect = await browser.get(`${clientPublic}/connect`)
    expect(connect.status).toBe(302)
    const authorize = new URL(browser.location(connect))
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${authPublic}/authorize`)
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${clientPublic}/authenticated`)

    // Steps 2 and 3: login and consent, in the browser.
    const login = await browser.get(authorize.href)
    expect(login.status).toBe(200)
    const signedIn = await browser.post(`${authPublic}/login`, {
      _csrf: hiddenField(login.body, '_csrf'),
      interaction: hiddenField(login.body, 'interaction'),
      username: 'alice',
      password: 'alice-password',
    })
    expect(signedIn.status).toBe(303)
    const consent = await browser.get(browser.location(signedIn))
    expect(consent.status).toBe(200)
    const allowed = await browser.post(`${authPublic}/consent`, {
      _csrf: hiddenField(consent.body, '_csrf'),
      interaction: hiddenField(consent.body, 'interaction'),
      decision: 'allow',
      remember: 'on',
    })
    expect([302, 303]).toContain(allowed.status)

    // Step 4: back to the client's public URL, with the public issuer (RFC 9207).
    const callback = new URL(browser.location(allowed))
    expect(`${callback.origin}${callback.pathname}`).toBe(`${clientPublic}/authenticated`)
    expect(callback.searchParams.get('iss')).toBe(authPublic)

    // Steps 5 and 6: the client redeems the code over the back channel.
    const tokenPage: HttpResponse = await browser.get(callback.href)
    expect(tokenPage.status, tokenPage.body).toBe(200)

    // Step 7: the client calls the resource server over the back channel.
    const resourcePage = await browser.post(`${clientPublic}/fetch-resource`, {
      _csrf: hiddenField(tokenPage.body, '_csrf'),
    })
    expect(resourcePage.status).toBe(200)
    expect(resourcePage.body).toMatch(/id="resource-status">200</)

    const tokenExchange = (await exchanges(authInternal)).find(
      (e) => e.request.method === 'POST' && path(e) === '/token',
    )
    expect(tokenExchange?.response.status).toBe(200)
    accessToken = (JSON.parse(tokenExchange!.response.body!) as { access_token: string }).access_token
    expect(tokenPage.body).toContain(accessToken)
  })

  it('the AS saw the browser on its public URL and the servers on its internal URL', async () => {
    const seen = await exchanges(authInternal)
    const hosts = (method: string, p: string) =>
      seen.filter((e) => e.request.method === method && path(e) === p).map((e) => header(e, 'host'))
    const auth = servicePort.get('auth')
    /** Seen at least once, and each time on that host. */
    const onlyOn = (host: string, method: string, p: string) => {
      const seenHosts = hosts(method, p)
      expect(seenHosts.length, `${method} ${p}`).toBeGreaterThanOrEqual(1)
      expect(new Set(seenHosts), `${method} ${p}`).toEqual(new Set([host]))
    }
    // Front channel: the browser came to localhost (GET /authorize twice: before and after login).
    onlyOn(`localhost:${auth}`, 'GET', '/authorize')
    onlyOn(`localhost:${auth}`, 'POST', '/login')
    onlyOn(`localhost:${auth}`, 'POST', '/consent')
    // Back channel: the client's token request and the resource server's key fetch came to the internal URL.
    expect(hosts('POST', '/token')).toEqual([`127.0.0.1:${auth}`])
    onlyOn(`127.0.0.1:${auth}`, 'GET', '/jwks')
  })

  it('the resource server saw the client on its internal URL', async () => {
    const calls = (await exchanges(resourceInternal)).filter(
      (e) => e.request.method === 'GET' && path(e) === '/resource',
    )
    expect(calls.map((e) => [header(e, 'host'), e.response.status])).toEqual([
      [`127.0.0.1:${servicePort.get('resource')}`, 200],
    ])
  })

  it('the token names the public URLs and works at the resource server', async () => {
    const payload = at(accessToken.split('.'), 1, 'the payload of the access token')
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>
    expect(claims.iss).toBe(authPublic)
    expect(claims.aud).toBe(resourcePublic)
    expect(claims.sub).toBe('alice')
    const res = await fetch(`${resourcePublic}/resource`, { headers: { authorization: `Bearer ${accessToken}` } })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ sub: 'alice', client_id: 'oauth-client-1' })
  })

  it('the metadata names the public URL whichever URL it is asked on', async () => {
    for (const base of [authPublic, authInternal]) {
      const res = await fetch(`${base}/.well-known/oauth-authorization-server`)
      expect(((await res.json()) as { issuer: string }).issuer).toBe(authPublic)
    }
  })

  it('shares one lab key through the volume: made once (0600), accepted by all three, linked once by the client', async () => {
    expect(LAB_KEY).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(statSync(join(DATA_DIR, 'lab-key')).mode & 0o777).toBe(0o600)
    for (const name of SERVICES) {
      const res = await fetch(`http://127.0.0.1:${servicePort.get(name)}/_lab/exchanges`, {
        headers: { authorization: `Bearer ${LAB_KEY}` },
      })
      expect(res.status, name).toBe(200)
      await res.body?.cancel()
    }
    const client = defined(
      runs.find((r) => r.name === 'client'),
      'the client run',
    )
    expect(client.stdout).toContain(`oauth-lab client lab key: ${clientPublic}/flow?lab_key=${LAB_KEY}\n`)
  })

  it("keeps auth's state in the volume: a remembered decision survives a restart of auth", async () => {
    // The store's file, owner-only: it holds the private signing key.
    const file = join(DATA_DIR, 'oauth-lab.db')
    expect(env.auth.STORE).toBe(`sqlite:${file}`)
    expect(statSync(file).mode & 0o777).toBe(0o600)

    const before = defined(
      runs.find((r) => r.name === 'auth' && !r.closed),
      'the running auth',
    )
    await stop(before)
    expect(before.child.exitCode).toBe(0)
    await startService('auth')

    // A new browser (no sign-in session): sign in, and the consent remembered
    // in the earlier flow skips step 3 (the decision was read back from the file).
    const fresh = httpBrowser()
    const authorize = fresh.location(await fresh.get(`${clientPublic}/connect`))
    const login = await fresh.get(authorize)
    expect(login.status).toBe(200)
    const signedIn = await fresh.post(`${authPublic}/login`, {
      _csrf: hiddenField(login.body, '_csrf'),
      interaction: hiddenField(login.body, 'interaction'),
      username: 'alice',
      password: 'alice-password',
    })
    expect(signedIn.status).toBe(303)
    const resumed = await fresh.get(fresh.location(signedIn))
    expect(resumed.status, resumed.body).toBe(302)
    const callback = new URL(fresh.location(resumed))
    expect(`${callback.origin}${callback.pathname}`).toBe(`${clientPublic}/authenticated`)
    expect(callback.searchParams.get('code')).toBeTruthy()
    // The code redeems at the restarted server: steps 5 and 6 over the back channel.
    const tokenPage = await fresh.get(callback.href)
    expect(tokenPage.status, tokenPage.body).toBe(200)
  })

  it('no server wrote to stderr', () => {
    for (const r of runs) expect(r.stderr, r.name).toBe('')
  })
})

interface Exchange {
  request: { method: string; url: string; headers: Array<[string, string]> }
  response: { status: number; body?: string }
}

async function exchanges(base: string): Promise<Exchange[]> {
  const res = await fetch(`${base}/_lab/exchanges`, {
    headers: { authorization: `Bearer ${LAB_KEY}` },
    signal: AbortSignal.timeout(5000),
  })
  expect(res.status).toBe(200)
  return ((await res.json()) as { exchanges: Exchange[] }).exchanges
}

const path = (e: Exchange): string => first(e.request.url.split('?'))

function header(e: Exchange, name: string): string | undefined {
  return e.request.headers.find(([key]) => key.toLowerCase() === name)?.[1]
}

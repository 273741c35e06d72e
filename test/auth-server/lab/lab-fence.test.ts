// The lab's powers are fenced: every /_lab/* route exists only while its
// feature is on, the extension points keep their no-op defaults unless a lab
// feature needs them, and no protocol file imports from lab/.

import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { FastifyInstance, HTTPMethods } from 'fastify'
import { buildAuthServer } from '../../../src/auth-server/app.js'
import { NO_EXTENSIONS } from '../../../src/auth-server/extensions.js'
import { buildClientApp } from '../../../src/client/app.js'
import { buildResourceServer } from '../../../src/resource-server/app.js'
import { loadConfig } from '../../../src/shared/config.js'

/** Each /_lab/* route of the app with its methods, e.g. { '/_lab/tokens': 'POST' }. */
async function labRoutes(app: FastifyInstance): Promise<Record<string, string>> {
  await app.ready()
  const routes: Record<string, string> = {}
  // The printed tree may hang `_lab/…` under `/`: the path is read without its slash.
  for (const [, path = '', methods = ''] of app
    .printRoutes({ commonPrefix: false })
    .matchAll(/_lab\/(\S*) \(([^)]*)\)/g))
    routes[`/_lab/${path}`] = methods
  const method = (url: string) => (routes[url] ?? '').split(', ')[0] as HTTPMethods
  expect(Object.keys(routes).every((url) => app.hasRoute({ url, method: method(url) }))).toBe(true)
  await app.close()
  return routes
}

const config = (env: Record<string, string>) => loadConfig({ LOG_LEVEL: 'silent', ...env })
const authServer = (env: Record<string, string>, hooks?: object) =>
  buildAuthServer(config(env), { logger: false, ...(hooks ? { hooks } : {}) })

describe('/_lab/* routes', () => {
  it('the authorization server has none with every lab feature off', async () => {
    expect(await labRoutes(await authServer({ INSPECTOR: 'off' }))).toEqual({})
  })

  it('and none with only the in-process lab (hooks, scenarios) or headless sign-in', async () => {
    expect(await labRoutes(await authServer({ INSPECTOR: 'off', AUTO_LOGIN: 'alice', LOGIN_HINT: 'on' }, {}))).toEqual(
      {},
    )
  })

  it('INSPECTOR=on (the default) brings /_lab/exchanges, /_lab/tokens, /_lab/clients and /_lab/device/expire, nothing else', async () => {
    expect(await labRoutes(await authServer({}))).toEqual({
      '/_lab/exchanges': 'GET, HEAD',
      '/_lab/tokens': 'POST',
      '/_lab/clients': 'GET, HEAD, POST',
      '/_lab/device/expire': 'POST',
    })
  })

  it('LAB_ADMIN=on brings /_lab/scenarios and the control routes, nothing else', async () => {
    expect(await labRoutes(await authServer({ INSPECTOR: 'off', LAB_ADMIN: 'on' }))).toEqual({
      '/_lab/scenarios': 'GET, HEAD, POST',
      '/_lab/next-login': 'POST',
      '/_lab/users': 'POST',
      '/_lab/next-token-claims': 'POST',
      '/_lab/keys/rotate': 'POST',
    })
  })

  it('the resource server and the client app serve /_lab/exchanges with the inspector on, nothing without', async () => {
    for (const build of [
      (env: Record<string, string>) => buildResourceServer(config(env), { logger: false }),
      (env: Record<string, string>) => buildClientApp(config(env), { logger: false }),
    ]) {
      expect(await labRoutes(await build({}))).toEqual({ '/_lab/exchanges': 'GET, HEAD' })
      expect(await labRoutes(await build({ INSPECTOR: 'off' }))).toEqual({})
    }
  })
})

describe('/_lab/* routes need the lab key', () => {
  // Every lab route of every server, found by reading its routes: a route
  // added later without the key fails here.
  const KEY = 'k'.repeat(43)
  const everyFeature = { LAB_ADMIN: 'on', LAB_KEY: KEY }
  const builds = [
    () => authServer(everyFeature),
    () => buildResourceServer(config(everyFeature), { logger: false }),
    () => buildClientApp(config(everyFeature), { logger: false }),
  ]

  it('every route and method answers 401 without the key, or with a wrong one, and lets the key through', async () => {
    let checked = 0
    for (const build of builds) {
      const routes = await labRoutes(await build())
      const app = await build()
      for (const [url, methods] of Object.entries(routes)) {
        for (const method of methods.split(', ') as HTTPMethods[]) {
          const ask = (headers: Record<string, string>) =>
            app.inject({ method, url, headers, ...(method === 'POST' ? { payload: {} } : {}) })
          for (const headers of [{}, { authorization: `Bearer ${KEY}x` }] as Array<Record<string, string>>)
            expect((await ask(headers)).statusCode, `${method} ${url}`).toBe(401)
          // With the key, the route's own answer (a POST of {} fails its schema: 400; but
          // {} is a plain key rotation).
          expect((await ask({ authorization: `Bearer ${KEY}` })).statusCode, `${method} ${url}`).toBe(
            method === 'POST' && url !== '/_lab/keys/rotate' ? 400 : 200,
          )
          checked++
        }
      }
      await app.close()
    }
    // auth: exchanges (GET, HEAD), tokens (POST), clients (GET, HEAD, POST), device/expire (POST), scenarios
    // (GET, HEAD, POST), next-login, users, next-token-claims, keys/rotate (POST); resource and client: exchanges (GET, HEAD).
    expect(checked).toBe(18)
  })
})

describe('the extension points', () => {
  it('are the no-op defaults, and there are no lab powers, with every lab feature off', async () => {
    const app = await authServer({})
    expect(app.oauthLab.extensions).toBe(NO_EXTENSIONS)
    expect(app.labPowers).toBeUndefined()
    await app.close()
  })

  it('AUTO_LOGIN or LOGIN_HINT installs headless sign-in only', async () => {
    for (const env of [{ AUTO_LOGIN: 'alice' }, { LOGIN_HINT: 'on' }] as Array<Record<string, string>>) {
      const app = await authServer(env)
      const { extensions } = app.oauthLab
      expect(extensions.headlessUser).not.toBe(NO_EXTENSIONS.headlessUser)
      expect({ ...extensions, headlessUser: NO_EXTENSIONS.headlessUser }).toEqual(NO_EXTENSIONS)
      expect(app.labPowers).toBeUndefined()
      await app.close()
    }
  })

  it('hooks given or LAB_ADMIN=on install the scenarios and hooks, and a headless sign-in only once armed', async () => {
    for (const app of [await authServer({}, {}), await authServer({ LAB_ADMIN: 'on' })]) {
      const { extensions } = app.oauthLab
      // The next login (lab.signInNext): nobody is signed in until one is armed.
      const anonymous = await app.inject({
        method: 'GET',
        url: '/authorize?response_type=code&client_id=oauth-client-1',
      })
      expect(anonymous.statusCode).toBe(200)
      expect(anonymous.body).toContain('name="password"')
      for (const point of ['tokenEndpointGate', 'claimsBeforeSigning', 'denyAuthorization', 'beforeResponse'] as const)
        expect(extensions[point]).not.toBe(NO_EXTENSIONS[point])
      expect(app.labPowers?.scenarios.armed().failTokenRequests).toBeNull()
      await app.close()
    }
  })
})

describe('the fence', () => {
  it('no protocol file imports from lab/: only app.ts installs it', async () => {
    const root = join(import.meta.dirname, '../../../src/auth-server')
    const offenders: string[] = []
    for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.ts')) continue
      const file = relative(root, join(entry.parentPath, entry.name))
      if (file.startsWith('lab/') || file === 'app.ts') continue
      const source = await readFile(join(root, file), 'utf8')
      if (/from '(\.\.?\/)+(auth-server\/)?lab\//.test(source)) offenders.push(file)
    }
    expect(offenders).toEqual([])
  })
})

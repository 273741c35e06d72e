// The settings table drives every source: environment, flags, config file and
// startLab options reach the config as typed values through one path, with
// the same defaults and checks, in the order defaults < file < env < flags <
// startLab options.

import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { flagArgv, parseLabArgs, parseLabFlags, USAGE, UsageError } from '../../src/shared/args.js'
import { ConfigError, ConfigFileError, loadConfig, type LoadOptions } from '../../src/shared/config.js'
import { configErrorLines } from '../../src/shared/config-error.js'
import { CONFIG_SCHEMA, LAB_OPTIONS_SCHEMA } from '../../src/shared/config-schema.js'
import { ROLES } from '../../src/shared/roles.js'
import { SETTING_IDS, SETTINGS } from '../../src/shared/settings.js'

const dir = mkdtempSync(join(tmpdir(), 'oauth-lab-settings-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function write(name: string, content: unknown): string {
  const file = join(dir, name)
  writeFileSync(file, JSON.stringify(content))
  return file
}

const lab = (options: unknown): LoadOptions => ({ labOptions: { options, label: 'startLab options' } })

/** The lines loadConfigOrExit would print, or startLab's rejection. */
function problems(env: Record<string, string>, options: LoadOptions): string[] {
  try {
    loadConfig(env, options)
  } catch (error) {
    if (error instanceof ConfigError) return configErrorLines(error)
    throw error
  }
  throw new Error('loaded without error')
}

/** A JSON pointer into a JSON Schema's properties. */
function schemaAt(schema: unknown, pointer: string): unknown {
  return pointer
    .slice(1)
    .split('/')
    .reduce<unknown>((node, key) => (node as { properties?: Record<string, unknown> }).properties?.[key], schema)
}

describe('the settings table', () => {
  it('gives every setting at least one source, and each source name once', () => {
    for (const id of SETTING_IDS) {
      const row = SETTINGS[id]
      expect({ id, sources: [row.env, row.flag, row.file, row.option].some((s) => s !== undefined) }).toEqual({
        id,
        sources: true,
      })
    }
    for (const key of ['env', 'file', 'option'] as const) {
      const names = SETTING_IDS.map((id) => SETTINGS[id][key]).filter((n) => n !== undefined)
      expect(new Set(names).size).toBe(names.length)
    }
  })

  it('places every file key and option in the schemas made from it', () => {
    for (const id of SETTING_IDS) {
      const { file, option } = SETTINGS[id]
      if (file !== undefined) expect({ id, at: schemaAt(CONFIG_SCHEMA, file) }).toEqual({ id, at: expect.anything() })
      if (option !== undefined)
        expect({ id, at: schemaAt(LAB_OPTIONS_SCHEMA, option) }).toEqual({ id, at: expect.anything() })
    }
  })

  it('makes --help from its flags', () => {
    for (const id of SETTING_IDS) {
      const { flag } = SETTINGS[id]
      if (flag !== undefined) expect(USAGE).toContain(`--${flag.name} <${flag.arg}>`)
    }
    expect(USAGE).toMatch(/^Usage: oauth-lab \[auth\|resource\|client\] \[options\]/)
  })

  it('takes each role port, variable and flag from the roles table', () => {
    for (const role of ROLES) {
      expect(SETTINGS[role.portSetting]).toMatchObject({
        env: `${role.command.toUpperCase()}_PORT`,
        flag: { name: `port-${role.command}` },
        default: role.defaultPort,
      })
    }
  })
})

describe('flags', () => {
  it('are parsed into typed settings, and handed on unchanged', () => {
    const flags = parseLabArgs(['auth', '--port-auth', '9101', '--log-level', 'warn', '-c', 'lab.json'])
    expect(flags).toMatchObject({
      command: 'auth',
      settings: { authPort: 9101, logLevel: 'warn', configFile: 'lab.json' },
    })
    expect(parseLabFlags(flagArgv(flags)).settings).toEqual(flags.settings)
  })

  it('say what is wrong with a value in the same words as the variable', () => {
    expect(() => parseLabFlags(['--port-client', '70000'])).toThrow(
      new UsageError('--port-client 70000 is not a port number (0-65535)'),
    )
    expect(() => loadConfig({ CLIENT_PORT: '70000' })).toThrow('CLIENT_PORT=70000 is not a port number (0-65535)')
  })

  it('beat the environment, which beats the file, which beats the defaults', () => {
    const file = write('ports.json', { ports: { auth: 9101, resource: 9102 }, logLevel: 'warn', signingAlg: 'RS256' })
    const flags = parseLabFlags(['--port-auth', '9301']).settings
    const config = loadConfig({ AUTH_PORT: '9201', RESOURCE_PORT: '9202', LOG_LEVEL: 'error' }, { file, flags })
    expect([config.auth.port, config.resource.port, config.client.port]).toEqual([9301, 9202, 3000])
    expect(config.auth.publicUrl).toBe('http://localhost:9301')
    expect([config.logLevel, config.auth.signingAlg]).toEqual(['error', 'RS256'])
  })
})

describe('startLab options (loadConfig labOptions)', () => {
  it('beat flags, the environment and the defaults', () => {
    const config = loadConfig(
      { CODE_TTL_SECONDS: '30', SIGNING_ALG: 'RS256' },
      { flags: { authPort: 9301 }, ...lab({ ports: { auth: 9401 }, codeTtlSeconds: 20, admin: true }) },
    )
    expect([config.auth.port, config.auth.codeTtlSeconds, config.auth.signingAlg]).toEqual([9401, 20, 'RS256'])
    expect(config.auth.labAdmin).toBe(true)
  })

  it('fill in a partial client like a config file does', () => {
    const config = loadConfig(
      {},
      lab({
        clients: [{ clientId: 'spa', redirectUris: ['http://localhost:5173/cb'], scopes: ['foo'] }],
        extraClients: [{ clientId: 'my-app', clientSecret: 'my-secret', redirectUris: ['http://x.test/cb'] }],
        clientApp: { clientId: 'my-app' },
      }),
    )
    expect(config.clients.map((c) => c.clientId)).toEqual(['spa', 'oauth-resource-1', 'my-app'])
    expect(config.clients[0]).toEqual({
      clientId: 'spa',
      name: 'spa',
      redirectUris: ['http://localhost:5173/cb'],
      webOrigins: ['http://localhost:5173'],
      scopes: ['foo'],
      tokenEndpointAuthMethods: ['none'],
      grantTypes: ['authorization_code', 'refresh_token'],
      requirePkce: true,
    })
    expect(config.clients[2]).toMatchObject({
      tokenEndpointAuthMethods: ['client_secret_basic', 'client_secret_post'],
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
    })
    expect(config.client).toMatchObject({ clientId: 'my-app', clientSecret: 'my-secret' })
  })

  it('give a user without sub the username as sub', () => {
    const config = loadConfig({}, lab({ users: [{ username: 'zoe', password: 'zoe-password' }] }))
    expect(config.users).toEqual([{ username: 'zoe', password: 'zoe-password', sub: 'zoe' }])
  })

  it.each([
    [{ clients: [{ clientId: 'x', redirectUris: [1] }] }, '/clients/0/redirectUris/0: must be a string'],
    [{ clients: [{ redirectUris: [] }] }, '/clients/0: missing required property "clientId"'],
    [{ codeTtlSeconds: 601 }, '/codeTtlSeconds: must be at most 600'],
    [{ signingAlg: 'HS256' }, '/signingAlg: must be one of: ES256, RS256, EdDSA'],
    [{ ports: { auth: 'nine' } }, '/ports/auth: must be a whole number'],
    [{ loginAs: 'nobody' }, '/loginAs: must name a user (alice, bob)'],
    [{ users: [{ username: 'zoe', password: 'p' }], loginAs: 'alice' }, '/loginAs: must name a user (zoe)'],
    [
      { extraClients: [{ clientId: 'oauth-client-1', clientSecret: 's', redirectUris: ['http://x.test/cb'] }] },
      '/extraClients/0/clientId: duplicate client id "oauth-client-1" (already registered)',
    ],
    [
      {
        clients: [{ clientId: 'my-app', clientSecret: 's', redirectUris: ['/cb'] }],
        clientApp: { clientId: 'my-app' },
      },
      '/clients/0/redirectUris/0: must be an absolute URL (RFC 6749 section 3.1.2)',
    ],
    [
      { clients: [{ clientId: 'spa', redirectUris: ['http://x.test/cb'] }] },
      '/clients: the client app is "oauth-client-1", which is not in clients (set clientApp.clientId)',
    ],
    [{ colour: 'blue' }, '/colour: unknown property (allowed: '],
  ])('refuse %j at start with the path, like a file', (options, line) => {
    expect(problems({}, lab(options))).toContainEqual(
      expect.stringContaining(`oauth-lab: configuration error startLab options at ${line}`),
    )
    expect(() => loadConfig({}, lab(options))).toThrow(ConfigFileError)
  })
})

describe('AUTO_LOGIN', () => {
  it('must name a user, of the file when it has users', () => {
    expect(() => loadConfig({ AUTO_LOGIN: 'nobody' })).toThrow(
      new ConfigError('AUTO_LOGIN=nobody must name a user (alice, bob)'),
    )
    const file = write('users.json', { users: [{ username: 'zoe', password: 'zoe-password' }] })
    expect(loadConfig({ AUTO_LOGIN: 'zoe' }, { file }).auth.autoLogin).toBe('zoe')
    expect(() => loadConfig({ AUTO_LOGIN: 'alice' }, { file })).toThrow('AUTO_LOGIN=alice must name a user (zoe)')
  })
})

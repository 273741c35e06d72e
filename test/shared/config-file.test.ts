// The config file: JSON and YAML load, the environment beats the file, and
// every problem names the file, the JSON pointer in it and what is wrong.

import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ConfigError, ConfigFileError, loadConfig } from '../../src/shared/config.js'
import { configErrorLines } from '../../src/shared/config-error.js'
import {
  README_BLOCKS,
  REFERENCE_END,
  REFERENCE_START,
  configReference,
  readmeBlock,
} from '../../src/shared/config-docs.js'
import { SETTINGS } from '../../src/shared/settings.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'oauth-lab-config-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let count = 0
function write(name: string, content: unknown): string {
  const file = join(dir, `${count++}-${name}`)
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content))
  return file
}

/** The lines loadConfigOrExit would print for this file. */
function problems(file: string, env: Record<string, string> = {}): string[] {
  try {
    loadConfig(env, { file })
  } catch (error) {
    if (error instanceof ConfigError) return configErrorLines(error)
    throw error
  }
  throw new Error(`${file} loaded without error`)
}

const client = {
  clientId: 'my-app',
  clientSecret: 'my-secret',
  redirectUris: ['http://localhost:3000/authenticated'],
  scopes: ['foo'],
}

describe('a valid config file', () => {
  it('loads from JSON', () => {
    const file = write('lab.json', {
      ports: { auth: 9101, resource: 9102, client: 3100 },
      lifetimes: { codeSeconds: 30, accessTokenSeconds: 120, refreshTokenSeconds: 600, sessionSeconds: 900 },
      signingAlg: 'RS256',
      tokenCheck: 'introspect',
      logLevel: 'warn',
      scopes: [
        { name: 'foo', description: 'Foo' },
        { name: 'qux', description: 'Qux' },
      ],
      clients: [{ ...client, scopes: ['foo', 'qux'] }],
      clientApp: { clientId: 'my-app', scope: 'foo qux' },
      users: [{ username: 'zoe', password: 'zoe-password', claims: { name: 'Zoe', email: 'zoe@example.test' } }],
    })
    const config = loadConfig({}, { file })
    expect([config.auth.port, config.resource.port, config.client.port]).toEqual([9101, 9102, 3100])
    expect(config.auth.publicUrl).toBe('http://localhost:9101')
    expect(config.resource.internalUrl).toBe('http://127.0.0.1:9102')
    expect([
      config.auth.codeTtlSeconds,
      config.auth.accessTokenTtlSeconds,
      config.auth.refreshTokenTtlSeconds,
      config.auth.sessionTtlSeconds,
    ]).toEqual([30, 120, 600, 900])
    expect(config.auth.signingAlg).toBe('RS256')
    expect(config.resource.tokenCheck).toBe('introspect')
    expect(config.logLevel).toBe('warn')
    expect(config.scopes.map((s) => s.name)).toEqual(['foo', 'qux'])
    expect(config.users).toEqual([
      { username: 'zoe', password: 'zoe-password', sub: 'zoe', claims: { name: 'Zoe', email: 'zoe@example.test' } },
    ])
    // The file's client replaces the built-in ones; the introspection client stays.
    expect(config.clients.map((c) => c.clientId)).toEqual(['my-app', 'oauth-resource-1'])
    expect(config.clients[0]).toMatchObject({
      name: 'my-app',
      tokenEndpointAuthMethods: ['client_secret_basic', 'client_secret_post'],
      requirePkce: false,
    })
    expect(config.client).toMatchObject({ clientId: 'my-app', clientSecret: 'my-secret', scope: 'foo qux' })
    expect(config.resource).toMatchObject({
      introspectionClientId: 'oauth-resource-1',
      introspectionClientSecret: 'oauth-resource-secret-1',
    })
    expect(Object.isFrozen(config.clients[0])).toBe(true)
  })

  it('loads from YAML, with public-client defaults', () => {
    const file = write(
      'lab.yaml',
      [
        '# a comment',
        'urls:',
        '  authPublic: http://auth.test:8080/',
        'clients:',
        '  - clientId: oauth-client-1',
        '    clientSecret: s3cret',
        '    redirectUris: [http://localhost:3000/authenticated]',
        '  - clientId: spa',
        '    redirectUris: [http://localhost:5173/cb]',
        '',
      ].join('\n'),
    )
    const config = loadConfig({}, { file })
    expect(config.auth.publicUrl).toBe('http://auth.test:8080')
    expect(config.clients.find((c) => c.clientId === 'spa')).toMatchObject({
      tokenEndpointAuthMethods: ['none'],
      requirePkce: true,
      grantTypes: ['authorization_code', 'refresh_token'],
    })
    expect(config.client.clientSecret).toBe('s3cret')
  })

  it('is overridden by environment variables', () => {
    const file = write('lab.json', {
      ports: { auth: 9101 },
      lifetimes: { accessTokenSeconds: 120 },
      signingAlg: 'RS256',
      host: '127.0.0.2',
    })
    const config = loadConfig({ AUTH_PORT: '9201', ACCESS_TOKEN_TTL_SECONDS: '60', HOST: '127.0.0.3' }, { file })
    expect(config.auth.port).toBe(9201)
    expect(config.auth.publicUrl).toBe('http://localhost:9201')
    expect(config.auth.accessTokenTtlSeconds).toBe(60)
    expect(config.auth.signingAlg).toBe('RS256')
    expect(config.host).toBe('127.0.0.3')
  })

  it('leaves loadConfig(env) alone when no file is given', () => {
    const config = loadConfig({ OAUTH_LAB_CONFIG: join(dir, 'does-not-exist.json') })
    expect(config.clients.map((c) => c.clientId)).toEqual(['oauth-client-1', 'oauth-client-public', 'oauth-resource-1'])
  })
})

describe('the shipped examples', () => {
  it.each(['examples/oauth-lab.config.json', 'examples/oauth-lab.config.yaml'])('%s loads and validates', (example) => {
    const config = loadConfig({}, { file: join(ROOT, example) })
    expect(config.scopes.map((s) => s.name)).toEqual(['foo', 'bar', 'baz'])
    expect(config.users).toHaveLength(3)
    for (const user of config.users)
      expect(user.claims).toMatchObject({ name: expect.any(String), email: expect.any(String) })
    const own = config.clients.filter((c) => c.clientId !== 'oauth-resource-1')
    expect(own).toHaveLength(2)
    expect(own.find((c) => c.clientSecret === undefined)).toMatchObject({
      requirePkce: true,
      tokenEndpointAuthMethods: ['none'],
    })
    expect(config.auth.signingAlg).toBe('ES256')
  })

  it('the JSON and YAML examples say the same', () => {
    // Secrets and the lab key are random at each load.
    const strip = ({ auth, client, ...rest }: ReturnType<typeof loadConfig>) => ({
      ...rest,
      labKey: '',
      auth: { ...auth, sessionSecret: '' },
      client: { ...client, sessionSecret: '' },
    })
    expect(strip(loadConfig({}, { file: join(ROOT, 'examples/oauth-lab.config.json') }))).toEqual(
      strip(loadConfig({}, { file: join(ROOT, 'examples/oauth-lab.config.yaml') })),
    )
  })
})

describe('a bad config file', () => {
  it('names the file, the path and the problem for each schema error', () => {
    const file = write('bad.json', {
      ports: { auth: 'nine' },
      lifetimes: { codeSeconds: 601 },
      signingAlg: 'HS256',
      colour: 'blue',
      clients: [{ redirectUris: [42] }],
    })
    expect(problems(file).sort()).toEqual(
      [
        `oauth-lab: configuration error in ${file} at /clients/0: missing required property "clientId"`,
        `oauth-lab: configuration error in ${file} at /clients/0/redirectUris/0: must be a string`,
        `oauth-lab: configuration error in ${file} at /colour: unknown property (allowed: host, logLevel, ports, urls, lifetimes, signingAlg, tokenCheck, clientApp, clients, users, scopes, resources, loginAs, loginHint, allowedHosts, dpopNonce, scenarios, lan, workshop)`,
        `oauth-lab: configuration error in ${file} at /lifetimes/codeSeconds: must be at most 600`,
        `oauth-lab: configuration error in ${file} at /ports/auth: must be a whole number`,
        `oauth-lab: configuration error in ${file} at /signingAlg: must be one of: ES256, RS256, EdDSA`,
      ].sort(),
    )
  })

  it('says where the syntax breaks, in JSON and in YAML', () => {
    const json = write('broken.json', '{\n  "ports": {\n    "auth": 1,\n  }\n}')
    expect(problems(json)).toEqual([
      expect.stringMatching(
        new RegExp(`^oauth-lab: configuration error in ${json} at line 4, column \\d+: not valid JSON: `),
      ),
    ])
    const yaml = write('broken.yaml', 'ports:\n  auth: [1\n')
    expect(problems(yaml)).toEqual([
      expect.stringMatching(
        new RegExp(`^oauth-lab: configuration error in ${yaml} at line \\d+, column \\d+: not valid YAML: `),
      ),
    ])
  })

  it('names a file it cannot read or does not know how to parse', () => {
    expect(problems(join(dir, 'missing.json'))).toEqual([
      `oauth-lab: configuration error in ${join(dir, 'missing.json')}: cannot read it (ENOENT)`,
    ])
    const toml = write('lab.toml', 'x = 1')
    expect(problems(toml)).toEqual([
      `oauth-lab: configuration error in ${toml}: unknown file type: name it *.json, *.yaml or *.yml`,
    ])
    expect(problems(write('empty.yaml', ''))).toEqual([expect.stringMatching(/ at \/: must be an object$/)])
  })

  it.each([
    [
      'a relative redirect URI',
      { clients: [{ ...client, redirectUris: ['/authenticated'] }] },
      '/clients/0/redirectUris/0',
      'must be an absolute URL (RFC 6749 section 3.1.2)',
    ],
    [
      'a redirect URI with a fragment',
      { clients: [{ ...client, redirectUris: ['http://localhost:3000/cb#x'] }] },
      '/clients/0/redirectUris/0',
      'must not have a fragment (RFC 6749 section 3.1.2)',
    ],
    [
      'a duplicate client id',
      { clients: [client, client] },
      '/clients/1/clientId',
      'duplicate client id "my-app" (also at /clients/0/clientId)',
    ],
    [
      'a client id that is a sub',
      { clients: [{ ...client, clientId: 'alice' }], clientApp: { clientId: 'alice' } },
      '/clients/0/clientId',
      '"alice" is also a user\'s sub; they must differ (RFC 9700 section 4.15.1)',
    ],
    [
      'an undefined scope',
      { clients: [{ ...client, scopes: ['foo', 'nope'] }], clientApp: { clientId: 'my-app' } },
      '/clients/0/scopes/1',
      'scope "nope" is not defined in scopes',
    ],
    [
      'a public client with a secret method',
      {
        clients: [
          client,
          { clientId: 'spa', redirectUris: ['http://x.test/cb'], tokenEndpointAuthMethods: ['client_secret_basic'] },
        ],
        clientApp: { clientId: 'my-app' },
      },
      '/clients/1/tokenEndpointAuthMethods',
      'a client without clientSecret can only use "none"',
    ],
    [
      'a public client without PKCE',
      {
        clients: [client, { clientId: 'spa', redirectUris: ['http://x.test/cb'], requirePkce: false }],
        clientApp: { clientId: 'my-app' },
      },
      '/clients/1/requirePkce',
      'a public client (no clientSecret) must use PKCE',
    ],
    [
      'scopes without foo',
      { scopes: [{ name: 'bar', description: 'Bar' }] },
      '/scopes',
      'must define "foo": the resource server requires it',
    ],
    [
      'a client app that is not registered',
      { clients: [client] },
      '/clients',
      'the client app is "oauth-client-1", which is not in clients (set clientApp.clientId)',
    ],
    [
      'a secretless introspection client',
      {
        clients: [client, { clientId: 'oauth-resource-1', introspectionOnly: true }],
        clientApp: { clientId: 'my-app' },
      },
      '/clients/1',
      "oauth-resource-1 is the resource server's introspection client: it needs a clientSecret",
    ],
    [
      'an issuer with a query',
      { urls: { authPublic: 'http://localhost:9001/?x=1' } },
      '/urls/authPublic',
      'must not have a query, fragment or credentials',
    ],
    [
      'a duplicate username',
      {
        users: [
          { username: 'u', password: 'p' },
          { username: 'u', password: 'q' },
        ],
      },
      '/users/1/username',
      'duplicate username "u" (also at /users/0/username)',
    ],
  ])('refuses %s', (_what, content, path, problem) => {
    const file = write('semantic.json', content)
    expect(problems(file)).toContain(`oauth-lab: configuration error in ${file} at ${path}: ${problem}`)
  })

  it('is a ConfigFileError carrying file and issues', () => {
    const file = write('bad.json', { ports: { auth: -1 } })
    expect(() => loadConfig({}, { file })).toThrow(ConfigFileError)
    expect(() => loadConfig({}, { file })).toThrow(`in ${file} at /ports/auth: must be at least 0`)
  })
})

describe('the README configuration reference', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')

  it('is the one generated from the schema (npm run docs:config -- --write)', () => {
    const start = readme.indexOf(REFERENCE_START)
    const end = readme.indexOf(REFERENCE_END)
    expect(start).toBeGreaterThan(-1)
    expect(end).toBeGreaterThan(start)
    expect(readme.slice(start + REFERENCE_START.length, end).trim()).toBe(configReference().trim())
  })

  it.each(README_BLOCKS.map((block) => [block.name, block] as const))(
    'has the %s block generated from the settings table',
    (_name, block) => {
      expect(readmeBlock(readme, block.name)).toBe(block.content().trim())
    },
  )

  it('lists every environment variable and flag of the settings table', () => {
    const env = readmeBlock(readme, 'env-reference') ?? ''
    const flags = readmeBlock(readme, 'flag-reference') ?? ''
    for (const row of Object.values(SETTINGS)) {
      if (row.env !== undefined) expect(env).toContain(`| \`${row.env}\` |`)
      if (row.flag !== undefined) expect(flags).toContain(`--${row.flag.name} <${row.flag.arg}>`)
    }
  })
})

import { describe, expect, it } from 'vitest'
import { first } from '../helpers/lists.js'
import { ConfigError, assertNoSubjectCollision, loadConfig } from '../../src/shared/config.js'

describe('loadConfig', () => {
  it('has the contract defaults', () => {
    const config = loadConfig({})
    expect(config.host).toBe('127.0.0.1')
    expect(config.auth).toMatchObject({
      port: 9001,
      publicUrl: 'http://localhost:9001',
      internalUrl: 'http://127.0.0.1:9001',
      codeTtlSeconds: 60,
    })
    expect(config.resource).toMatchObject({
      port: 9002,
      publicUrl: 'http://localhost:9002',
      internalUrl: 'http://127.0.0.1:9002',
      tokenCheck: 'jwt',
    })
    expect(config.client).toMatchObject({
      port: 3000,
      publicUrl: 'http://localhost:3000',
      clientId: 'oauth-client-1',
      clientSecret: 'oauth-client-secret-1',
    })
    const client = config.clients.find((c) => c.clientId === 'oauth-client-1')!
    expect(client).toMatchObject({
      name: 'OAuth Client 1',
      redirectUris: ['http://localhost:3000/authenticated'],
      scopes: ['foo', 'bar'],
    })
    expect(client.tokenEndpointAuthMethods).toEqual(['client_secret_basic', 'client_secret_post'])
    const pub = config.clients.find((c) => c.clientId === 'oauth-client-public')!
    expect(pub.clientSecret).toBeUndefined()
    expect(pub.requirePkce).toBe(true)
    // The same redirect URI and scopes as the confidential client.
    expect(pub).toMatchObject({ redirectUris: ['http://localhost:3000/authenticated'], scopes: ['foo', 'bar'] })
    expect(config.users.map((u) => [u.username, u.password, u.sub])).toEqual([
      ['alice', 'alice-password', 'alice'],
      ['bob', 'bob-password', 'bob'],
    ])
    expect(config.scopes.map((s) => s.name)).toEqual(['foo', 'bar'])
    expect(config.scopes.every((s) => s.description.length > 10)).toBe(true)
  })

  it('reads ports and URLs from the environment, and derives the redirect URI from the client URL', () => {
    const config = loadConfig({
      AUTH_PORT: '9101',
      CLIENT_PUBLIC_URL: 'http://client.test:8080/',
      AUTH_INTERNAL_URL: 'http://auth:9001',
    })
    expect(config.auth.port).toBe(9101)
    expect(config.auth.publicUrl).toBe('http://localhost:9101')
    expect(config.auth.internalUrl).toBe('http://auth:9001')
    expect(config.client.publicUrl).toBe('http://client.test:8080')
    expect(first(config.clients).redirectUris).toEqual(['http://client.test:8080/authenticated'])
  })

  it('refuses a client_id that is also a user sub (RFC 9700 §4.15.1)', () => {
    const config = loadConfig({})
    const clients = [...config.clients, { ...first(config.clients), clientId: 'alice' }]
    expect(() => assertNoSubjectCollision({ clients, users: config.users })).toThrow(
      /client_id alice is also a user's sub/,
    )
    expect(() => assertNoSubjectCollision(config)).not.toThrow()
  })

  it('is frozen', () => {
    const config = loadConfig({})
    expect(Object.isFrozen(config.auth)).toBe(true)
    expect(Object.isFrozen(first(config.clients).redirectUris)).toBe(true)
  })

  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ AUTH_PORT: 'abc' }, /^AUTH_PORT=abc is not a port number/],
    [{ RESOURCE_PORT: '70000' }, /^RESOURCE_PORT=70000/],
    [{ CLIENT_PORT: '-1' }, /^CLIENT_PORT=-1/],
    [{ AUTH_PUBLIC_URL: 'not a url' }, /^AUTH_PUBLIC_URL=not a url is not a URL/],
    [{ RESOURCE_PUBLIC_URL: 'ftp://x' }, /^RESOURCE_PUBLIC_URL=ftp:\/\/x must be an http or https URL/],
    [{ AUTH_PUBLIC_URL: 'http://localhost:9001/?a=1' }, /^AUTH_PUBLIC_URL=.* must not have a query/],
    [{ CODE_TTL_SECONDS: '601' }, /^CODE_TTL_SECONDS=601 is not a whole number of seconds from 1 to 600/],
    [{ CODE_TTL_SECONDS: '0' }, /^CODE_TTL_SECONDS=0/],
    [{ RESOURCE_TOKEN_CHECK: 'magic' }, /^RESOURCE_TOKEN_CHECK=magic must be one of: jwt, introspect/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL=loud/],
    [{ AUTH_SESSION_SECRET: 'short' }, /^AUTH_SESSION_SECRET must be at least 32 characters/],
  ]
  for (const [env, message] of bad) {
    it(`refuses ${JSON.stringify(env)} with a line naming the variable`, () => {
      expect(() => loadConfig(env)).toThrow(ConfigError)
      expect(() => loadConfig(env)).toThrow(message)
    })
  }
})

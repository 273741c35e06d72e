// Web origins (which pages may call the lab's APIs from a browser): their
// shape, their default from the redirect URIs, and how an Origin header is
// matched against them. The routes that answer CORS have their own tests
// (test/auth-server/cors.test.ts, test/resource-server/cors.test.ts).

import { describe, expect, it } from 'vitest'
import { ConfigError, configErrorLines } from '../../src/shared/config-error.js'
import { loadConfig } from '../../src/shared/config.js'
import { defaultWebOrigins, labOriginCheck, webOriginCheck, webOriginProblem } from '../../src/shared/cors.js'

const SHAPE = 'must be an origin: scheme://host[:port], without path, query or fragment'

describe('webOriginProblem', () => {
  it.each([
    'https://app.example',
    'http://localhost:5173',
    'http://127.0.0.1',
    'http://[::1]:8080',
    'HTTPS://App.Example',
  ])('accepts %s', (origin) => expect(webOriginProblem(origin)).toBeUndefined())

  it.each([
    ['https://app.example/', SHAPE],
    ['https://app.example/cb', SHAPE],
    ['https://app.example?x=1', SHAPE],
    ['https://app.example#top', SHAPE],
    ['https://user@app.example', SHAPE],
    ['app.example', SHAPE],
    ['null', SHAPE],
    ['*', SHAPE],
    ['com.example.app:/cb', SHAPE],
    ['ftp://files.example', 'must be an http or https origin'],
  ])('refuses %s', (origin, problem) => expect(webOriginProblem(origin)).toBe(problem))
})

describe('defaultWebOrigins', () => {
  it("is the redirect URIs' origins, each once, in order, private-use schemes skipped", () => {
    expect(
      defaultWebOrigins([
        'http://localhost:3000/authenticated',
        'com.example.app:/oauth2redirect',
        'https://App.Example/cb',
        'https://app.example/other',
        'http://localhost:3000/again',
      ]),
    ).toEqual(['http://localhost:3000', 'https://app.example'])
  })

  it('keeps a port as written, and none when none is written', () => {
    expect(defaultWebOrigins(['http://127.0.0.1/cb', 'http://[::1]:80/cb', 'https://a.example:8443/cb'])).toEqual([
      'http://127.0.0.1',
      'http://[::1]:80',
      'https://a.example:8443',
    ])
  })

  it('is empty without redirect URIs', () => expect(defaultWebOrigins([])).toEqual([]))
})

describe('webOriginCheck', () => {
  const allows = webOriginCheck([
    'https://app.example',
    'http://localhost:5173',
    'https://b.example:443',
    'http://127.0.0.1',
    'http://[::1]',
    'http://localhost:80',
  ])

  it.each(['https://app.example', 'http://localhost:5173', 'https://b.example', 'http://localhost'])(
    'allows the registered %s (a default port is left out, as browsers send it)',
    (origin) => expect(allows(origin)).toBe(true),
  )

  it.each(['http://127.0.0.1:1234', 'http://127.0.0.1:65535', 'http://127.0.0.1', 'http://[::1]:5173'])(
    'allows %s: a loopback origin registered without a port allows any port (RFC 8252 §7.3)',
    (origin) => expect(allows(origin)).toBe(true),
  )

  it.each([
    ['another port of an exact loopback origin', 'http://localhost:5174'],
    ['another port of a non-loopback origin', 'https://app.example:8443'],
    ['another scheme', 'http://app.example'],
    ['another scheme on loopback', 'https://127.0.0.1:1234'],
    ['a look-alike host', 'http://127.0.0.1.evil.test:1234'],
    ['a sub-domain', 'https://x.app.example'],
    ['a path after the origin', 'https://app.example/'],
    ['an unregistered origin', 'https://evil.example'],
    ['the opaque origin', 'null'],
    ['no Origin at all', undefined],
  ])('refuses %s', (_what, origin) => expect(allows(origin)).toBe(false))
})

describe('the lab-wide origins', () => {
  it("are the union of every client's web origins, by default their redirect URIs' origins", () => {
    const config = loadConfig(
      {},
      {
        labOptions: {
          label: 'startLab options',
          options: {
            extraClients: [
              { clientId: 'spa', redirectUris: ['http://127.0.0.1/cb'] },
              { clientId: 'web', redirectUris: ['https://web.example/cb'], webOrigins: ['https://other.example'] },
              { clientId: 'mobile', redirectUris: ['com.example.app:/cb'] },
            ],
          },
        },
      },
    )
    const allows = labOriginCheck(config.clients)
    expect(allows('http://localhost:3000')).toBe(true) // the built-in clients' redirect URI
    expect(allows('http://127.0.0.1:40001')).toBe(true)
    expect(allows('https://other.example')).toBe(true)
    // Registered webOrigins replace the default: the redirect URI's origin is not added.
    expect(allows('https://web.example')).toBe(false)
    expect(allows('https://evil.example')).toBe(false)
  })

  it('hand-built registrations without webOrigins fall back to their redirect URIs', () => {
    const client = {
      clientId: 'x',
      name: 'x',
      redirectUris: ['https://x.example/cb'],
      scopes: [],
      tokenEndpointAuthMethods: ['none' as const],
      grantTypes: ['authorization_code' as const],
      requirePkce: true,
    }
    expect(labOriginCheck([client])('https://x.example')).toBe(true)
  })
})

describe('the webOrigins setting', () => {
  const lab = (options: unknown) => ({ labOptions: { options, label: 'startLab options' } })

  it('is filled in from the redirect URIs, or kept as written', () => {
    const config = loadConfig(
      {},
      lab({
        extraClients: [
          { clientId: 'spa', redirectUris: ['http://localhost:5173/cb', 'com.example.app:/cb'] },
          { clientId: 'web', redirectUris: ['https://web.example/cb'], webOrigins: ['https://cdn.example:8443'] },
          { clientId: 'none', redirectUris: ['https://none.example/cb'], webOrigins: [] },
        ],
      }),
    )
    const originsOf = (id: string) => config.clients.find((c) => c.clientId === id)?.webOrigins
    expect(originsOf('oauth-client-1')).toEqual(['http://localhost:3000'])
    expect(originsOf('oauth-resource-1')).toEqual([])
    expect(originsOf('spa')).toEqual(['http://localhost:5173'])
    expect(originsOf('web')).toEqual(['https://cdn.example:8443'])
    expect(originsOf('none')).toEqual([])
  })

  /** The lines a bad startLab option is refused with. */
  function problems(webOrigins: unknown[]): string[] {
    try {
      loadConfig({}, lab({ extraClients: [{ clientId: 'spa', redirectUris: ['http://x.test/cb'], webOrigins }] }))
    } catch (error) {
      if (error instanceof ConfigError) return configErrorLines(error)
      throw error
    }
    throw new Error('loaded without error')
  }

  it('refuses an entry that is not an origin, naming where it is', () => {
    expect(problems(['https://ok.example', 'http://x.test/cb'])).toEqual([
      `oauth-lab: configuration error startLab options at /extraClients/0/webOrigins/1: ${SHAPE}`,
    ])
  })

  it('refuses an entry that is not a string', () => {
    expect(problems([1])).toEqual([
      'oauth-lab: configuration error startLab options at /extraClients/0/webOrigins/0: must be a string',
    ])
  })
})

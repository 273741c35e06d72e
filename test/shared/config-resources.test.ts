// The `resources` setting (RFC 8707): the two built-in resource servers by
// default, replaced by a config file or startLab options (the built-in one
// kept unless listed), and bad entries refused with the path of the problem.

import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, loadConfig } from '../../src/shared/config.js'
import { configErrorLines } from '../../src/shared/config-error.js'
import { startLab } from '../../src/lab.js'

const dir = mkdtempSync(join(tmpdir(), 'oauth-lab-resources-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let count = 0
function write(content: unknown): string {
  const file = join(dir, `${count++}-resources.json`)
  writeFileSync(file, JSON.stringify(content))
  return file
}

function problems(file: string): string[] {
  try {
    loadConfig({}, { file })
  } catch (error) {
    if (error instanceof ConfigError) return configErrorLines(error)
    throw error
  }
  throw new Error(`${file} loaded without error`)
}

const API = { identifier: 'http://api.example.test/v1', scopes: ['foo'], name: 'My API' }

describe('resources by default', () => {
  it('are the built-in resource server and the MCP server, both serving foo bar', () => {
    expect(loadConfig({}).resources).toEqual([
      { identifier: 'http://localhost:9002', scopes: ['foo', 'bar'], name: 'Built-in resource server' },
      { identifier: 'http://localhost:9002/mcp', scopes: ['foo', 'bar'], name: 'MCP server' },
    ])
  })

  it('follow RESOURCE_PUBLIC_URL', () => {
    const { resources } = loadConfig({ RESOURCE_PUBLIC_URL: 'http://rs.example.test:8080' })
    expect(resources.map((r) => r.identifier)).toEqual([
      'http://rs.example.test:8080',
      'http://rs.example.test:8080/mcp',
    ])
  })
})

describe('resources in a config file', () => {
  it('replace the built-in ones, the built-in resource server kept; name defaults to the identifier', () => {
    const config = loadConfig(
      {},
      { file: write({ resources: [API, { identifier: 'urn:example:batch', scopes: [] }] }) },
    )
    expect(config.resources).toEqual([
      API,
      { identifier: 'urn:example:batch', scopes: [], name: 'urn:example:batch' },
      { identifier: 'http://localhost:9002', scopes: ['foo', 'bar'], name: 'Built-in resource server' },
    ])
  })

  it('may list the built-in resource server itself, to change it', () => {
    const own = { identifier: 'http://localhost:9002', scopes: ['foo'], name: 'Orders' }
    expect(loadConfig({}, { file: write({ resources: [own] }) }).resources).toEqual([own])
  })

  it.each([
    [
      'a relative identifier',
      [{ ...API, identifier: '/api' }],
      '/resources/0/identifier',
      'must be an absolute URI (RFC 8707 section 2)',
    ],
    [
      'an identifier with a fragment',
      [{ ...API, identifier: 'http://api.example.test/v1#x' }],
      '/resources/0/identifier',
      'must not have a fragment (RFC 8707 section 2)',
    ],
    [
      'a duplicate identifier',
      [API, { ...API, name: 'Again' }],
      '/resources/1/identifier',
      'duplicate resource identifier "http://api.example.test/v1" (also at /resources/0/identifier)',
    ],
    [
      'an undefined scope',
      [{ ...API, scopes: ['foo', 'nope'] }],
      '/resources/0/scopes/1',
      'scope "nope" is not defined in scopes',
    ],
    ['no scopes', [{ identifier: API.identifier }], '/resources/0', 'missing required property "scopes"'],
  ])('refuses %s, naming the file and the path', (_what, resources, path, problem) => {
    const file = write({ resources })
    expect(problems(file)).toContain(`oauth-lab: configuration error in ${file} at ${path}: ${problem}`)
  })
})

describe('resources in startLab options', () => {
  it('refuses a bad identifier at start, before any server listens', async () => {
    await expect(startLab({ resources: [{ ...API, identifier: 'not a uri' }] })).rejects.toThrow(
      'startLab options at /resources/0/identifier: must be an absolute URI (RFC 8707 section 2)',
    )
  })
})

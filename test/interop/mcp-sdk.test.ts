// The official MCP TypeScript SDK's client against a started lab, headless:
// 401 at /mcp, discovery (protected resource metadata, then the authorization
// server's metadata), client registration (dynamic, or a Client ID Metadata
// Document served here), authorization through the lab's real sign-in and
// consent forms, the token, tools/list and tools/call whoami, then step-up
// for the tool that needs a second scope.

import { createServer, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js'
import { startLab, type Lab } from '../../src/lab.js'
import { httpBrowser } from '../helpers/http-browser.js'
import { authorizeInBrowser } from './authorize-in-browser.js'
import { MCP_TEST_REDIRECT, memoryProvider } from '../helpers/mcp-client.js'

const ALICE = { username: 'alice', password: 'alice-password' }
const REDIRECT = MCP_TEST_REDIRECT

let lab: Lab
let documents: Server
let documentsOrigin = ''

beforeAll(async () => {
  lab = await startLab()
  documents = createServer((request, response) => {
    const url = `${documentsOrigin}${request.url ?? '/'}`
    response.setHeader('content-type', 'application/json')
    response.end(
      JSON.stringify({
        client_id: url,
        client_name: 'MCP client from a metadata document',
        redirect_uris: [REDIRECT],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      }),
    )
  })
  await new Promise<void>((resolve) => documents.listen(0, '127.0.0.1', resolve))
  const address = documents.address()
  documentsOrigin = `http://localhost:${typeof address === 'object' && address ? address.port : 0}`
})

afterAll(async () => {
  await lab.close()
  await new Promise((resolve) => documents.close(resolve))
})

/** Connects; on 401 walks the front channel in the HTTP browser and finishes the authorization. */
async function connectWithAuth(
  mcpUrl: URL,
  memory: ReturnType<typeof memoryProvider>,
  browser: ReturnType<typeof httpBrowser>,
): Promise<Client> {
  const client = new Client({ name: 'oauth-lab test', version: '1.0.0' })
  const first = new StreamableHTTPClientTransport(mcpUrl, { authProvider: memory.provider })
  await expect(client.connect(first)).rejects.toBeInstanceOf(UnauthorizedError)
  const authorizeUrl = memory.pending.shift()
  if (!authorizeUrl) throw new Error('the SDK did not ask for an authorization')
  // MCP authorization: the client names this MCP server as the resource (RFC 8707) and uses PKCE.
  expect(authorizeUrl.searchParams.get('resource')).toBe(mcpUrl.href)
  expect(authorizeUrl.searchParams.get('code_challenge_method')).toBe('S256')
  const callback = await authorizeInBrowser(browser, authorizeUrl, ALICE)
  expect(callback.searchParams.get('iss')).toBe(lab.urls.auth)
  await first.finishAuth(callback.searchParams.get('code') ?? '')
  await client.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: memory.provider }))
  return client
}

describe('the MCP TypeScript SDK client against the lab', () => {
  it('registers dynamically, authorizes, calls whoami, then steps up for read_bar', async () => {
    const mcpUrl = new URL(`${lab.urls.resource}/mcp`)
    const memory = memoryProvider('MCP SDK test client')
    const browser = httpBrowser()
    const client = await connectWithAuth(mcpUrl, memory, browser)
    expect(memory.client()?.client_id).toMatch(/.+/)
    const { tools } = await client.listTools()
    expect(tools.map((tool) => tool.name)).toEqual(['whoami', 'read_bar'])
    const who = await client.callTool({ name: 'whoami' })
    expect(who.structuredContent).toMatchObject({ sub: 'alice', client_id: memory.client()?.client_id, scope: 'foo' })

    // Step-up: 403 insufficient_scope, the SDK asks for the wider scope.
    await expect(client.callTool({ name: 'read_bar' })).rejects.toBeInstanceOf(UnauthorizedError)
    const stepUp = memory.pending.shift()
    expect(stepUp?.searchParams.get('scope')?.split(' ').sort()).toEqual(['bar', 'foo'])
    const callback = await authorizeInBrowser(browser, stepUp!, ALICE)
    const transport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: memory.provider })
    await transport.finishAuth(callback.searchParams.get('code') ?? '')
    const again = new Client({ name: 'oauth-lab test', version: '1.0.0' })
    await again.connect(transport)
    const bar = await again.callTool({ name: 'read_bar' })
    expect(bar.structuredContent).toMatchObject({ resource: 'bar' })
    await Promise.all([client.close(), again.close()])
  })

  it('uses a Client ID Metadata Document served by the test as its client_id', async () => {
    const mcpUrl = new URL(`${lab.urls.resource}/mcp`)
    const clientId = `${documentsOrigin}/oauth/client.json`
    const memory = memoryProvider('MCP SDK test client', { client_id: clientId })
    const client = await connectWithAuth(mcpUrl, memory, httpBrowser())
    const who = await client.callTool({ name: 'whoami' })
    expect(who.structuredContent).toMatchObject({ sub: 'alice', client_id: clientId })
    await client.close()
  })

  it('refuses at /mcp a token issued for the built-in resource server', async () => {
    const token = await lab.issueToken({ sub: 'alice', scope: 'foo bar' })
    const res = await fetch(`${lab.urls.resource}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json, text/event-stream',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"')
  })
})

import { randomUUID } from 'node:crypto'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import type { FastifyInstance } from 'fastify'
import type { JWTPayload } from 'jose'
import { loadConfig } from '../../../src/shared/config.js'
import { buildResourceServer } from '../../../src/resource-server/app.js'
import { dpopKey } from '../../helpers/dpop.js'
import { startJwksFixture, type JwksFixture } from '../../helpers/jwks-fixture.js'

const { auth, resource } = loadConfig({})
const METADATA = `${resource.publicUrl}/.well-known/oauth-protected-resource/mcp`
const ACCEPT = 'application/json, text/event-stream'
let fixture: JwksFixture
let app: FastifyInstance

function claims(overrides: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000)
  return {
    iss: auth.publicUrl,
    aud: `${resource.publicUrl}/mcp`,
    sub: 'alice',
    client_id: 'oauth-client-1',
    scope: 'foo',
    iat: now,
    exp: now + 300,
    jti: randomUUID(),
    ...overrides,
  }
}

/** A JSON-RPC POST to /mcp with `headers` (authorization, dpop) beside the transport's own. */
function rpcWith(headers: Record<string, string>, body: unknown) {
  return app.inject({
    method: 'POST',
    url: '/mcp',
    headers: { accept: ACCEPT, 'content-type': 'application/json', ...headers },
    payload: JSON.stringify(body),
  })
}

function rpc(token: string | undefined, body: unknown) {
  return rpcWith(token === undefined ? {} : { authorization: `Bearer ${token}` }, body)
}

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'test', version: '1' } },
}

beforeAll(async () => {
  fixture = await startJwksFixture()
  app = await buildResourceServer(loadConfig({ AUTH_INTERNAL_URL: fixture.url }), { logger: false })
})

afterAll(async () => {
  await app.close()
  await fixture.close()
})

describe('the MCP server at /mcp (MCP authorization 2025-11-25)', () => {
  it('publishes its protected resource metadata at the path-inserted location (RFC 9728 §3.1)', async () => {
    const res = await app.inject({ method: 'GET', url: '/.well-known/oauth-protected-resource/mcp' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({
      resource: `${resource.publicUrl}/mcp`,
      authorization_servers: [auth.publicUrl],
      scopes_supported: ['foo', 'bar'],
      bearer_methods_supported: ['header'],
      resource_name: 'oauth-lab MCP server',
      dpop_signing_alg_values_supported: ['ES256', 'RS256', 'PS256', 'EdDSA'],
      dpop_bound_access_tokens_required: false,
    })
  })

  it('answers a request without a token with 401, resource_metadata and the scope to ask for', async () => {
    for (const method of ['POST', 'GET', 'DELETE'] as const) {
      const res = await app.inject({ method, url: '/mcp', headers: { accept: ACCEPT } })
      expect(res.statusCode).toBe(401)
      expect(res.headers['www-authenticate']).toBe(
        `Bearer realm="oauth-lab", scope="foo", resource_metadata="${METADATA}"`,
      )
    }
  })

  it('refuses a token for the built-in resource server: its audience is not this MCP server (RFC 8707)', async () => {
    const res = await rpc(await fixture.sign(claims({ aud: resource.publicUrl })), initialize)
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"')
    expect(res.headers['www-authenticate']).toContain(`resource_metadata="${METADATA}"`)
  })

  it('refuses a bad token with invalid_token and still points to its metadata', async () => {
    const res = await rpc('not-a-jwt', initialize)
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="oauth-lab", error="invalid_token", /)
    expect(res.headers['www-authenticate']).toContain(`resource_metadata="${METADATA}"`)
  })

  it('initializes, lists its tools and answers whoami from the verified token', async () => {
    const token = await fixture.sign(claims())
    const init = await rpc(token, initialize)
    expect(init.statusCode).toBe(200)
    expect(init.json()).toMatchObject({ jsonrpc: '2.0', id: 1, result: { serverInfo: { name: 'oauth-lab' } } })
    const list = await rpc(token, { jsonrpc: '2.0', id: 2, method: 'tools/list' })
    expect(list.statusCode).toBe(200)
    const tools = list.json<{ result: { tools: Array<{ name: string }> } }>().result.tools.map((t) => t.name)
    expect(tools).toEqual(['whoami', 'read_bar'])
    const call = await rpc(token, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'whoami' } })
    expect(call.statusCode).toBe(200)
    expect(call.headers['cache-control']).toBe('no-store')
    expect(call.json()).toMatchObject({
      result: { structuredContent: { sub: 'alice', client_id: 'oauth-client-1', scope: 'foo' } },
    })
  })

  it('answers a tool call whose scope the token lacks with 403 insufficient_scope naming the scopes (step-up)', async () => {
    const token = await fixture.sign(claims({ scope: 'foo' }))
    const res = await rpc(token, { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'read_bar' } })
    expect(res.statusCode).toBe(403)
    const header = res.headers['www-authenticate']
    expect(header).toContain('error="insufficient_scope"')
    expect(header).toContain('scope="foo bar"')
    expect(header).toContain(`resource_metadata="${METADATA}"`)
    const stepped = await fixture.sign(claims({ scope: 'foo bar' }))
    const ok = await rpc(stepped, { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'read_bar' } })
    expect(ok.statusCode).toBe(200)
    expect(ok.json()).toMatchObject({ result: { structuredContent: { resource: 'bar' } } })
  })

  it('checks every call of a batch, and a call of an unknown tool is the SDK’s JSON-RPC error, not a challenge', async () => {
    const token = await fixture.sign(claims({ scope: 'foo' }))
    const batch = [
      { jsonrpc: '2.0', id: 6, method: 'tools/call', params: { name: 'whoami' } },
      { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'read_bar' } },
    ]
    expect((await rpc(token, batch)).statusCode).toBe(403)
    const unknown = await rpc(token, { jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'nope' } })
    expect(unknown.statusCode).toBe(200)
    expect(JSON.stringify(unknown.json())).toMatch(/nope/)
  })

  it('is stateless: GET and DELETE with a good token are 405', async () => {
    const token = await fixture.sign(claims())
    const res = await app.inject({
      method: 'GET',
      url: '/mcp',
      headers: { accept: ACCEPT, authorization: `Bearer ${token}` },
    })
    expect(res.statusCode).toBe(405)
    expect(res.headers.allow).toBe('POST')
  })
})

describe('POST /mcp with a DPoP-bound token (RFC 9449 §7)', () => {
  const mcpUrl = `${resource.publicUrl}/mcp`
  const dpopRpc = (authorization: string, proof?: string) =>
    rpcWith({ authorization, ...(proof === undefined ? {} : { dpop: proof }) }, initialize)

  it('accepts it only as DPoP with a fresh proof of its key: as Bearer, and with a replayed proof, 401', async () => {
    const key = await dpopKey()
    const token = await fixture.sign(claims({ cnf: { jkt: key.jkt } }))
    const proof = await key.proof({ htm: 'POST', htu: mcpUrl, accessToken: token })
    expect((await dpopRpc(`DPoP ${token}`, proof)).statusCode).toBe(200)
    // A proof is used once (RFC 9449 §11.1).
    const replayed = await dpopRpc(`DPoP ${token}`, proof)
    expect(replayed.statusCode).toBe(401)
    expect(replayed.headers['www-authenticate']).toMatch(/^DPoP error="invalid_dpop_proof"/)
    // A bound token sent as Bearer (RFC 9449 §7.1).
    const asBearer = await dpopRpc(`Bearer ${token}`)
    expect(asBearer.statusCode).toBe(401)
    expect(asBearer.headers['www-authenticate']).toMatch(/error="invalid_token"/)
  })
})

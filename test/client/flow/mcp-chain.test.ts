// The MCP chain in the flow inspector, from a real MCP flow: the official MCP
// TypeScript SDK's client against a started lab (as test/interop/mcp-sdk.test.ts
// runs it), then the recorded exchanges of the three servers, the inspector's
// steps and checks, and its page.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js'
import { startLab, type Lab } from '../../../src/lab.js'
import { correlate, flowIdOf } from '../../../src/client/flow/correlate.js'
import { createJwksSource } from '../../../src/client/flow/jwks.js'
import { flowView } from '../../../src/client/flow/view-model.js'
import type { Flow, RecordedExchange } from '../../../src/client/flow/types.js'
import { httpBrowser } from '../../helpers/http-browser.js'
import { authorizeInBrowser } from '../../interop/authorize-in-browser.js'
import { browserFlow } from './fixtures.js'
import { MCP_TEST_REDIRECT, memoryProvider } from '../../helpers/mcp-client.js'

const ALICE = { username: 'alice', password: 'alice-password' }
const REDIRECT = MCP_TEST_REDIRECT

let lab: Lab
let lastRecorded: RecordedExchange[] = []

/** Every exchange the three servers recorded, as the inspector collects them. */
async function recorded(): Promise<RecordedExchange[]> {
  const lists = await Promise.all(
    [lab.urls.auth, lab.urls.resource, lab.urls.client].map(async (url) => {
      const res = await fetch(`${url}/_lab/exchanges?since=0`, { headers: { authorization: `Bearer ${lab.labKey}` } })
      expect(res.status).toBe(200)
      return ((await res.json()) as { exchanges: RecordedExchange[] }).exchanges
    }),
  )
  return lists.flat()
}

/** "step METHOD /path status" per entry. */
function layout(flow: Flow): string[] {
  return flow.entries.map(
    (e) =>
      `${e.step} ${e.exchange.request.method} ${e.exchange.request.url.split('?')[0]} ${e.exchange.response.status}`,
  )
}

const mcpFlows = (flows: readonly Flow[]) => flows.filter((f) => f.mcp !== undefined)

beforeAll(async () => {
  lab = await startLab()
})
afterAll(() => lab.close())

describe('the flow inspector: an MCP client\u2019s flow', () => {
  let flows: Flow[] = []
  let clientId = ''

  beforeAll(async () => {
    const mcpUrl = new URL(`${lab.urls.resource}/mcp`)
    const memory = memoryProvider('MCP chain test client')
    const browser = httpBrowser()
    const client = new Client({ name: 'oauth-lab test', version: '1.0.0' })
    const first = new StreamableHTTPClientTransport(mcpUrl, { authProvider: memory.provider })
    await expect(client.connect(first)).rejects.toBeInstanceOf(UnauthorizedError)
    const callback = await authorizeInBrowser(browser, memory.pending.shift()!, ALICE)
    await first.finishAuth(callback.searchParams.get('code') ?? '')
    await client.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: memory.provider }))
    await client.listTools()
    await client.callTool({ name: 'whoami' })
    // Step-up: read_bar needs bar.
    await expect(client.callTool({ name: 'read_bar' })).rejects.toBeInstanceOf(UnauthorizedError)
    const stepUp = await authorizeInBrowser(browser, memory.pending.shift()!, ALICE)
    const transport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: memory.provider })
    await transport.finishAuth(stepUp.searchParams.get('code') ?? '')
    const again = new Client({ name: 'oauth-lab test', version: '1.0.0' })
    await again.connect(transport)
    await again.callTool({ name: 'read_bar' })
    await Promise.all([client.close(), again.close()])
    clientId = memory.client()?.client_id ?? ''
    lastRecorded = await recorded()
    flows = mcpFlows(correlate(lastRecorded))
  })

  it('shows the first flow as the MCP chain: 401, resource metadata, server metadata, registration, authorize, token, MCP calls', () => {
    expect(flows).toHaveLength(2)
    const flow = flows[0]!
    expect(flow.mcp?.clientId).toBe(clientId)
    const steps = layout(flow)
    // Each step in order, with what only that step does.
    expect(steps.filter((s) => s.startsWith('1 '))).toEqual(['1 POST /mcp 401'])
    expect(steps.filter((s) => s.startsWith('2 '))).toContain('2 GET /.well-known/oauth-protected-resource/mcp 200')
    expect(steps.filter((s) => s.startsWith('3 '))).toContain('3 GET /.well-known/oauth-authorization-server 200')
    expect(steps.filter((s) => s.startsWith('4 '))).toEqual(['4 POST /register 201'])
    expect(steps.filter((s) => s.startsWith('5 ')).map((s) => s.split(' ')[2])).toEqual(
      expect.arrayContaining(['/authorize', '/login', '/consent']),
    )
    expect(steps.filter((s) => s.startsWith('6 '))).toEqual(['6 POST /token 200'])
    expect(steps.filter((s) => s.startsWith('7 ') && s.includes('/mcp'))).toEqual(
      expect.arrayContaining(['7 POST /mcp 200', '7 POST /mcp 403']),
    )
    // In time order: the steps never go back (the step-up's 403 is last).
    const numbers = flow.entries.map((e) => e.step)
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b))
    expect(flow.entries.find((e) => e.step === 7 && e.exchange.response.status === 403)?.label).toContain(
      'tools/call read_bar',
    )
  })

  it('ticks resource, PKCE and the audience, and notes the step-up', () => {
    const flow = flows[0]!
    const checks = flow.mcp!.checks.map((c) => `${c.step} ${c.id} ${c.ok ? 'ok' : 'x'}`)
    expect(checks).toEqual(['5 resource ok', '5 pkce-sent ok', '6 token-resource ok', '6 pkce ok', '7 audience ok'])
    expect(flow.mcp!.notes[7]).toContain('403 insufficient_scope (foo bar)')
  })

  it('shows the step-up as a flow of its own, tied to the first one, without a registration', () => {
    const [firstFlow, second] = [flows[0]!, flows[1]!]
    expect(second.mcp?.notes[5]).toContain(`flow ${firstFlow.id}`)
    expect(layout(second).some((s) => s.startsWith('4 '))).toBe(false)
    expect(second.skipped[4]).toContain(`already had its client_id (${clientId})`)
    expect(layout(second)).toContain('7 POST /mcp 200')
  })

  it('renders the MCP steps and their checks in the view model, and the page', async () => {
    const view = await flowView(flows[0]!, createJwksSource(fetch, `${lab.urls.auth}/jwks`))
    expect(view.steps.map((s) => s.title)).toEqual([
      'The MCP server answers 401 with its challenge',
      'The client reads the protected resource metadata',
      'The client reads the authorization server metadata',
      'The client registers, or names its metadata document',
      'The user authorizes the MCP client (PKCE and resource)',
      'The client redeems the code for a token for the MCP server',
      'The client calls the MCP server with the token',
    ])
    expect(view.steps[0]!.rfc).toContain('Protected Resource Metadata Discovery')
    expect(view.steps[4]!.checks.map((c) => c.id)).toEqual(['resource', 'pkce-sent'])
    expect(view.steps[6]!.note).toContain('Step-up')
    const page = await fetch(`${lab.urls.client}/flow/${flows[0]!.id}`, {
      headers: { authorization: `Bearer ${lab.labKey}` },
    })
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('Step 4: The client registers, or names its metadata document')
    expect(html).toContain('data-check="audience"')
    expect(html).toContain(`<code>${flows[0]!.id}</code></a> (MCP client)`)
    expect(html).not.toContain('\u2717')
    // The transcript export tells the same chain.
    const transcript = await (
      await fetch(`${lab.urls.client}/flow/${flows[0]!.id}/transcript.md`, {
        headers: { authorization: `Bearer ${lab.labKey}` },
      })
    ).text()
    expect(transcript).toContain('## Step 2: The client reads the protected resource metadata')
    expect(transcript).toContain('- \u2713 the access token\u2019s aud is the MCP server')
  })

  it('leaves the client app\u2019s own flows with the seven steps', () => {
    const own = browserFlow({ state: 'S1', code: 'K1', token: 'T1', t0: 1000 })
    expect(
      correlate([...own, ...lastRecorded])
        .filter((f) => f.mcp === undefined)
        .map((f) => f.id),
    ).toContain(flowIdOf('S1'))
  })
})

describe('the flow inspector: an MCP client that forgets resource', () => {
  it('marks the missing resource and the token for another audience with \u2717', async () => {
    const mcpUrl = `${lab.urls.resource}/mcp`
    const challenge = await fetch(mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    expect(challenge.status).toBe(401)
    const registered = await fetch(`${lab.urls.auth}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }),
    })
    const { client_id } = (await registered.json()) as { client_id: string }
    const verifier = 'v'.repeat(43)
    const { s256Challenge } = await import('../../../src/shared/sha256.js')
    const authorize = new URL(`${lab.urls.auth}/authorize`)
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id,
      redirect_uri: REDIRECT,
      scope: 'foo',
      state: 'no-resource-state',
      code_challenge: s256Challenge(verifier),
      code_challenge_method: 'S256',
    }))
      authorize.searchParams.set(k, v)
    // This browser has an inspector id (it pressed Connect on the client app once).
    const browser = httpBrowser()
    await browser.get(`${lab.urls.client}/connect`)
    const callback = await authorizeInBrowser(browser, authorize, ALICE)
    const token = await fetch(`${lab.urls.auth}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code') ?? '',
        redirect_uri: REDIRECT,
        client_id,
        code_verifier: verifier,
      }),
    })
    const { access_token } = (await token.json()) as { access_token: string }
    const call = await fetch(mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${access_token}`,
        accept: 'application/json, text/event-stream',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    })
    expect(call.status).toBe(401)

    const flow = mcpFlows(correlate(await recorded())).find((f) => f.mcp?.clientId === client_id)
    expect(flow).toBeDefined()
    const checks = Object.fromEntries(flow!.mcp!.checks.map((c) => [c.id, c]))
    expect(checks.resource?.ok).toBe(false)
    expect(checks.resource?.text).toContain('no resource parameter')
    expect(checks['token-resource']?.ok).toBe(false)
    expect(checks.audience?.ok).toBe(false)
    expect(checks.audience?.text).toContain('401 invalid_token')
    expect(checks['pkce-sent']?.ok).toBe(true)
    expect(layout(flow!)).toEqual(
      expect.arrayContaining(['1 POST /mcp 401', '4 POST /register 201', '7 POST /mcp 401']),
    )

    const html = await (
      await fetch(`${lab.urls.client}/flow/${flow!.id}`, { headers: { authorization: `Bearer ${lab.labKey}` } })
    ).text()
    expect(html).toMatch(/class="flow-banner bad" data-check="resource">\u2717/)

    // The browser that signed in and consented sees the flow, without the registration (its secrets).
    const asBrowser = await fetch(`${lab.urls.client}/flow/${flow!.id}.json`, {
      headers: { cookie: browser.cookieFor(lab.urls.client) ?? '' },
    })
    expect(asBrowser.status).toBe(200)
    const json = (await asBrowser.json()) as { steps: Array<{ n: number; entries: Array<{ url: string }> }> }
    const urls = json.steps.flatMap((step) => step.entries.map((e) => `${step.n} ${e.url.split('?')[0]}`))
    expect(urls).toEqual(expect.arrayContaining(['1 /mcp', '5 /login', '6 /token', '7 /mcp']))
    expect(urls.some((u) => u.includes('/register'))).toBe(false)
    // Another browser, with an id of its own, does not.
    const other = httpBrowser()
    await other.get(`${lab.urls.client}/connect`)
    const asOther = await fetch(`${lab.urls.client}/flow/${flow!.id}.json`, {
      headers: { cookie: other.cookieFor(lab.urls.client) ?? '' },
    })
    expect(asOther.status).toBe(404)
  })
})

// Break it's MCP attacks over real HTTP: the client app plays each one against
// the lab's authorization and resource servers (startLab), and the result page
// shows the answer that stopped it; the servers' recorders show what was tried.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLab, type Lab } from '../../../src/lab.js'
import type { RecordedExchange } from '../../../src/shared/flow-recorder.js'
import { httpBrowser } from '../../helpers/http-browser.js'
import { hiddenField } from '../../helpers/inject-browser.js'

let lab: Lab
const browser = httpBrowser()
let csrf = ''

beforeAll(async () => {
  lab = await startLab()
  const page = await browser.get(`${lab.urls.client}/break`)
  expect(page.status).toBe(200)
  csrf = hiddenField(page.body, '_csrf')
})
afterAll(() => lab.close())

function text(html: string, id: string): string | undefined {
  return new RegExp(`id="${id}">([^<]*)<`)
    .exec(html)?.[1]
    ?.replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
}

async function run(attack: string): Promise<{ html: string; flowId: string }> {
  const page = await browser.post(`${lab.urls.client}/break/${attack}`, { _csrf: csrf })
  expect(page.status, page.body).toBe(200)
  expect(text(page.body, 'verdict')).toBe('Stopped.')
  return { html: page.body, flowId: text(page.body, 'flow-id')! }
}

async function recorded(server: string, flowId: string): Promise<RecordedExchange[]> {
  const res = await fetch(`${server}/_lab/exchanges?since=0`, { headers: { authorization: `Bearer ${lab.labKey}` } })
  const { exchanges } = (await res.json()) as { exchanges: RecordedExchange[] }
  return exchanges.filter((e) =>
    e.request.headers.some(([n, v]) => n.toLowerCase() === 'x-oauth-lab-flow' && v === flowId),
  )
}

describe('Break it: MCP attacks', () => {
  it('lists the three MCP attacks', async () => {
    const page = await browser.get(`${lab.urls.client}/break`)
    for (const name of ['mcp-token-for-other-resource', 'mcp-confused-deputy', 'mcp-lying-metadata-document'])
      expect(page.body).toContain(`/break/${name}`)
  })

  it('a token for the built-in resource server at /mcp: 401 invalid_token (audience)', async () => {
    const { html, flowId } = await run('mcp-token-for-other-resource')
    expect(text(html, 'answer-status')).toBe('401')
    expect(text(html, 'answer-www-authenticate')).toContain('error="invalid_token"')
    expect(text(html, 'answer-www-authenticate')).toContain(
      `resource_metadata="${lab.urls.resource}/.well-known/oauth-protected-resource/mcp"`,
    )
    expect(html).toContain('Token Audience Binding and Validation')
    const atResource = await recorded(lab.urls.resource, flowId)
    expect(atResource.map((e) => `${e.request.method} ${e.request.url} ${e.response.status}`)).toEqual([
      'POST /mcp 401',
    ])
  })

  it('another client\u2019s client_id with the attacker\u2019s registered redirect_uri: an error page, never a redirect', async () => {
    const { html, flowId } = await run('mcp-confused-deputy')
    expect(text(html, 'answer-status')).toBe('400')
    expect(html).not.toContain('id="answer-location"')
    expect(html).toContain('Open Redirection and Confused Deputy Problem')
    const atAuth = await recorded(lab.urls.auth, flowId)
    const authorize = atAuth.find((e) => e.request.url.startsWith('/authorize'))!
    expect(authorize.response.status).toBe(400)
    expect(authorize.response.headers.some(([n]) => n.toLowerCase() === 'location')).toBe(false)
    expect(authorize.response.headers.find(([n]) => n.toLowerCase() === 'content-type')?.[1]).toContain('text/html')
    // Both registrations made, then deleted (RFC 7592): runs do not fill the registry.
    expect(
      atAuth.filter((e) => e.request.method === 'POST' && e.request.url === '/register').map((e) => e.response.status),
    ).toEqual([201, 201])
    expect(atAuth.filter((e) => e.request.method === 'DELETE').map((e) => e.response.status)).toEqual([204, 204])
  })

  it('a metadata document whose client_id is not its URL: an error page, never a redirect', async () => {
    const { html, flowId } = await run('mcp-lying-metadata-document')
    expect(text(html, 'answer-status')).toBe('400')
    expect(html).not.toContain('id="answer-location"')
    expect(html).toContain('is not the URL it was fetched from')
    expect(html).toContain('Client ID Metadata Documents')
    const authorize = (await recorded(lab.urls.auth, flowId)).find((e) => e.request.url.startsWith('/authorize'))!
    expect(authorize.response.status).toBe(400)
    expect(authorize.response.headers.some(([n]) => n.toLowerCase() === 'location')).toBe(false)
  })
})

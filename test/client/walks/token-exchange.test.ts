// The token-exchange walk-through (RFC 8693) against the real servers:
// alice's token (sign-in played server-side), API A accepts it, the
// impersonation and the delegation exchanges, the decoded token, API B (the
// MCP server) with it; then the inspector's flow and checks of the walk.

import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestLab, type TestLab } from '../../helpers/lab.js'
import { walkBrowser } from '../../helpers/walk-browser.js'

let lab: TestLab

beforeAll(async () => {
  lab = await startTestLab()
})
afterAll(async () => lab.close())

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'

describe('the token-exchange walk-through', () => {
  it('exchanges alice’s token for API B twice, impersonation then delegation, and calls API B', async () => {
    const learner = walkBrowser(lab.config.client.publicUrl, 'token-exchange')
    await learner.start()
    expect(learner.flowId).toMatch(/^w_token-exchange_/)
    const mcp = `${lab.config.resource.publicUrl}/mcp`

    await learner.next()
    const one = await learner.page()
    expect(one.body).toContain('Alice’s access token')
    expect(one.body).toContain('Played server-side')
    await learner.next()
    expect((await learner.page()).body).toContain('API A accepted alice’s token')
    await learner.next()
    const three = (await learner.page()).body
    expect(three).toContain('A token for API B that stands for alice')
    expect(three).toContain('issued_token_type urn:ietf:params:oauth:token-type:access_token')
    await learner.next()
    expect((await learner.page()).body).toContain('A token for API B that says who acts for alice')
    await learner.next()
    const five = (await learner.page()).body
    expect(five).toContain('The delegated token, decoded')
    expect(five).toContain(`act: {&quot;sub&quot;:&quot;${lab.config.client.clientId}&quot;}`)
    await learner.next()
    const done = (await learner.page()).body
    expect(done).toContain('API B answered for alice')
    expect(done).toContain('id="walk-finished"')

    const flow = await learner.flow()
    expect(flow.walk).toBe('token-exchange')
    expect(flow.steps.map((s) => s.n)).toEqual([1, 2, 3, 4, 5, 6])
    const at = (n: number) => flow.steps.find((s) => s.n === n)!.entries
    expect(at(1).some((e) => e.url.startsWith('/authorize?') && e.from === 'browser')).toBe(true)
    expect(at(1).some((e) => e.url === '/token' && e.status === 200)).toBe(true)
    expect(at(2).some((e) => e.role === 'resource-server' && e.url === '/resource' && e.status === 200)).toBe(true)
    expect(at(3).some((e) => e.url === '/token' && e.part === 'both' && e.status === 200)).toBe(true)
    expect(at(4).filter((e) => e.url === '/token' && e.part !== 'response')).toHaveLength(2)
    expect(at(5).some((e) => e.url === '/token' && e.part === 'response' && e.status === 200)).toBe(true)
    expect(at(6).some((e) => e.role === 'resource-server' && e.url === '/mcp' && e.status === 200)).toBe(true)
    expect(flow.verdict.outcome).toBe('completed')
    const lines = flow.checks.lines.map((l) => l.text)
    expect(flow.checks.lines).toHaveLength(6)
    expect(flow.checks.lines.every((l) => l.ok)).toBe(true)
    expect(lines.filter((t) => t.startsWith(`aud changed: ${lab.config.resource.publicUrl} → ${mcp}`))).toHaveLength(2)
    expect(lines.filter((t) => t.startsWith('sub kept: alice'))).toHaveLength(2)
    expect(lines).toContain(`act present: ${lab.config.client.clientId} acts for alice (delegation, RFC 8693 §4.1).`)
    expect(lines.some((t) => t.startsWith('No act claim: without an actor token'))).toBe(true)

    // The exchanges as recorded: the RFC 8693 §2.1 form, and the delegated token's claims.
    const recorded = lab.exchanges.filter(
      (e) => e.role === 'auth' && e.url === '/token' && (e.body as Record<string, string>).grant_type === EXCHANGE,
    )
    expect(recorded).toHaveLength(2)
    const delegation = recorded.find((e) => (e.body as Record<string, string>).actor_token !== undefined)!
    const form = delegation.body as Record<string, string>
    expect(form.subject_token_type).toBe('urn:ietf:params:oauth:token-type:access_token')
    expect(form.resource).toBe(mcp)
    const claims = decodeJwt((JSON.parse(delegation.responseBody) as { access_token: string }).access_token)
    expect(claims).toMatchObject({ aud: mcp, sub: 'alice', act: { sub: lab.config.client.clientId } })
  })
})

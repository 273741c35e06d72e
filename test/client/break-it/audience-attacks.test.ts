// Break it: a real token issued for the lab's MCP server (RFC 8707 resource)
// presented to GET /resource: 401 invalid_token, stopped by the audience check.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { breakIt, calls } from '../../helpers/break-it.js'
import { startTestLab, type TestLab } from '../../helpers/lab.js'

let lab: TestLab
const { play } = breakIt(() => lab)

beforeAll(async () => {
  lab = await startTestLab()
})
afterAll(() => lab.close())

describe('Break it: a token for another audience', () => {
  it('a token for <resource server>/mcp at /resource: 401 invalid_token naming aud', async () => {
    const run = await play('token-for-another-audience')
    const resourceId = lab.config.resource.publicUrl
    const description = `the access token is not meant for ${resourceId} (aud)`
    expect(run.field('verdict')).toBe('Stopped.')
    expect(run.field('answer-status')).toBe('401')
    expect(run.field('answer-error')).toBe('invalid_token')
    expect(run.field('answer-error-description')).toBe(description)
    expect(run.field('answer-www-authenticate')).toBe(
      `Bearer realm="oauth-lab", error="invalid_token", error_description="${description}"`,
    )
    expect(run.html).toContain('RFC 8707 section 2')
    // The token really is the MCP server's: asked for at /authorize, issued with that aud.
    const auth = run.recorded('auth')
    const authorize = auth.find((e) => e.request.url.startsWith('/authorize?'))!
    expect(new URL(authorize.request.url, 'http://x').searchParams.get('resource')).toBe(`${resourceId}/mcp`)
    const token = auth.find((e) => e.request.url === '/token')!
    expect(token.response.status).toBe(200)
    const accessToken = (JSON.parse(token.response.body!) as { access_token: string }).access_token
    const claims = JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString('utf8')) as {
      aud: unknown
      scope: string
    }
    expect(claims.aud).toBe(`${resourceId}/mcp`)
    expect(claims.scope).toContain('foo')
    expect(calls(run.recorded('resource'))).toEqual(['GET /resource 401', 'POST /mcp 200'])
    // The aftermath, as observed: the same token opens the MCP server it was issued for.
    expect(run.field('aftermath-status')).toBe('200')
    expect(run.field('aftermath-lesson')).toMatch(/^HTTP 200: the MCP server accepts the very token/)
    const verdict = await run.verdict()
    expect(verdict).toMatchObject({ outcome: 'stopped', step: 7 })
    expect(verdict.check).toEqual({
      id: 'audience',
      name: 'the audience (aud) check',
      rfc: 'RFC 9068 §4, RFC 8707 §2',
    })
  })
})

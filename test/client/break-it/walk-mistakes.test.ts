// The mistakes of the client-credentials and OpenID Connect walks, played over
// real HTTP from /break: a public client asking for client credentials
// (RFC 6749 §4.4) and an ID token sent to userinfo (OIDC Core §5.3.1, RFC 6750
// §3.1), each with its exact answer and the inspector's ✗ verdict.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { breakIt, calls, responseHeaderOf } from '../../helpers/break-it.js'
import { startTestLab, type TestLab } from '../../helpers/lab.js'

let lab: TestLab
const attacker = breakIt(() => lab)

beforeAll(async () => {
  lab = await startTestLab()
})
afterAll(() => lab.close())

describe('the walks’ mistakes in Break it', () => {
  it('client_credentials for the public client: 400 unauthorized_client, stopped at step 5 by the token endpoint', async () => {
    const played = await attacker.play('client-credentials-public-client')
    expect(played.field('answer-status')).toBe('400')
    expect(played.field('answer-error')).toBe('unauthorized_client')
    expect(calls(played.recorded('auth'))).toEqual(['POST /token 400'])
    const verdict = await played.verdict()
    expect(verdict.outcome).toBe('stopped')
    expect(verdict.step).toBe(5)
    expect(verdict.check?.id).toBe('token-request')
    expect(verdict.text).toContain('unauthorized_client')
  })

  it('the ID token at userinfo: 401 invalid_token with a Bearer challenge, stopped at step 7 by the access token check', async () => {
    const played = await attacker.play('id-token-at-userinfo')
    expect(played.field('answer-status')).toBe('401')
    const recorded = played.recorded('auth')
    const userinfo = recorded.find((e) => e.request.url === '/userinfo')!
    expect(userinfo.response.status).toBe(401)
    expect(responseHeaderOf(userinfo, 'www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/)
    // The ID token really was what it sent: a JWT whose aud is the client.
    const sent = userinfo.request.headers.find(([n]) => n.toLowerCase() === 'authorization')?.[1] ?? ''
    const claims = JSON.parse(Buffer.from(sent.replace(/^Bearer /, '').split('.')[1]!, 'base64url').toString()) as {
      aud: unknown
      nonce?: unknown
    }
    expect(claims.aud).toBe(lab.config.client.clientId)
    const verdict = await played.verdict()
    expect(verdict.outcome).toBe('stopped')
    expect(verdict.step).toBe(7)
    expect(verdict.check?.id).toBe('token-validity')
  })

  it('lists each on its walk’s page', async () => {
    const cc = await attacker.browser.get(`${lab.config.client.publicUrl}/walk/client-credentials`)
    expect(cc.body).toContain('action="/break/client-credentials-public-client"')
    const oidc = await attacker.browser.get(`${lab.config.client.publicUrl}/walk/oidc`)
    expect(oidc.body).toContain('action="/break/id-token-at-userinfo"')
  })
})

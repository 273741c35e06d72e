// RFC 9449 §10: authorization code binding to a DPoP key. dpop_jkt at the
// authorization request, or a DPoP proof sent with the pushed authorization
// request (§10.1), binds the code: it is redeemed only with a proof of that
// key (invalid_grant otherwise), and the tokens are bound to it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { decodeJwt } from 'jose'
import type { LabConfig } from '../../../src/shared/config.js'
import { obtainCode, pkcePair, testAuthServer } from '../../helpers/auth-server.js'
import { confidential, expectOAuthError, postForm, redeemCode, type Caller } from '../../helpers/back-channel.js'
import { dpopKey, type DpopKey } from '../../helpers/dpop.js'

let app: FastifyInstance
let config: LabConfig

beforeAll(async () => {
  ;({ app, config } = await testAuthServer())
})
afterAll(() => app.close())

const url = (path: string) => `${config.auth.publicUrl}${path}`

async function withProof(caller: Caller, key: DpopKey, path: string): Promise<Caller> {
  return { ...caller, headers: { ...caller.headers, dpop: await key.proof({ htm: 'POST', htu: url(path) }) } }
}

/** A code from the front channel, its request carrying `extra` (dpop_jkt). */
async function code(extra: Record<string, string>) {
  const pkce = pkcePair()
  const { params } = await obtainCode(app, config, {
    query: { scope: 'foo bar', code_challenge: pkce.challenge, code_challenge_method: 'S256', ...extra },
  })
  return { code: params.get('code'), error: params.get('error'), verifier: pkce.verifier }
}

/** A code through a pushed request (RFC 9126), the push made by `caller`. */
async function pushedCode(caller: Caller, extra: Record<string, string> = {}) {
  const pkce = pkcePair()
  const pushed = await postForm(
    app,
    '/par',
    {
      response_type: 'code',
      client_id: 'oauth-client-1',
      redirect_uri: `${config.client.publicUrl}/authenticated`,
      scope: 'foo bar',
      state: 'pushed',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
      ...extra,
    },
    caller,
  )
  if (pushed.statusCode !== 201) return { pushed, verifier: pkce.verifier }
  const { request_uri: requestUri } = pushed.json<{ request_uri: string }>()
  const { params } = await obtainCode(app, config, { query: { client_id: 'oauth-client-1', request_uri: requestUri } })
  return { pushed, code: params.get('code') ?? undefined, verifier: pkce.verifier }
}

describe('dpop_jkt at the authorization request (RFC 9449 §10)', () => {
  it('binds the code: without a proof, or with a proof of another key, the code is refused with invalid_grant', async () => {
    const key = await dpopKey()
    const other = await dpopKey()
    const bare = await code({ dpop_jkt: key.jkt })
    expectOAuthError(await redeemCode(app, config, bare.code!, bare.verifier, confidential), 400, 'invalid_grant')
    const wrongKey = await code({ dpop_jkt: key.jkt })
    const res = await redeemCode(
      app,
      config,
      wrongKey.code!,
      wrongKey.verifier,
      await withProof(confidential, other, '/token'),
    )
    expectOAuthError(res, 400, 'invalid_grant')
    expect(res.json<{ error_description: string }>().error_description).toContain('dpop_jkt')
  })

  it('gives DPoP tokens bound to that key for a proof of it', async () => {
    const key = await dpopKey()
    const bound = await code({ dpop_jkt: key.jkt })
    const res = await redeemCode(app, config, bound.code!, bound.verifier, await withProof(confidential, key, '/token'))
    expect(res.statusCode).toBe(200)
    const body = res.json<{ token_type: string; access_token: string }>()
    expect(body.token_type).toBe('DPoP')
    expect(decodeJwt(body.access_token).cnf).toEqual({ jkt: key.jkt })
  })

  it('refuses a dpop_jkt that is not a thumbprint (invalid_request, back to the client)', async () => {
    const { code: issued, error } = await code({ dpop_jkt: 'not-a-thumbprint' })
    expect(issued).toBeNull()
    expect(error).toBe('invalid_request')
  })
})

describe('a DPoP proof with the pushed authorization request (RFC 9449 §10.1)', () => {
  it('binds the code to the proof key: redeemed only with a proof of it', async () => {
    const key = await dpopKey()
    const first = await pushedCode(await withProof(confidential, key, '/par'))
    expect(first.pushed.statusCode).toBe(201)
    expectOAuthError(await redeemCode(app, config, first.code!, first.verifier, confidential), 400, 'invalid_grant')
    const second = await pushedCode(await withProof(confidential, key, '/par'))
    const res = await redeemCode(
      app,
      config,
      second.code!,
      second.verifier,
      await withProof(confidential, key, '/token'),
    )
    expect(res.statusCode).toBe(200)
    expect(decodeJwt(res.json<{ access_token: string }>().access_token).cnf).toEqual({ jkt: key.jkt })
  })

  it('refuses a dpop_jkt that is not the proof key’s, and a bad proof', async () => {
    const key = await dpopKey()
    const other = await dpopKey()
    const mismatch = await pushedCode(await withProof(confidential, key, '/par'), { dpop_jkt: other.jkt })
    expectOAuthError(mismatch.pushed, 400, 'invalid_request')
    const forToken = await pushedCode(await withProof(confidential, key, '/token'))
    expectOAuthError(forToken.pushed, 400, 'invalid_dpop_proof')
  })

  it('takes dpop_jkt alone in the pushed request too', async () => {
    const key = await dpopKey()
    const pushed = await pushedCode(confidential, { dpop_jkt: key.jkt })
    expectOAuthError(await redeemCode(app, config, pushed.code!, pushed.verifier, confidential), 400, 'invalid_grant')
  })
})

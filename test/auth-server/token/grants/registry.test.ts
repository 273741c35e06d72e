// The grant registry: one module per grant type, each of the same shape; the
// token endpoint dispatches through it and the RFC 8414 metadata lists it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import type { GrantType } from '../../../../src/shared/config.js'
import {
  SUPPORTED_GRANT_TYPES,
  grantModule,
  grantParameters,
  isSupportedGrantType,
} from '../../../../src/auth-server/token/grants/index.js'
import { testAuthServer } from '../../../helpers/auth-server.js'
import { confidential, expectOAuthError, postForm } from '../../../helpers/back-channel.js'

let app: FastifyInstance

beforeAll(async () => {
  ;({ app } = await testAuthServer())
})
afterAll(() => app.close())

describe('the grant registry', () => {
  it("equals the metadata's grant_types_supported, in the same order (RFC 8414 §2)", async () => {
    const meta = (await app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })).json<{
      grant_types_supported: string[]
    }>()
    expect(meta.grant_types_supported).toEqual([...SUPPORTED_GRANT_TYPES])
    expect(SUPPORTED_GRANT_TYPES).toEqual([
      'authorization_code',
      'refresh_token',
      'client_credentials',
      'urn:ietf:params:oauth:grant-type:device_code',
      'urn:ietf:params:oauth:grant-type:token-exchange',
    ])
  })

  it('holds each module under its own grant type, with its parameters as a set', () => {
    for (const grantType of SUPPORTED_GRANT_TYPES) {
      const grant = grantModule(grantType)
      expect(grant.grantType).toBe(grantType)
      expect(grant.parameters).toBeInstanceOf(Set)
      expect(typeof grant.handler).toBe('function')
    }
    expect([...grantModule('authorization_code').parameters]).toEqual([
      'code',
      'redirect_uri',
      'code_verifier',
      'resource',
    ])
    expect([...grantModule('refresh_token').parameters]).toEqual(['refresh_token', 'scope', 'resource'])
    expect([...grantModule('client_credentials').parameters]).toEqual(['scope', 'resource'])
    expect([...grantModule('urn:ietf:params:oauth:grant-type:device_code').parameters]).toEqual(['device_code'])
    expect([...grantModule('urn:ietf:params:oauth:grant-type:token-exchange').parameters]).toEqual([
      'subject_token',
      'subject_token_type',
      'actor_token',
      'actor_token_type',
      'resource',
      'audience',
      'scope',
      'requested_token_type',
    ])
  })

  it('narrows only the registered grant types, never a name inherited from Object', () => {
    for (const grantType of SUPPORTED_GRANT_TYPES) expect(isSupportedGrantType(grantType)).toBe(true)
    for (const other of ['password', 'implicit', 'toString', '__proto__', 'constructor', ''])
      expect(isSupportedGrantType(other)).toBe(false)
  })

  it('hands the handler grant_type and its own parameters only (RFC 6749 §3.2: others are ignored)', () => {
    const body = { grant_type: 'refresh_token', refresh_token: 'r', scope: 'foo', code: 'c', client_id: 'x' }
    expect(grantParameters(grantModule('refresh_token'), body)).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'r',
      scope: 'foo',
    })
    const grantType: GrantType = 'client_credentials'
    expect(grantParameters(grantModule(grantType), { grant_type: grantType })).toEqual({ grant_type: grantType })
  })

  it('answers unsupported_grant_type for a grant outside the registry, at the endpoint', async () => {
    for (const grantType of ['password', 'implicit', 'toString'])
      expectOAuthError(
        await postForm(app, '/token', { grant_type: grantType }, confidential),
        400,
        'unsupported_grant_type',
      )
  })

  it('ignores parameters a grant does not take', async () => {
    const res = await postForm(
      app,
      '/token',
      { grant_type: 'client_credentials', scope: 'foo', code: 'not-for-this-grant', refresh_token: 'nor-this' },
      confidential,
    )
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ token_type: 'Bearer', scope: 'foo' })
  })
})

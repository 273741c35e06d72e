import { describe, expect, it } from 'vitest'
import { SignJWT, exportJWK, generateKeyPair } from 'jose'
import { checkSignature, decodeBasic, decodeJwtParts, formTable } from '../../../src/client/flow/decode.js'
import { createJwksSource } from '../../../src/client/flow/jwks.js'
import { BASIC } from './fixtures.js'
import { first } from '../../helpers/lists.js'

async function signingKey(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }
  const sign = (exp: number) =>
    new SignJWT({ client_id: 'oauth-client-1', scope: 'foo bar' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
      .setSubject('alice')
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(privateKey)
  return { jwk, sign }
}

describe('decodeBasic (RFC 6749 §2.3.1)', () => {
  it('decodes the book\u2019s header to the built-in client', () => {
    expect(decodeBasic(BASIC)).toEqual({ clientId: 'oauth-client-1', clientSecret: 'oauth-client-secret-1' })
  })

  it('form-decodes id and secret, so a colon or space in them survives', () => {
    const header = `Basic ${Buffer.from('my%3Aclient:s%C3%A9cret+with+spaces%25').toString('base64')}`
    expect(decodeBasic(header)).toEqual({ clientId: 'my:client', clientSecret: 'sécret with spaces%' })
  })

  it('returns undefined for anything else', () => {
    expect(decodeBasic(undefined)).toBeUndefined()
    expect(decodeBasic('Bearer abc')).toBeUndefined()
    expect(decodeBasic(`Basic ${Buffer.from('no-colon').toString('base64')}`)).toBeUndefined()
    expect(decodeBasic(`Basic ${Buffer.from('bad%zz:x').toString('base64')}`)).toBeUndefined()
  })
})

describe('formTable', () => {
  it('lists form fields in order, decoded, and flags the security parameters', () => {
    const body =
      'grant_type=authorization_code&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fauthenticated&code=8V1pr0rJ&code_verifier=v&scope=foo+bar'
    expect(formTable(body)).toEqual([
      { name: 'grant_type', value: 'authorization_code' },
      { name: 'redirect_uri', value: 'http://localhost:3000/authenticated', security: 'redirect_uri' },
      { name: 'code', value: '8V1pr0rJ', security: 'code' },
      { name: 'code_verifier', value: 'v', security: 'code_verifier' },
      { name: 'scope', value: 'foo bar' },
    ])
  })
})

describe('JWT access tokens', () => {
  it('decodes header and claims, and says undefined for a non-JWT', async () => {
    const { sign } = await signingKey('k1')
    const token = await sign(Math.floor(Date.now() / 1000) + 60)
    expect(decodeJwtParts(token)).toMatchObject({
      header: { alg: 'ES256', typ: 'at+jwt', kid: 'k1' },
      claims: { sub: 'alice', client_id: 'oauth-client-1' },
    })
    expect(decodeJwtParts('opaque-token')).toBeUndefined()
  })

  it('remembers a check per token and key set: the expiry is compared with the clock again, another key set checks again', async () => {
    const good = await signingKey('k1')
    const jwks = { keys: [good.jwk] }
    const exp = Math.floor(Date.now() / 1000) + 60
    const token = await good.sign(exp)
    expect((await checkSignature(token, jwks)).status).toBe('valid')
    // The same token later than its exp: expired, though the signature was checked before.
    expect((await checkSignature(token, jwks, new Date((exp + 1) * 1000))).status).toBe('expired')
    expect((await checkSignature(token, jwks)).status).toBe('valid')
    // A key set without its key (keys rotated away): checked again, not taken from the earlier check.
    const rotated = { keys: [(await signingKey('k2')).jwk] }
    expect((await checkSignature(token, rotated)).status).toBe('invalid')
  })

  it('checks the signature against the JWKS: valid, invalid, expired, could not check', async () => {
    const good = await signingKey('k1')
    const other = await signingKey('k1')
    const jwks = { keys: [good.jwk] }
    const inAMinute = Math.floor(Date.now() / 1000) + 60
    expect((await checkSignature(await good.sign(inAMinute), jwks)).status).toBe('valid')
    expect((await checkSignature(await other.sign(inAMinute), jwks)).status).toBe('invalid')
    expect((await checkSignature(await good.sign(inAMinute - 3600), jwks)).status).toBe('expired')
    expect((await checkSignature(await good.sign(inAMinute), undefined)).status).toBe('could not check')
    const tampered = (await good.sign(inAMinute)).replace(
      /\.([^.]+)\./,
      (_, claims: string) => `.${claims.slice(0, -2)}AA.`,
    )
    expect((await checkSignature(tampered, jwks)).status).toBe('invalid')
  })
})

describe('the JWKS source', () => {
  it('tags its request, caches the keys, and refetches for an unknown kid', async () => {
    const calls: Array<Record<string, string>> = []
    const fetchStub = (async (_url: string, init?: RequestInit) => {
      calls.push(init?.headers as Record<string, string>)
      return new Response(JSON.stringify({ keys: [{ kid: `k${calls.length}`, kty: 'EC' }] }), { status: 200 })
    }) as typeof fetch
    const source = createJwksSource(fetchStub, 'http://as/jwks')
    expect(first((await source.get('k1'))?.keys).kid).toBe('k1')
    await source.get('k1')
    expect(calls).toHaveLength(1)
    expect(first(calls)['x-oauth-lab-inspector']).toBe('jwks')
    expect(first((await source.get('k2'))?.keys).kid).toBe('k2')
    expect(calls).toHaveLength(2)
  })

  it('gives undefined when the authorization server cannot be reached', async () => {
    const down = (async () => {
      throw new TypeError('fetch failed')
    }) as typeof fetch
    expect(await createJwksSource(down, 'http://as/jwks').get()).toBeUndefined()
  })
})

// The order of Break it's attacks: the seven steps' first, then forged and
// misdirected tokens, the open redirect, injected and mixed-up callbacks, and
// MCP's last; each says why it is stopped with an RFC section.

import { describe, expect, it } from 'vitest'
import { ATTACKS, findAttack } from '../../../src/client/break-it/catalog.js'

describe('the Break it catalog', () => {
  it('lists the attacks in the issue’s order, the new ones before MCP’s', () => {
    expect(ATTACKS.map((a) => a.name)).toEqual([
      'forged-state',
      'replayed-code',
      'redirect-uri-changed',
      'wrong-client-secret',
      'missing-pkce-verifier',
      'wrong-pkce-verifier',
      'expired-token',
      'token-without-foo',
      'consent-denied',
      'tampered-jwt',
      'alg-none-jwt',
      'token-for-another-audience',
      'open-redirect',
      'code-injection',
      'mix-up',
      'spa-code-without-verifier',
      'id-token-at-userinfo',
      'refresh-token-reuse',
      'client-credentials-public-client',
      'dpop-token-as-bearer',
      'dpop-replayed-proof',
      'dpop-proof-for-other-url',
      'dpop-other-key',
      'device-polling-too-fast',
      'device-guessed-user-code',
      'device-code-expired',
      'par-request-uri-replayed',
      'par-request-uri-other-client',
      'token-exchange-audience-not-allowed',
      'token-exchange-not-a-token',
      'mcp-token-for-other-resource',
      'mcp-confused-deputy',
      'mcp-lying-metadata-document',
    ])
    expect(new Set(ATTACKS.map((a) => a.title)).size).toBe(ATTACKS.length)
  })

  it('gives each attack of the seven steps a why with an RFC section (MCP’s cite the MCP specification)', () => {
    for (const attack of ATTACKS.filter((a) => !a.name.startsWith('mcp-')))
      expect(attack.why, attack.name).toMatch(/RFC \d+ sections? \d/)
    expect(findAttack('mix-up')?.answeredBy).toBe('client app')
    expect(findAttack('no-such-attack')).toBeUndefined()
  })
})

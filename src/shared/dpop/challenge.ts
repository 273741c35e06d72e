// RFC 9449 §7.1: the `DPoP` authentication scheme's challenge, which names the
// algorithms a proof may use. Written like RFC 6750 §3's Bearer challenge.

import { sanitizeParam } from '../bearer-errors.js'
import { DPOP_ALGS } from './proof.js'

export type DpopChallengeError = 'invalid_token' | 'invalid_dpop_proof' | 'use_dpop_nonce' | 'insufficient_scope'

/** `DPoP error="…", error_description="…", algs="ES256 …"`; no error when the request carried no credentials. */
export function dpopChallenge(error?: DpopChallengeError, description?: string, scope?: string): string {
  const params: Array<[string, string]> = []
  if (error !== undefined) params.push(['error', error])
  if (error !== undefined && description !== undefined) params.push(['error_description', description])
  if (scope !== undefined) params.push(['scope', scope])
  params.push(['algs', DPOP_ALGS.join(' ')])
  return `DPoP ${params.map(([name, value]) => `${name}="${sanitizeParam(value)}"`).join(', ')}`
}

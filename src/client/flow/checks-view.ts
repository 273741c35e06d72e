// The checks a teacher points at, as sentences with a tick or a cross.

import { s256Challenge } from '../../shared/sha256.js'
import type { FlowChecks, McpCheck } from './types.js'

export interface CheckLine {
  readonly id: 'state' | 'code' | 'pkce' | McpCheck['id'] | 'walk'
  readonly ok: boolean
  readonly text: string
}

export function checksView(checks: FlowChecks): CheckLine[] {
  const lines: CheckLine[] = []
  if (checks.state !== undefined && checks.returnedState !== undefined) {
    const ok = checks.state === checks.returnedState
    lines.push({
      id: 'state',
      ok,
      text: ok
        ? 'the state of step 4 is the state sent in step 1 (RFC 6749 §10.12)'
        : 'the state of step 4 differs from the state sent in step 1: the client app must refuse it (RFC 6749 §10.12)',
    })
  }
  if (checks.issuedCode !== undefined && checks.redeemedCode !== undefined) {
    const ok = checks.issuedCode === checks.redeemedCode
    lines.push({
      id: 'code',
      ok,
      text: ok
        ? 'the code redeemed in step 5 is the code of step 4'
        : 'the code redeemed in step 5 is NOT the code of step 4',
    })
  }
  if (checks.codeChallenge !== undefined && checks.codeVerifier !== undefined) {
    const ok = s256Challenge(checks.codeVerifier) === checks.codeChallenge
    lines.push({
      id: 'pkce',
      ok,
      text: ok
        ? 'BASE64URL(SHA-256(code_verifier of step 5)) is the code_challenge of step 1 (RFC 7636 §4.6)'
        : 'the code_verifier of step 5 does not hash to the code_challenge of step 1 (RFC 7636 §4.6)',
    })
  }
  return lines
}

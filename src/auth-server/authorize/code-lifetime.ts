// How long a new authorization code lives (RFC 6749 §4.1.2): the configured
// lifetime, or, for the lab's own client app in step-through mode, the longer
// one it asked for, at most 10 minutes (see shared/step-through-code.ts).
// Any other client's lab_code_lifetime is an unknown parameter, ignored
// (RFC 6749 §3.1), so the server stays strict for everyone else.

import type { LabConfig } from '../../shared/config.js'
import { grantedCodeLifetime } from '../../shared/step-through-code.js'
import type { AuthorizationRequest } from './validate-request.js'

export function codeLifetimeSeconds(
  config: Pick<LabConfig, 'auth' | 'client'>,
  request: Pick<AuthorizationRequest, 'client' | 'codeLifetimeAsked'>,
): number {
  if (request.client.clientId !== config.client.clientId) return config.auth.codeTtlSeconds
  return grantedCodeLifetime(config.auth.codeTtlSeconds, request.codeLifetimeAsked)
}

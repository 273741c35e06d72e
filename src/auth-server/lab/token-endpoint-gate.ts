// The lab's token-endpoint scenarios behind the extension point
// tokenEndpointGate: a slow or failing server behaves so whatever the request
// carries, so they answer before client authentication.

import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyRequest } from 'fastify'
import { BASIC_CHALLENGE } from '../back-channel/client-auth.js'
import { OAuthError } from '../oauth-error.js'
import type { ScenarioState, TokenFailureError } from './scenarios.js'

/** The armed error with the status the RFCs give it (RFC 6749 §5.2; 500 / 503 for the server's own). */
function scenarioFailure(
  { error, description }: { error: TokenFailureError; description: string },
  authorization?: string,
): OAuthError {
  if (error === 'server_error') return new OAuthError(error, description, { status: 500 })
  if (error === 'temporarily_unavailable') return new OAuthError(error, description, { status: 503 })
  // RFC 6749 §5.2: invalid_client after HTTP Basic is 401 with WWW-Authenticate.
  const triedBasic = /^basic /i.test(authorization ?? '')
  if (error === 'invalid_client' && triedBasic)
    return new OAuthError(error, description, { wwwAuthenticate: BASIC_CHALLENGE })
  return new OAuthError(error, description)
}

/** Each call takes one armed delay (waited for) and one armed failure (thrown). */
export function scenarioGate(scenarios: ScenarioState): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    const delay = scenarios.takeTokenDelay()
    if (delay > 0) await sleep(delay)
    const failure = scenarios.takeTokenFailure()
    if (failure) throw scenarioFailure(failure, request.headers.authorization)
  }
}

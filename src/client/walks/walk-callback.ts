// The browser is back at the client app's redirect URI from a walk-through's
// authorization request: the state it carries is the one the walk sent it away
// with (RFC 6749 §10.12: compared in constant time, used once), so the walk's
// script handles the answer, not the seven steps' callback.

import type { FastifyReply, FastifyRequest } from 'fastify'
import type { LabConfig } from '../../shared/config.js'
import { constantTimeEqual } from '../../shared/constant-time.js'
import { FLOW_HEADER } from '../flow/http.js'
import type { Fetch } from '../oauth-client.js'
import { findScript } from './scripts.js'
import { advance, runContext } from './walk-routes.js'

/** Whether this callback is a walk's; if it is, the reply is sent. */
export async function walkCallback(
  request: FastifyRequest,
  reply: FastifyReply,
  config: LabConfig,
  fetchFn: Fetch,
  query: Readonly<Record<string, string | undefined>>,
): Promise<boolean> {
  const state = request.session.clientWalk
  const script = state === undefined ? undefined : findScript(state.name)
  if (state?.state === undefined || script?.callback === undefined || query.state === undefined) return false
  if (!constantTimeEqual(query.state, state.state)) return false
  const away = { ...state }
  const outcome = await script.callback(runContext(config, fetchFn, away, request), query)
  // The state is used once: advance() drops it unless the outcome sends the browser away again.
  request.session.clientWalk = advance(away, outcome, script, 0)
  void reply.header(FLOW_HEADER, state.tag)
  await reply.redirect(outcome.kind === 'redirect' ? outcome.location : `/walk/${state.name}`, 303)
  return true
}

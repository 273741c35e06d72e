// Which numbered steps a flow is shown with: a walk-through's own, the MCP
// chain's, or the seven steps of "OAuth 2 in Action".

import { findWalk } from '../walks/definitions.js'
import { isAuthorizationPending } from './device-polling.js'
import { MCP_STEPS } from './mcp-steps.js'
import { STEPS, type StepText } from './steps.js'
import type { Flow, RecordedExchange } from './types.js'

export function stepsOf(flow: Pick<Flow, 'mcp' | 'walk'>): readonly StepText[] {
  if (flow.walk) return findWalk(flow.walk.name)?.steps ?? STEPS
  return flow.mcp ? MCP_STEPS : STEPS
}

/** The answers of 400 or more that a walk expects (e.g. a device's authorization_pending): not refusals. */
export function expectedOf(flow: Pick<Flow, 'walk'>): (e: RecordedExchange) => boolean {
  const walk = flow.walk ? findWalk(flow.walk.name) : undefined
  // RFC 8628 §3.5: a device's authorization_pending is expected in any flow (a Break-it flow's too).
  return (e) => walk?.expected?.(e) ?? isAuthorizationPending(e)
}

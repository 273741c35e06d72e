// Plain data of the flow inspector: exchanges grouped into flows, each part of
// an exchange placed under one of the seven steps.

import type { RecordedExchange, Role } from '../../shared/flow-recorder.js'
import type { WalkCheck, WalkName } from '../walks/walk.js'

export type { RecordedExchange, Role }

export type StepNumber = 1 | 2 | 3 | 4 | 5 | 6 | 7

/**
 * Which half of an exchange an entry shows. A request and its answer may belong
 * to different steps: the POST /token request is step 5, its answer step 6.
 */
export type Part = 'both' | 'request' | 'response'

/** Who sent a request: the lifelines of the sequence diagram (the attacker's only in attacks that have one). */
export type Actor = 'browser' | 'attacker' | 'client' | 'auth-server' | 'resource-server'

export interface FlowEntry {
  readonly exchange: RecordedExchange
  readonly step: StepNumber
  readonly part: Part
  /** Short, e.g. "POST /token: the code for a token". */
  readonly label: string
  readonly from: Actor
  readonly to: Actor
  /** When this part happened (request: start; response: end), for ordering. */
  readonly at: number
}

export interface FlowChecks {
  /** The state sent in step 1 (the flow's key for browser flows). */
  readonly state?: string
  /** The state in step 4's redirect: must be step 1's, unchanged (RFC 6749 §4.1.2). */
  readonly returnedState?: string
  /** The code of step 4 (the authorization response's Location). */
  readonly issuedCode?: string
  /** The code redeemed in step 5 (the POST /token body). */
  readonly redeemedCode?: string
  readonly codeChallenge?: string
  readonly codeVerifier?: string
  readonly accessToken?: string
  /** How the resource server checked the token in step 7. */
  readonly tokenCheck?: 'jwks' | 'introspect' | 'cached-keys'
}

export interface Flow {
  /** URL-safe: state-based flows `f` + a hash of the state; tagged flows their tag. */
  readonly id: string
  /** Rule 1 (x-oauth-lab-flow header) or rule 2 (a browser flow followed by state). */
  readonly kind: 'tagged' | 'browser'
  readonly startedAt: number
  readonly entries: readonly FlowEntry[]
  /** Steps that did not happen, with why (step 2 of the seven steps: a remembered decision). */
  readonly skipped: Partial<Record<StepNumber, string>>
  readonly checks: FlowChecks
  /** Set when an MCP client started the flow: its steps are the MCP chain's (mcp-chain.ts). */
  readonly mcp?: McpFlowInfo
  /** Set when a walk-through started the flow: its steps are the walk's (walks/definitions.ts). */
  readonly walk?: WalkFlowInfo
}

/** A walk-through's flow: which walk, and its checks, each under its step. */
export interface WalkFlowInfo {
  readonly name: WalkName
  readonly checks: readonly WalkCheck[]
}

/** A flow of an MCP client: checks and notes of the MCP chain, each under its step. */
export interface McpFlowInfo {
  readonly clientId?: string
  readonly checks: readonly McpCheck[]
  readonly notes: Partial<Record<StepNumber, string>>
}

export interface McpCheck {
  readonly id: 'resource' | 'token-resource' | 'pkce-sent' | 'pkce' | 'audience'
  readonly step: StepNumber
  readonly ok: boolean
  readonly text: string
}

export const STEP_NUMBERS: readonly StepNumber[] = [1, 2, 3, 4, 5, 6, 7]

// What a Break-it attack is: a name, what it tries, why the flow stops it
// (with the RFC section), and a run that returns the answer that stops it.

import type { LabConfig } from '../../shared/config.js'
import type { Agent, AgentResponse } from './agent.js'

export type AttackName =
  | 'forged-state'
  | 'replayed-code'
  | 'redirect-uri-changed'
  | 'wrong-client-secret'
  | 'missing-pkce-verifier'
  | 'wrong-pkce-verifier'
  | 'expired-token'
  | 'token-without-foo'
  | 'consent-denied'
  | 'refresh-token-reuse'
  | 'client-credentials-public-client'
  | 'id-token-at-userinfo'
  | 'tampered-jwt'
  | 'alg-none-jwt'
  | 'token-for-another-audience'
  | 'open-redirect'
  | 'code-injection'
  | 'mix-up'
  | 'mcp-token-for-other-resource'
  | 'mcp-confused-deputy'
  | 'mcp-lying-metadata-document'
  | 'dpop-token-as-bearer'
  | 'dpop-replayed-proof'
  | 'dpop-proof-for-other-url'
  | 'dpop-other-key'
  | 'spa-code-without-verifier'
  | 'par-request-uri-replayed'
  | 'par-request-uri-other-client'
  | 'token-exchange-audience-not-allowed'
  | 'token-exchange-not-a-token'
  | 'device-polling-too-fast'
  | 'device-guessed-user-code'
  | 'device-code-expired'

export interface AttackContext {
  readonly config: LabConfig
  /** The browser the attack plays (a fresh cookie jar per attack). */
  readonly agent: Agent
  /** Another browser in the same flow and log, e.g. a victim's and an attacker's. */
  newAgent(name: string): Agent
}

/** Which server gave the decisive answer: the result page names it. */
export type Answerer = 'authorization server' | 'resource server' | 'client app'

export interface Attack {
  readonly name: AttackName
  /** The button's label. */
  readonly title: string
  /** What is tried, in one or two sentences. */
  readonly tried: string
  /** Why it is stopped: one paragraph with the RFC section. */
  readonly why: string
  readonly answeredBy: Answerer
  /** Plays the whole scene; resolves to the answer that stops the attack (and, for some, what follows it). */
  run(ctx: AttackContext): Promise<AgentResponse | AttackOutcome>
}

/**
 * The decisive answer and what happened next, where the lesson needs both:
 * e.g. after a replayed code the first access token is revoked at the
 * authorization server, yet a resource server that checks JWTs itself still
 * accepts it. Told as observed, never as assumed.
 */
export interface AttackOutcome {
  readonly answer: AgentResponse
  readonly aftermath?: Aftermath
}

export interface Aftermath {
  /** What was tried after the attack was stopped. */
  readonly title: string
  readonly response: AgentResponse
  /** Why the answer is what it is, with the RFC sections. */
  readonly lesson: string
}

/** A plain answer or an outcome with an aftermath, as one shape. */
export function outcomeOf(result: AgentResponse | AttackOutcome): AttackOutcome {
  return 'answer' in result ? result : { answer: result }
}

/** The scene could not be set up (a server down, a remembered decision…); the message says what to do. */
export class AttackSetupError extends Error {
  override name = 'AttackSetupError'
}

/** The access token of a 200 token response; anything else means the scene cannot go on. */
export function accessTokenOf(response: AgentResponse, what: string): string {
  let token: unknown
  try {
    token = (JSON.parse(response.body) as { access_token?: unknown }).access_token
  } catch {
    token = undefined
  }
  if (response.status !== 200 || typeof token !== 'string') {
    throw new AttackSetupError(`${what} failed with HTTP ${response.status}.`)
  }
  return token
}

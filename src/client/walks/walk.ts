// What a walk-through is. Besides the seven steps of the authorization-code
// flow, the lab walks a learner through the other flows its servers support
// (a public SPA client, OpenID Connect, refresh rotation, client credentials,
// DPoP, the device grant, pushed authorization requests, token exchange), one
// step per "Next", each with its own numbered steps in the flow inspector.
//
// A walk has two halves, kept apart so that the inspector (pure functions over
// recorded exchanges) never loads route code:
// - its definition (WalkDefinition): the steps' texts and RFC sections, where
//   each recorded exchange belongs, its checks; gathered in definitions.ts;
// - its script (WalkScript): what each "Next" does; gathered in scripts.ts and
//   run by walk-routes.ts.

import type { FastifyRequest } from 'fastify'
import type { LabConfig } from '../../shared/config.js'
import type { StepText } from '../flow/steps.js'
import type { Actor, FlowEntry, RecordedExchange, StepNumber } from '../flow/types.js'
import type { Fetch } from '../oauth-client.js'

export const WALK_NAMES = [
  'spa-pkce',
  'oidc',
  'refresh',
  'client-credentials',
  'dpop',
  'device',
  'par',
  'token-exchange',
] as const

export type WalkName = (typeof WALK_NAMES)[number]

export function isWalkName(name: string): name is WalkName {
  return (WALK_NAMES as readonly string[]).includes(name)
}

/** Where one recorded exchange goes: its request and its answer can be in different steps. */
export interface WalkPlacement {
  readonly request: StepNumber
  readonly response: StepNumber
  readonly from: Actor
  readonly to: Actor
}

/** A check the inspector shows under its step, e.g. "✓ nonce: the ID token's nonce is the one sent in step 1". */
export interface WalkCheck {
  readonly step: StepNumber
  readonly ok: boolean
  readonly text: string
}

export interface WalkDefinition {
  readonly name: WalkName
  /** Short, for buttons and headings: "Client credentials". */
  readonly title: string
  /** One paragraph: what the flow is for and who uses it. */
  readonly summary: string
  /** The main RFC sections, one line. */
  readonly rfc: string
  /** Its own numbered steps, at most seven, each with what to look at. */
  readonly steps: readonly StepText[]
  /**
   * Where an exchange of this walk's flow belongs; undefined: under the step of
   * the exchange before it.
   */
  place(e: RecordedExchange, all: readonly RecordedExchange[]): WalkPlacement | undefined
  /** The checks the inspector shows, worked out from the flow's entries. */
  checks?(entries: readonly FlowEntry[]): readonly WalkCheck[]
  /**
   * Answers of 400 or more that are part of the flow, not a refusal: e.g.
   * `authorization_pending` while a device polls (RFC 8628 §3.5), or a DPoP
   * nonce challenge (RFC 9449 §8).
   */
  expected?(e: RecordedExchange): boolean
  /**
   * Untagged exchanges that belong to a flow of this walk although they carry
   * neither its tag nor its state: e.g. the device grant's verification page,
   * known by its user_code (RFC 8628 §3.3). `members` are the flow's so far.
   */
  joins?(members: readonly RecordedExchange[], untagged: readonly RecordedExchange[]): readonly RecordedExchange[]
  /** The Break-it attacks (by name) that belong to this walk. */
  readonly attacks: readonly string[]
}

/** What the walk's session keeps between two "Next"s. */
export interface WalkState {
  readonly name: WalkName
  /** The inspector's flow id: every request of the walk carries it (x-oauth-lab-flow). */
  readonly tag: string
  /** Index of the next stop in the script. */
  readonly stop: number
  readonly results: readonly WalkResult[]
  /** Values later stops need (a token, a device_code, ...): kept server-side, never in the page. */
  readonly data: Readonly<Record<string, string>>
  /** Set while the browser is away at the authorization server: the state it must come back with. */
  readonly state?: string
}

/** What one stop showed: a title, ✓ or ✗, and short lines (the inspector has the raw HTTP). */
export interface WalkResult {
  readonly step: StepNumber
  readonly title: string
  readonly ok: boolean
  readonly lines: readonly string[]
  /** A page of the walk's own to open next (e.g. the device's TV screen): a local path. */
  readonly link?: { readonly href: string; readonly text: string }
}

export interface WalkRunContext {
  readonly config: LabConfig
  /** For requests to the other servers: each carries the walk's flow tag. */
  readonly fetch: Fetch
  readonly data: Readonly<Record<string, string>>
  readonly request: FastifyRequest
}

export type WalkOutcome =
  /** The stop ran on the back channel: show its result, keep `data`. */
  | {
      readonly kind: 'shown'
      readonly result: WalkResult
      readonly data?: Readonly<Record<string, string>>
      /** Ends the walk (e.g. a refusal no later step can go past). */
      readonly done?: boolean
      /** Stops to pass over after this one: e.g. a nonce retry the server did not ask for (RFC 9449 §8). */
      readonly skip?: number
      /** Stays at this stop: the next "Next" runs it again (a device polls until the user decides, RFC 8628 §3.5). */
      readonly again?: boolean
    }
  /**
   * The browser goes to the authorization server (front channel) and comes
   * back to the client's redirect URI with `state`, where `callback` goes on.
   */
  | {
      readonly kind: 'redirect'
      readonly location: string
      readonly state: string
      readonly data?: Readonly<Record<string, string>>
    }

export interface WalkStop {
  /** The step this stop makes happen. */
  readonly step: StepNumber
  /** The button's label, e.g. "Send the token request". */
  readonly action: string
  run(ctx: WalkRunContext): Promise<WalkOutcome>
}

export interface WalkScript {
  readonly name: WalkName
  readonly stops: readonly WalkStop[]
  /**
   * The browser is back at the redirect URI with this walk's state: what the
   * client does with the authorization response (its result is shown like a stop's).
   */
  callback?(ctx: WalkRunContext, query: Readonly<Record<string, string | undefined>>): Promise<WalkOutcome>
}

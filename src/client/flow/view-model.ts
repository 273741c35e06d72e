// Plain data for views/client/flow*.eta (and GET /flow/:id.json): each step
// with its paragraph, its exchanges as highlighted raw HTTP, decoded panels,
// the cross-step checks and the diagram.

import { checkSignature, decodeJwtParts, type SignatureCheck } from './decode.js'
import { checksView, type CheckLine } from './checks-view.js'
import { layoutDiagram, type Diagram } from './diagram.js'
import { highlight, isFoldedBody, requestMessage, responseMessage, type HttpMessage, type Segment } from './format.js'
import type { JwksSource } from './jwks.js'
import { maskedNotes, type MaskedNote } from './masked.js'
import { panelsOf, type Panel } from './panels.js'
import { STEPS } from './steps.js'
import type { Flow, FlowEntry, Role, StepNumber } from './types.js'

export interface MessageView {
  readonly head: readonly Segment[]
  readonly body?: readonly Segment[]
  readonly folded: boolean
  readonly bodyNote: string
}

export type PanelView =
  | Exclude<Panel, { kind: 'jwt' }>
  | {
      readonly kind: 'jwt'
      readonly title: string
      readonly header: string
      readonly claims: string
      readonly signature: SignatureCheck
    }

export interface EntryView {
  readonly anchor: string
  readonly label: string
  readonly part: FlowEntry['part']
  readonly server: string
  readonly request?: MessageView
  readonly response?: MessageView
  readonly panels: readonly PanelView[]
}

export interface StepView {
  readonly n: StepNumber
  readonly title: string
  readonly what: string
  readonly rfc: string
  readonly skipped?: string
  /** How the resource server checked the token (step 7). */
  readonly note?: string
  readonly entries: readonly EntryView[]
  readonly checks: readonly CheckLine[]
}

export interface FlowView {
  readonly id: string
  readonly kind: Flow['kind']
  readonly started: string
  readonly steps: readonly StepView[]
  readonly checks: readonly CheckLine[]
  readonly diagram: Diagram
  /** The cookies and keys the recorders masked in this flow, with why. */
  readonly masked: readonly MaskedNote[]
}

export const SERVER_NAMES: Record<Role, string> = {
  client: 'the client app',
  'auth-server': 'the authorization server',
  'resource-server': 'the resource server',
}

const TOKEN_CHECK_NOTES: Record<NonNullable<Flow['checks']['tokenCheck']>, string> = {
  jwks: 'The resource server fetched the authorization server\u2019s public keys (GET /jwks, below) and checked the token\u2019s signature, issuer, audience and expiry itself (RFC 9068 §4).',
  'cached-keys':
    'The resource server checked the token with the public keys it had already fetched and cached: no request to the authorization server this time (RFC 9068 §4).',
  introspect:
    'The resource server asked the authorization server whether the token is active (POST /introspect, below), so a revoked token is refused at once (RFC 7662 §2).',
}

// Which step shows which check: state arrives in step 4, code and verifier in step 5.
const CHECK_STEP: Record<CheckLine['id'], StepNumber> = { state: 4, code: 5, pkce: 5 }

export async function flowView(flow: Flow, jwks: JwksSource): Promise<FlowView> {
  const checks = checksView(flow.checks)
  const entries = await Promise.all(flow.entries.map((entry, i) => entryView(entry, i, jwks)))
  const steps = STEPS.map((step) => ({
    ...step,
    ...(flow.skipped[step.n] === undefined ? {} : { skipped: flow.skipped[step.n] }),
    ...(step.n === 7 && flow.checks.tokenCheck ? { note: TOKEN_CHECK_NOTES[flow.checks.tokenCheck] } : {}),
    entries: entries.filter((_, i) => flow.entries[i]?.step === step.n),
    checks: checks.filter((c) => CHECK_STEP[c.id] === step.n),
  }))
  return {
    id: flow.id,
    kind: flow.kind,
    started: new Date(flow.startedAt).toISOString(),
    steps,
    checks,
    diagram: layoutDiagram(flow.entries),
    masked: maskedNotes(flow),
  }
}

async function entryView(entry: FlowEntry, i: number, jwks: JwksSource): Promise<EntryView> {
  const e = entry.exchange
  return {
    anchor: `x${i + 1}`,
    label: entry.label,
    part: entry.part,
    server: SERVER_NAMES[e.role],
    ...(entry.part === 'response' ? {} : { request: messageView(requestMessage(e)) }),
    ...(entry.part === 'request' ? {} : { response: messageView(responseMessage(e)) }),
    panels: await Promise.all(panelsOf(entry).map((panel) => panelView(panel, jwks))),
  }
}

function messageView(m: HttpMessage): MessageView {
  const size = m.body === undefined ? 0 : Buffer.byteLength(m.body)
  return {
    head: highlight(m.head),
    ...(m.body === undefined ? {} : { body: highlight(m.body) }),
    folded: isFoldedBody(m),
    bodyNote: `Body: ${m.contentType ?? 'no content type'}, ${size} bytes${m.truncated ? ' (recording truncated)' : ''}`,
  }
}

async function panelView(panel: Panel, jwks: JwksSource): Promise<PanelView> {
  if (panel.kind !== 'jwt') return panel
  const decoded = decodeJwtParts(panel.token)!
  const kid = typeof decoded.header.kid === 'string' ? decoded.header.kid : undefined
  return {
    kind: 'jwt',
    title: panel.title,
    header: JSON.stringify(decoded.header, null, 2),
    claims: JSON.stringify(decoded.claims, null, 2),
    signature: await checkSignature(panel.token, await jwks.get(kid)),
  }
}

// Plain data for views/client/flow*.eta (and GET /flow/:id.json): each step
// with its paragraph, its exchanges as highlighted raw HTTP, decoded panels,
// the cross-step checks and the diagram.

import { SERVER_TITLES } from '../../shared/server-banner.js'
import { checkSignature, decodeJwtParts, type SignatureCheck } from './decode.js'
import { checksView, type CheckLine } from './checks-view.js'
import { layoutDiagram, type Diagram } from './diagram.js'
import { byteSize, essentials, htmlSummary, jsonSummary, prettyJson, shortenTokens, type Side } from './essentials.js'
import { highlight, requestMessage, responseMessage, type HttpMessage, type Segment } from './format.js'
import { header, isForm } from './http.js'
import type { JwksSource } from './jwks.js'
import { maskedNotes, type MaskedNote } from './masked.js'
import { panelsOf, requestPanels, type Panel } from './panels.js'
import { expectedOf, stepsOf } from './flow-steps.js'
import { flowVerdict, type Verdict } from './verdict.js'
import { claimTimes, type TimeNote } from './times.js'
import type { Flow, FlowEntry, RecordedExchange, Role, StepNumber } from './types.js'
import { foldReason } from './fold.js'

export interface MessageView {
  /** The default view: the start line and the headers that matter to OAuth (essentials.ts). */
  readonly essential: readonly Segment[]
  /** The headers left for "show everything", by name. */
  readonly hidden: readonly string[]
  /** The body shown by default: JSON pretty-printed, a form or short text as sent. */
  readonly body?: readonly Segment[]
  /** One line in place of the body: HTML pages ("HTML page: Sign in (2.1 KB)") and long bodies. */
  readonly bodySummary?: string
  /** "Show everything": the message exactly as recorded, head and body. */
  readonly head: readonly Segment[]
  readonly rawBody?: readonly Segment[]
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
      /** iat, exp… in words beside their raw value. */
      readonly times: readonly TimeNote[]
      /** The same token was decoded in an earlier exchange of the flow: shown there, pointed to here. */
      readonly repeatOf?: { readonly step: StepNumber; readonly anchor: string }
    }

export interface EntryView {
  readonly anchor: string
  readonly label: string
  readonly part: FlowEntry['part']
  readonly server: string
  /** Which server recorded it: its colour on the page, with its name in words. */
  readonly role: Role
  /** e.g. "Authorization server (localhost:9001)". */
  readonly serverLabel: string
  /** How many headers, of request and answer, only "show everything" shows. */
  readonly hiddenCount: number
  readonly request?: MessageView
  readonly response?: MessageView
  /** Every decoded panel, request's then answer's (the JSON form lists them all). */
  readonly panels: readonly PanelView[]
  /** How many of `panels` are the request's: the page shows them under the request. */
  readonly requestPanelCount: number
  /** Folded to its line by default, and why (fold.ts); "show everything" unfolds it. */
  readonly folded?: string
}

export interface StepView {
  readonly n: StepNumber
  readonly title: string
  readonly what: string
  readonly rfc: string
  readonly look: string
  readonly skipped?: string
  /** How the resource server checked the token (step 7). */
  readonly note?: string
  readonly entries: readonly EntryView[]
  readonly checks: readonly CheckLine[]
  /** The flow stopped before this step: the page says where. */
  readonly stoppedAt?: StepNumber
  /** This step is where the flow was stopped: the verdict's sentence. */
  readonly stop?: string
}

export interface FlowView {
  readonly id: string
  readonly kind: Flow['kind']
  readonly started: string
  readonly steps: readonly StepView[]
  readonly checks: readonly CheckLine[]
  /** Completed, stopped (by which check) or unfinished. */
  readonly verdict: Verdict & { readonly anchor?: string }
  readonly diagram: Diagram
  /** The cookies and keys the recorders masked in this flow, with why. */
  readonly masked: readonly MaskedNote[]
  /** How many exchanges the flow has: the live page says how many are new. */
  readonly exchangeCount: number
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
const CHECK_STEP: Partial<Record<CheckLine['id'], StepNumber>> = { state: 4, code: 5, pkce: 5 }

/** Each server's name and public host, e.g. "Authorization server (localhost:9001)". */
export type ServerLabels = Readonly<Record<Role, string>>

export async function flowView(flow: Flow, jwks: JwksSource, labels?: ServerLabels): Promise<FlowView> {
  // An MCP client's flow shows the MCP chain's steps and checks (mcp-flow.ts).
  // A walk's or an MCP client's flow shows its own steps and checks (walk-flow.ts, mcp-flow.ts).
  const walkChecks = flow.walk?.checks ?? []
  const checks: CheckLine[] = flow.walk
    ? walkChecks.map(({ ok, text }) => ({ id: 'walk', ok, text }))
    : flow.mcp
      ? [...flow.mcp.checks]
      : checksView(flow.checks)
  const stepOf = (c: CheckLine) =>
    flow.walk
      ? walkChecks[checks.indexOf(c)]?.step
      : flow.mcp
        ? flow.mcp.checks.find((m) => m === c)?.step
        : CHECK_STEP[c.id]
  const firstJwt = firstDecoded(flow.entries)
  const entries = await Promise.all(
    flow.entries.map((entry, i) => entryView(entry, i, jwks, labels, firstJwt, flow.entries.slice(0, i))),
  )
  const verdict = flowVerdict(flow)
  const stoppedAt = verdict.outcome === 'stopped' ? verdict.step : undefined
  const steps = stepsOf(flow).map((step) => ({
    ...step,
    ...(stoppedAt !== undefined && step.n > stoppedAt ? { stoppedAt } : {}),
    ...(stoppedAt === step.n ? { stop: verdict.text } : {}),
    ...(flow.skipped[step.n] === undefined ? {} : { skipped: flow.skipped[step.n] }),
    ...(step.n === 7 && flow.checks.tokenCheck && !flow.mcp && !flow.walk
      ? { note: TOKEN_CHECK_NOTES[flow.checks.tokenCheck] }
      : {}),
    ...(flow.mcp?.notes[step.n] === undefined ? {} : { note: flow.mcp.notes[step.n] }),
    entries: entries.filter((_, i) => flow.entries[i]?.step === step.n),
    checks: checks.filter((c) => stepOf(c) === step.n),
  }))
  return {
    id: flow.id,
    kind: flow.kind,
    started: new Date(flow.startedAt).toISOString(),
    steps,
    checks,
    verdict: { ...verdict, ...(verdict.entryIndex === undefined ? {} : { anchor: anchorOf(verdict.entryIndex) }) },
    diagram: layoutDiagram(flow.entries, expectedOf(flow)),
    masked: maskedNotes(flow),
    exchangeCount: new Set(flow.entries.map((e) => e.exchange)).size,
  }
}

type Where = { readonly step: StepNumber; readonly anchor: string }

const anchorOf = (i: number) => `x${i + 1}`

/** Where each JWT of the flow is first decoded: later exchanges carrying it point there. */
function firstDecoded(entries: readonly FlowEntry[]): Map<string, Where> {
  const first = new Map<string, Where>()
  entries.forEach((entry, i) => {
    for (const panel of panelsOf(entry))
      if (panel.kind === 'jwt' && !first.has(panel.token))
        first.set(panel.token, { step: entry.step, anchor: anchorOf(i) })
  })
  return first
}

/**
 * The entry's views, worked out once per exchange: the page's every rendering
 * (each live update of each learner's open inspector) shows the same entries
 * again, and a flow gains one or two exchanges at a time. An EntryView depends
 * on its exchange (the same object while it stays in the collector's ring) and
 * on what its signature below lists; an unchanged entry gets the same object back, so
 * its HTML is rendered once too (render-section.ts).
 */
const entryViews = new WeakMap<RecordedExchange, Map<string, EntryView>>()
/** Bounded: an exchange is one or two entries of a flow; older signatures (an anchor since moved) go first. */
const VIEWS_PER_EXCHANGE = 4

/** A JWT panel's part that is worked out again at each rendering: the keys and the clock change it. */
interface JwtNow {
  readonly signature: SignatureCheck
  readonly times: readonly TimeNote[]
  readonly repeatOf?: Where
}

async function entryView(
  entry: FlowEntry,
  i: number,
  jwks: JwksSource,
  labels: ServerLabels | undefined,
  firstJwt: ReadonlyMap<string, Where>,
  earlier: readonly FlowEntry[],
): Promise<EntryView> {
  const e = entry.exchange
  const folded = foldReason(entry, earlier)
  const anchor = anchorOf(i)
  const serverLabel = labels?.[e.role] ?? SERVER_TITLES[e.role]
  const panels = panelsOf(entry)
  // The signature's result changes with the key set (a rotation refetches it: jwks.ts) and
  // with the clock (expired), "expires in 59 min" with the clock: checked again each time
  // (decode.ts keeps each token's check per key set, so this is cheap), and part of the signature.
  const jwts = await Promise.all(
    panels.map(async (panel) =>
      panel.kind === 'jwt' ? jwtNow(panel, jwks, firstJwt.get(panel.token), anchor) : undefined,
    ),
  )
  const signature = JSON.stringify([entry.part, entry.step, entry.label, anchor, folded ?? null, serverLabel, jwts])
  let known = entryViews.get(e)
  const view = known?.get(signature)
  if (view !== undefined) return view
  const made = makeEntryView(entry, anchor, serverLabel, folded, panels, jwts)
  if (known === undefined) entryViews.set(e, (known = new Map<string, EntryView>()))
  if (known.size >= VIEWS_PER_EXCHANGE) known.delete(known.keys().next().value!)
  known.set(signature, made)
  return made
}

function makeEntryView(
  entry: FlowEntry,
  anchor: string,
  serverLabel: string,
  folded: string | undefined,
  panels: readonly Panel[],
  jwts: readonly (JwtNow | undefined)[],
): EntryView {
  const e = entry.exchange
  const { request, response } = messageViewsOf(e)
  const shownRequest = entry.part === 'response' ? undefined : request
  const shownResponse = entry.part === 'request' ? undefined : response
  return {
    anchor,
    label: entry.label,
    part: entry.part,
    server: SERVER_NAMES[e.role],
    role: e.role,
    serverLabel,
    hiddenCount: (shownRequest?.hidden.length ?? 0) + (shownResponse?.hidden.length ?? 0),
    ...(shownRequest ? { request: shownRequest } : {}),
    ...(shownResponse ? { response: shownResponse } : {}),
    requestPanelCount: entry.part === 'response' ? 0 : requestPanels(entry).length,
    panels: panels.map((panel, k) => panelView(panel, jwts[k])),
    ...(folded === undefined ? {} : { folded }),
  }
}

/** An exchange's request and answer as shown: they depend on the recorded exchange only. */
const messageViews = new WeakMap<RecordedExchange, { readonly request: MessageView; readonly response: MessageView }>()

function messageViewsOf(e: RecordedExchange): { readonly request: MessageView; readonly response: MessageView } {
  let views = messageViews.get(e)
  if (views === undefined) {
    views = {
      request: messageView(requestMessage(e), e.request.headers, 'request'),
      response: messageView(responseMessage(e), e.response.headers, 'response'),
    }
    messageViews.set(e, views)
  }
  return views
}

/** Bodies longer than this are summed up in one line by default (the whole stays under "show everything"). */
const LONG_BODY = 2000
/** JSON pretty-printed to more lines than this (a key set) is summed up too. */
const LONG_JSON_LINES = 16

function messageView(m: HttpMessage, headers: RecordedExchange['request']['headers'], side: Side): MessageView {
  const [startLine = ''] = m.head.split('\n', 1)
  const { text, hidden } = essentials(startLine, headers, side)
  const size = m.body === undefined ? 0 : Buffer.byteLength(m.body)
  return {
    essential: highlight(shortenTokens(text)),
    hidden,
    // A form body is shown decoded, as a table (panels.ts), rather than as sent.
    ...(isForm(headers) ? {} : defaultBody(m, header(headers, 'content-type'))),
    head: highlight(m.head),
    ...(m.body === undefined ? {} : { rawBody: highlight(m.body) }),
    bodyNote: `Body: ${m.contentType ?? 'no content type'}, ${byteSize(size)}${m.truncated ? ' (recording truncated)' : ''}`,
  }
}

function defaultBody(m: HttpMessage, contentType: string | undefined): Pick<MessageView, 'body' | 'bodySummary'> {
  if (m.body === undefined) return {}
  if (/text\/html/i.test(contentType ?? '')) return { bodySummary: htmlSummary(m.body, m.truncated) }
  const json = prettyJson(m.body, contentType)
  if (json !== undefined)
    return json.split('\n').length > LONG_JSON_LINES
      ? { bodySummary: jsonSummary(m.body) }
      : { body: highlight(shortenTokens(json)) }
  if (m.body.length > LONG_BODY)
    return { bodySummary: `Body: ${contentType ?? 'no content type'}, ${byteSize(Buffer.byteLength(m.body))}` }
  return { body: highlight(m.body) }
}

/** A JWT panel's header and claims, decoded once per panel (panels.ts keeps each exchange's panels). */
interface DecodedPanel {
  readonly kid?: string
  readonly header: string
  readonly claims: string
  readonly claimValues: Record<string, unknown>
}

const decodedPanels = new WeakMap<Panel, DecodedPanel>()

function decodedOf(panel: Extract<Panel, { kind: 'jwt' }>): DecodedPanel {
  let decoded = decodedPanels.get(panel)
  if (decoded === undefined) {
    // panels.ts makes a JWT panel only of a token that decodes.
    const { header, claims } = decodeJwtParts(panel.token)!
    decoded = {
      ...(typeof header.kid === 'string' ? { kid: header.kid } : {}),
      header: JSON.stringify(header, null, 2),
      claims: JSON.stringify(claims, null, 2),
      claimValues: claims,
    }
    decodedPanels.set(panel, decoded)
  }
  return decoded
}

async function jwtNow(
  panel: Extract<Panel, { kind: 'jwt' }>,
  jwks: JwksSource,
  first: Where | undefined,
  anchor: string,
): Promise<JwtNow> {
  const { kid, claimValues } = decodedOf(panel)
  return {
    signature: await checkSignature(panel.token, await jwks.get(kid)),
    times: claimTimes(claimValues),
    ...(first !== undefined && first.anchor !== anchor ? { repeatOf: first } : {}),
  }
}

function panelView(panel: Panel, now: JwtNow | undefined): PanelView {
  if (panel.kind !== 'jwt') return panel
  const { header, claims } = decodedOf(panel)
  // entryView works out `now` for every JWT panel.
  const { signature, times, repeatOf } = now!
  return {
    kind: 'jwt',
    title: panel.title,
    header,
    claims,
    signature,
    times,
    ...(repeatOf === undefined ? {} : { repeatOf }),
  }
}

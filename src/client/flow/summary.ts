// The list of recent flows, and the JSON form of one flow (GET /flow/:id.json).

import { decodeJwtParts } from './decode.js'
import { LIVE_CREDENTIALS } from './export.js'
import { formOf, pathOf } from './http.js'
import type { FlowView } from './view-model.js'
import type { Flow, StepNumber } from './types.js'
import { flowVerdict } from './verdict.js'

export interface FlowSummary {
  readonly id: string
  readonly kind: Flow['kind']
  readonly started: string
  readonly time: string
  /** The furthest step reached. */
  readonly reached: StepNumber
  /** The step a refusal stopped the flow at (verdict.ts). */
  readonly stoppedAt?: StepNumber
  /** The resource owner, when known (token `sub` or the login form). */
  readonly user?: string
  readonly exchanges: number
  /** An MCP client's flow, shown as the MCP chain. */
  readonly mcp?: true
  /** A walk-through's flow, shown with the walk's steps. */
  readonly walk?: string
}

export function summarize(flow: Flow): FlowSummary {
  const started = new Date(flow.startedAt)
  const user = userOf(flow)
  const verdict = flowVerdict(flow)
  return {
    id: flow.id,
    kind: flow.kind,
    started: started.toISOString(),
    time: started.toISOString().slice(11, 19),
    reached: flow.entries.reduce<StepNumber>((max, e) => (e.step > max ? e.step : max), 1),
    ...(verdict.outcome === 'stopped' ? { stoppedAt: verdict.step } : {}),
    ...(user === undefined ? {} : { user }),
    exchanges: new Set(flow.entries.map((e) => e.exchange)).size,
    ...(flow.mcp ? { mcp: true as const } : {}),
    ...(flow.walk ? { walk: flow.walk.name } : {}),
  }
}

function userOf(flow: Flow): string | undefined {
  const sub = flow.checks.accessToken ? decodeJwtParts(flow.checks.accessToken)?.claims.sub : undefined
  if (typeof sub === 'string') return sub
  const login = flow.entries.find((e) => e.exchange.role === 'auth-server' && pathOf(e.exchange) === '/login')
  return login ? (formOf(login.exchange).get('username') ?? undefined) : undefined
}

/** Everything the page shows, minus the markup: for scripts and tests. */
export function flowJson(flow: Flow, view: FlowView): object {
  return {
    warning: LIVE_CREDENTIALS,
    id: flow.id,
    kind: flow.kind,
    ...(flow.walk ? { walk: flow.walk.name } : {}),
    startedAt: view.started,
    masked: view.masked,
    checks: { ...flow.checks, lines: view.checks },
    verdict: view.verdict,
    steps: view.steps.map((step) => ({
      n: step.n,
      title: step.title,
      ...(step.skipped === undefined ? {} : { skipped: step.skipped }),
      entries: flow.entries
        .filter((e) => e.step === step.n)
        .map((e) => ({
          role: e.exchange.role,
          seq: e.exchange.seq,
          part: e.part,
          from: e.from,
          to: e.to,
          label: e.label,
          method: e.exchange.request.method,
          url: e.exchange.request.url,
          status: e.exchange.response.status,
          ...(e.exchange.request.body === undefined || e.part === 'response'
            ? {}
            : { requestBody: e.exchange.request.body }),
        })),
      decoded: step.entries.flatMap((entry) => entry.panels),
    })),
  }
}

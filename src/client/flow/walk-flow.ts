// Places each exchange of a walk-through's flow under the walk's own steps
// (walks/definitions.ts). The walk says where the servers' exchanges go; the
// client app's own pages ("Next", the callback) go where what happened during
// them went: a page that sent the token request shows beside it.

import { findWalk } from '../walks/definitions.js'
import type { WalkName, WalkPlacement } from '../walks/walk.js'
import type { Group } from './correlate.js'
import { endOf, responseHeader } from './http.js'
import { flowChecks } from './checks.js'
import { describeRequest, describeResponse } from './labels.js'
import type { Flow, FlowEntry, Part, RecordedExchange, StepNumber } from './types.js'

export function buildWalkFlow(group: Group, name: WalkName): Flow {
  const walk = findWalk(name)
  const placed = new Map<RecordedExchange, WalkPlacement>()
  let last: WalkPlacement | undefined
  for (const e of group.exchanges) {
    if (e.role === 'client') continue
    const placement = walk?.place(e, group.exchanges) ?? last ?? fallback(e)
    placed.set(e, placement)
    last = placement
  }
  const entries: FlowEntry[] = []
  for (const e of group.exchanges) entries.push(...entriesOf(e, placed.get(e) ?? pagePlacement(e, placed)))
  entries.sort((a, b) => a.at - b.at || a.exchange.startedAt - b.exchange.startedAt)
  return {
    id: group.id,
    kind: group.kind,
    startedAt: group.exchanges[0]?.startedAt ?? 0,
    entries,
    skipped: {},
    checks: flowChecks(entries),
    walk: { name, checks: walk?.checks?.(entries) ?? [] },
  }
}

function fallback(e: RecordedExchange): WalkPlacement {
  return {
    request: 1,
    response: 1,
    from: 'client',
    to: e.role === 'resource-server' ? 'resource-server' : 'auth-server',
  }
}

/**
 * A client app page: from the browser, in the steps of what the client did
 * while answering it. One that made no request of its own goes with the step
 * it sends the browser to: the walk's page at `#step-N` (the stop it shows),
 * or another server (the first exchange after it); else with the last step
 * before it (it shows what arrived).
 */
function pagePlacement(page: RecordedExchange, placed: ReadonlyMap<RecordedExchange, WalkPlacement>): WalkPlacement {
  const during = [...placed].filter(([e]) => e.startedAt >= page.startedAt - 1 && e.startedAt <= endOf(page) + 1)
  const steps = during.flatMap(([, p]) => [p.request, p.response])
  const first = steps.length > 0 ? Math.min(...steps) : (leadsTo(page, placed) ?? lastBefore(page, placed))
  const lastStep = steps.length > 0 ? Math.max(...steps) : first
  return { request: first as StepNumber, response: lastStep as StepNumber, from: 'browser', to: 'client' }
}

function leadsTo(page: RecordedExchange, placed: ReadonlyMap<RecordedExchange, WalkPlacement>): number | undefined {
  const location = responseHeader(page, 'location') ?? ''
  const shown = /#step-([1-7])$/.exec(location)?.[1]
  if (shown !== undefined) return Number(shown)
  // Away from the client app (an absolute Location): the first exchange after it is where the browser went.
  if (!/^https?:\/\//i.test(location)) return undefined
  const after = [...placed].filter(([e]) => e.startedAt > endOf(page) + 1).sort(([a], [b]) => a.startedAt - b.startedAt)
  return after[0]?.[1].request
}

function lastBefore(page: RecordedExchange, placed: ReadonlyMap<RecordedExchange, WalkPlacement>): number {
  return Math.max(1, ...[...placed].filter(([e]) => e.startedAt < page.startedAt).map(([, p]) => p.response))
}

function entriesOf(e: RecordedExchange, placement: WalkPlacement): FlowEntry[] {
  const make = (part: Part, step: StepNumber): FlowEntry => ({
    exchange: e,
    step,
    part,
    from: placement.from,
    to: placement.to,
    at: part === 'response' ? endOf(e) : e.startedAt,
    label: part === 'response' ? describeResponse(e) : describeRequest(e, part),
  })
  if (placement.request === placement.response) return [make('both', placement.request)]
  return [make('request', placement.request), make('response', placement.response)]
}

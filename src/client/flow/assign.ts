// Places each exchange of a flow under the seven steps. A request and its
// answer can belong to different steps: POST /token is asked in step 5 and
// answered in step 6; the answer of POST /consent is the redirect of step 4.

import type { Group } from './correlate.js'
import { ACTOR_HEADER, endOf, pathOf, requestHeader } from './http.js'
import { AUTHORIZE_PATHS, TOKEN_PATHS } from './index-exchanges.js'
import { flowChecks } from './checks.js'
import { describeRequest, describeResponse } from './labels.js'
import type { Actor, Flow, FlowEntry, Part, RecordedExchange, StepNumber } from './types.js'

interface Placement {
  readonly request: StepNumber
  readonly response: StepNumber
}

export function buildFlow(group: Group): Flow {
  const entries: FlowEntry[] = []
  let authorizeSeen = false
  let last: StepNumber = 1
  for (const e of group.exchanges) {
    const placement: Placement = place(e, group.exchanges, authorizeSeen) ?? { request: last, response: last }
    if (e.role === 'auth-server' && AUTHORIZE_PATHS.has(pathOf(e))) authorizeSeen = true
    entries.push(...entriesOf(e, placement))
    last = placement.response
  }
  entries.sort((a, b) => a.at - b.at || a.exchange.startedAt - b.exchange.startedAt)
  return {
    id: group.id,
    kind: group.kind,
    startedAt: group.exchanges[0]?.startedAt ?? 0,
    entries,
    skipped: skippedSteps(entries),
    checks: flowChecks(entries),
  }
}

function entriesOf(e: RecordedExchange, placement: Placement): FlowEntry[] {
  const { from, to } = actorsOf(e)
  const make = (part: Part, step: StepNumber): FlowEntry => ({
    exchange: e,
    step,
    part,
    from,
    to,
    at: part === 'response' ? endOf(e) : e.startedAt,
    label: part === 'response' ? describeResponse(e) : describeRequest(e, part),
  })
  if (placement.request === placement.response) return [make('both', placement.request)]
  return [make('request', placement.request), make('response', placement.response)]
}

function place(e: RecordedExchange, all: readonly RecordedExchange[], authorizeSeen: boolean): Placement | undefined {
  const path = pathOf(e)
  const method = e.request.method
  if (e.role === 'client') {
    if (path === '/connect' || path === '/connect/send') return same(1)
    if (path === '/authenticated') return { request: 4, response: redeemedDuring(e, all) ? 6 : 4 }
    // Step-through mode: the teacher's "Send" of the held step 5 request.
    if (path === '/authenticated/send') return { request: 5, response: redeemedDuring(e, all) ? 6 : 5 }
    if (path === '/fetch-resource' || path === '/fetch-resource/send') return same(7)
    return undefined
  }
  if (e.role === 'resource-server') return path === '/resource' ? same(7) : undefined
  if (method === 'GET' && AUTHORIZE_PATHS.has(path)) {
    const request = authorizeSeen ? 2 : 1
    return { request, response: pageStep(e) ?? request }
  }
  if (path === '/login') return same(2)
  if (path === '/consent') return { request: 3, response: pageStep(e) ?? 3 }
  if (TOKEN_PATHS.has(path)) return { request: 5, response: 6 }
  if (path === '/jwks' || path === '/introspect') return same(7)
  return undefined
}

const same = (step: StepNumber): Placement => ({ request: step, response: step })

/** The step an authorization-server answer belongs to, by what it shows. */
function pageStep(e: RecordedExchange): StepNumber | undefined {
  const location = e.response.headers.find(([name]) => name.toLowerCase() === 'location')?.[1] ?? ''
  if (/[?&](code|error)=/.test(location)) return 4
  const body = e.response.body ?? ''
  if (body.includes('action="/consent"')) return 3
  if (body.includes('action="/login"')) return 2
  return undefined
}

/** Whether a token request happened while the callback was being answered (steps 5-6 inside step 4). */
function redeemedDuring(callback: RecordedExchange, all: readonly RecordedExchange[]): boolean {
  return all.some(
    (e) =>
      e.role === 'auth-server' &&
      TOKEN_PATHS.has(pathOf(e)) &&
      e.startedAt >= callback.startedAt - 1 &&
      e.startedAt <= endOf(callback) + 1,
  )
}

function actorsOf(e: RecordedExchange): { from: Actor; to: Actor } {
  const path = pathOf(e)
  // A Break-it attacker's browser says so; a browser is the resource owner's otherwise.
  const browser: Actor = requestHeader(e, ACTOR_HEADER) === 'attacker' ? 'attacker' : 'browser'
  if (e.role === 'client') return { from: browser, to: 'client' }
  if (e.role === 'resource-server') return { from: 'client', to: 'resource-server' }
  // Back-channel calls: the client redeems and revokes; the resource server checks tokens.
  if (path === '/jwks' || path === '/introspect') return { from: 'resource-server', to: 'auth-server' }
  if (TOKEN_PATHS.has(path) || path === '/revoke') return { from: 'client', to: 'auth-server' }
  return { from: browser, to: 'auth-server' }
}

function skippedSteps(entries: readonly FlowEntry[]): Flow['skipped'] {
  const has = (step: StepNumber) => entries.some((e) => e.step === step)
  const later = (step: StepNumber) => entries.some((e) => e.step > step)
  const skipped: Partial<Record<StepNumber, string>> = {}
  if (!has(2) && later(2)) {
    skipped[2] =
      'Skipped: signed in. The resource owner was already signed in at the authorization server (its session cookie came with the request), so no login page was shown.'
  }
  if (!has(3) && has(4)) {
    skipped[3] =
      'Skipped: remembered decision. The authorization server stored the owner\u2019s earlier decision for this client and these scopes, so it did not ask again (the seven steps, step 2: a remembered decision skips consent).'
  }
  if (skipped[2] && skipped[3])
    skipped[2] += ' With the remembered decision, the browser went straight back to the client with a code.'
  return skipped
}

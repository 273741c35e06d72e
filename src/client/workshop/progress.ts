// The teacher's view of the room: for each learner, how far their latest flow
// got under the seven steps (the inspector's own step assignment,
// flow/assign.ts via summarize), which Break-it attacks they ran and what the
// servers answered. The flows are correlated once for the whole room, then
// each is given to the browser that took part in it (or, for a Break-it run,
// the browser whose POST /break/<attack> was answered with its flow id).

import { ATTACKS } from '../break-it/catalog.js'
import { FLOW_HEADER, pathOf, responseHeader, responseJson } from '../flow/http.js'
import { tagId } from '../flow/correlate.js'
import { summarize } from '../flow/summary.js'
import type { Flow, RecordedExchange, StepNumber } from '../flow/types.js'
import type { Learner } from './learners.js'

export interface AttackRun {
  readonly name: string
  readonly title: string
  readonly flowId: string
  /** What the authorization and resource servers answered, in order: `POST /token 400 invalid_grant`. */
  readonly answers: readonly string[]
}

export interface LearnerProgress {
  readonly name: string
  readonly username: string
  readonly joinedAt: string
  /** The furthest step of the latest flow (0: no flow yet). */
  readonly reached: StepNumber | 0
  /** The steps 1-7, each done or not, for the grid. */
  readonly steps: ReadonlyArray<{ readonly n: StepNumber; readonly done: boolean }>
  readonly latestFlowId?: string
  readonly flows: number
  readonly attacks: readonly AttackRun[]
}

const STEPS: readonly StepNumber[] = [1, 2, 3, 4, 5, 6, 7]
/** The answers listed per attack run, at most. */
const MAX_ANSWERS = 6

/** Tagged flow id -> the browser that started it (its POST /break answer named the flow). */
function attackOwners(exchanges: readonly RecordedExchange[]): Map<string, string> {
  const owners = new Map<string, string>()
  for (const e of exchanges) {
    if (e.role !== 'client' || e.browser === undefined) continue
    const tag = responseHeader(e, FLOW_HEADER)
    if (tag !== undefined) owners.set(tagId(tag), e.browser)
  }
  return owners
}

function ownerOf(flow: Flow, owners: ReadonlyMap<string, string>): string | undefined {
  if (flow.kind === 'tagged') return owners.get(flow.id)
  return flow.entries.find((e) => e.exchange.browser !== undefined)?.exchange.browser
}

function answerOf(e: RecordedExchange): string {
  const error = responseJson(e)?.error
  return `${e.request.method} ${pathOf(e)} ${e.response.status}${typeof error === 'string' ? ` ${error}` : ''}`
}

function attackRun(flow: Flow): AttackRun | undefined {
  const attack = ATTACKS.find((a) => flow.id.startsWith(`attack-${a.name}-`))
  if (!attack) return undefined
  const seen = new Set<RecordedExchange>()
  const answers: string[] = []
  for (const entry of flow.entries) {
    const e = entry.exchange
    if (e.role === 'client' || seen.has(e)) continue
    seen.add(e)
    answers.push(answerOf(e))
  }
  return { name: attack.name, title: attack.title, flowId: flow.id, answers: answers.slice(-MAX_ANSWERS) }
}

/** Each learner's progress, in the order they joined; flows started before `since` (a room reset) are left out. */
export function roomProgress(
  learners: readonly Learner[],
  flows: readonly Flow[],
  exchanges: readonly RecordedExchange[],
  since: number,
): LearnerProgress[] {
  const owners = attackOwners(exchanges)
  const byBrowser = new Map<string, Flow[]>()
  for (const flow of flows) {
    if (flow.startedAt < since) continue
    const owner = ownerOf(flow, owners)
    if (owner === undefined) continue
    const list = byBrowser.get(owner) ?? []
    list.push(flow)
    byBrowser.set(owner, list)
  }
  return learners.map((learner) => {
    const own = byBrowser.get(learner.browser) ?? []
    const latest = own.filter((f) => f.kind === 'browser').at(-1)
    const reached = latest ? summarize(latest).reached : 0
    return {
      name: learner.name,
      username: learner.username,
      joinedAt: new Date(learner.joinedAt).toISOString(),
      reached,
      steps: STEPS.map((n) => ({ n, done: n <= reached })),
      ...(latest ? { latestFlowId: latest.id } : {}),
      flows: own.length,
      attacks: own.flatMap((f) => (f.kind === 'tagged' ? (attackRun(f) ?? []) : [])),
    }
  })
}

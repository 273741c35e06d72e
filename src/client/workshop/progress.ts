// The teacher's view of the room: for each learner, how far their latest flow
// got under the seven steps (the inspector's own step assignment,
// flow/assign.ts via summarize), which Break-it attacks they ran and what the
// servers answered. Each learner's flows are the ones their own inspector
// shows (flow/visibility.ts: the flows their browser took part in, and the
// Break-it runs it started), which the inspector keeps per browser and works
// out again only when that browser's flows changed: a change in the room
// costs the grid one learner's flows, not the whole room's.

import { ATTACKS } from '../break-it/catalog.js'
import { pathOf, responseJson } from '../flow/http.js'
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
  flowsOf: (browser: string) => readonly Flow[],
  since: number,
): LearnerProgress[] {
  return learners.map((learner) => {
    const own = flowsOf(learner.browser).filter((f) => f.startedAt >= since)
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

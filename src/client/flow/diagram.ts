// The sequence diagram, drawn by the lab itself: four lifelines and one arrow
// per request and per answer, in time order. Plain layout data; the template
// views/client/flow-diagram.eta turns it into inline SVG (escaped by Eta).

import { endOf, locationParams, pathOf } from './http.js'
import { shortResponse } from './labels.js'
import { isNotYet } from './not-yet.js'
import type { Actor, FlowEntry, StepNumber } from './types.js'

export interface Lane {
  readonly actor: Actor
  readonly label: string
  readonly x: number
}

export interface Arrow {
  readonly step: StepNumber
  readonly y: number
  readonly x1: number
  readonly x2: number
  /** Answers are dashed, as in UML sequence diagrams. */
  readonly answer: boolean
  readonly label: string
  /** Where the label starts (it sits above the arrow, left-aligned to its leftmost end). */
  readonly labelX: number
  /** A refusal (4xx/5xx, or a redirect with error=): drawn red, with a cross. */
  readonly failed: boolean
}

export interface Diagram {
  readonly width: number
  readonly height: number
  readonly laneTop: number
  readonly lanes: readonly Lane[]
  readonly arrows: readonly Arrow[]
  /** One sentence for screen readers. */
  readonly summary: string
}

const ACTORS: ReadonlyArray<[Actor, string]> = [
  ['browser', 'Browser (resource owner)'],
  ['client', 'Client app'],
  ['auth-server', 'Authorization server'],
  ['resource-server', 'Resource server'],
]
// An attack with an attacker: the victim's browser and the attacker's, side by side.
const ATTACK_ACTORS: ReadonlyArray<[Actor, string]> = [
  ['browser', 'Victim\u2019s browser'],
  ['attacker', 'Attacker\u2019s browser'],
  ...ACTORS.slice(1),
]
const LANE_GAP = 220
const MARGIN = 110
const HEADER = 48
const ROW = 22

/** `expected`: answers of 400 or more that the flow expects (a walk's, walks/walk.ts), drawn as answers, not refusals. */
export function layoutDiagram(
  entries: readonly FlowEntry[],
  expected: (e: FlowEntry['exchange']) => boolean = () => false,
): Diagram {
  const attacked = entries.some((e) => e.from === 'attacker' || e.to === 'attacker')
  const lanes = (attacked ? ATTACK_ACTORS : ACTORS).map(([actor, label], i) => ({
    actor,
    label,
    x: MARGIN + i * LANE_GAP,
  }))
  const xOf = (actor: Actor) => lanes.find((l) => l.actor === actor)!.x
  // Requests at their start, answers at their end: a back-channel call made
  // while a request is handled is drawn inside it.
  const events = entries.flatMap(halves).sort((a, b) => a.at - b.at)
  const arrows = events.map((event, i): Arrow => {
    const { entry } = event
    const [from, to] = event.answer ? [entry.to, entry.from] : [entry.from, entry.to]
    const x1 = xOf(from)
    const x2 = xOf(to)
    const failed = event.answer && refused(entry) && !expected(entry.exchange)
    const label = `${entry.step} \u00b7 ${failed ? '\u2717 ' : ''}${event.label}`
    return {
      failed,
      step: entry.step,
      y: HEADER + 24 + i * ROW,
      x1,
      x2,
      answer: event.answer,
      label,
      labelX: Math.min(x1, x2) + 8,
    }
  })
  return {
    width: MARGIN * 2 + LANE_GAP * (lanes.length - 1),
    height: HEADER + 24 + arrows.length * ROW + 16,
    laneTop: HEADER,
    lanes,
    arrows,
    summary:
      `${arrows.length} messages between ${attacked ? 'the victim\u2019s browser, the attacker\u2019s browser' : 'the browser'}, the client app, the authorization server and the resource server, numbered by step` +
      (arrows.some((a) => a.failed) ? `; ${arrows.filter((a) => a.failed).length} refused (marked \u2717).` : '.'),
  }
}

interface Half {
  readonly entry: FlowEntry
  readonly answer: boolean
  readonly label: string
  readonly at: number
}

function halves(entry: FlowEntry): Half[] {
  const e = entry.exchange
  const request = { entry, answer: false, label: `${e.request.method} ${pathOf(e)}`, at: e.startedAt }
  const answer = { entry, answer: true, label: shortResponse(e), at: endOf(e) }
  if (entry.part === 'request') return [request]
  if (entry.part === 'response') return [answer]
  return [request, answer]
}

/**
 * An answer that refuses: an error status, or a redirect carrying error= (RFC
 * 6749 §4.1.2.1). Not a challenge the flow expects: a resource's 401 to a
 * request that carried no token (how an MCP client discovers the
 * authorization server, RFC 9728 §5.1, the MCP chain's first step) and a 403
 * insufficient_scope at /mcp (the MCP step-up), and the 405 a stateless MCP
 * server gives a GET, which are answers, not failures.
 */
function refused(entry: FlowEntry): boolean {
  const e = entry.exchange
  // A DPoP nonce challenge and a polling device's "not yet": the verdict does not count them either (not-yet.ts).
  if (isNotYet(e) || (e.role === 'resource-server' && isExpectedChallenge(e))) return false
  return e.response.status >= 400 || locationParams(e).has('error')
}

function isExpectedChallenge(e: FlowEntry['exchange']): boolean {
  const challenge = e.response.headers.find(([name]) => name.toLowerCase() === 'www-authenticate')?.[1] ?? ''
  const carriedToken = e.request.headers.some(([name]) => name.toLowerCase() === 'authorization')
  if (pathOf(e) !== '/mcp') return false
  if (e.response.status === 401 && !carriedToken) return true
  // Streamable HTTP transport: a server without a stream to offer answers GET with 405.
  if (e.response.status === 405 && e.request.method === 'GET') return true
  return e.response.status === 403 && challenge.includes('error="insufficient_scope"')
}

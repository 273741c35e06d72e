// The "browser" of a Break-it attack: a small fetch-based user agent with its
// own cookie jar, that follows no redirect by itself and tags every request
// with `x-oauth-lab-flow: <flow id>`, so the flow inspector groups the attack
// into one flow. It keeps a log of what it sent, for the result page.

import { createCookieJar } from '../../shared/cookie-jar.js'
import type { Fetch, OutgoingRequest } from '../oauth-client.js'

export const FLOW_HEADER = 'x-oauth-lab-flow'

/** Each request gives up after this long rather than hang the teacher's page. */
const TIMEOUT_MS = 10_000

export interface AgentResponse {
  readonly status: number
  readonly headers: Headers
  readonly body: string
  readonly url: string
}

export interface LogEntry {
  /** Who sends it and why, in the story of the attack. */
  readonly label: string
  readonly method: string
  readonly url: string
  readonly status: number
}

export interface Agent {
  readonly flowId: string
  readonly log: readonly LogEntry[]
  send(label: string, request: OutgoingRequest): Promise<AgentResponse>
  get(label: string, url: string): Promise<AgentResponse>
  postForm(label: string, url: string, form: Record<string, string>): Promise<AgentResponse>
}

/**
 * A browser of its own (fresh jar); agents of one attack share its flow id and
 * its log. `name` ("Victim", "Attacker") prefixes its log labels.
 */
export function createAgent(fetchFn: Fetch, flowId: string, log: LogEntry[] = [], name?: string): Agent {
  const jar = createCookieJar()

  async function send(label: string, request: OutgoingRequest): Promise<AgentResponse> {
    const url = new URL(request.url)
    const cookie = jar.header(url)
    const headers = { ...request.headers, [FLOW_HEADER]: flowId, ...(cookie ? { cookie } : {}) }
    const response = await fetchFn(url, {
      method: request.method,
      headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
    jar.store(url, response.headers.getSetCookie())
    log.push({
      label: name === undefined ? label : `${name}: ${label}`,
      method: request.method,
      url: url.href,
      status: response.status,
    })
    return { status: response.status, headers: response.headers, body: await response.text(), url: url.href }
  }

  return {
    flowId,
    log,
    send,
    get: (label, url) => send(label, { method: 'GET', url, headers: { Accept: 'text/html' } }),
    postForm: (label, url, form) =>
      send(label, {
        method: 'POST',
        url,
        headers: { Accept: 'text/html', 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
      }),
  }
}

/** A redirect's Location, resolved against the URL that answered it. */
export function locationOf(response: AgentResponse): URL | undefined {
  const location = response.headers.get('location')
  return location === null ? undefined : new URL(location, response.url)
}

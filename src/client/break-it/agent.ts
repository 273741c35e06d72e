// The "browser" of a Break-it attack: a small fetch-based user agent with its
// own cookie jar, that follows no redirect by itself and tags every request
// with `x-oauth-lab-flow: <flow id>`, so the flow inspector groups the attack
// into one flow. It keeps a log of what it sent, for the result page.

import { createCookieJar } from '../../shared/cookie-jar.js'
import { ACTOR_HEADER } from '../flow/http.js'
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
  /** As the browser sends it: with this browser's cookies. */
  send(label: string, request: OutgoingRequest): Promise<AgentResponse>
  /** Server to server (a token request, a resource call): no browser cookie goes with it, none is kept. */
  backChannel(label: string, request: OutgoingRequest): Promise<AgentResponse>
  get(label: string, url: string): Promise<AgentResponse>
  postForm(label: string, url: string, form: Record<string, string>): Promise<AgentResponse>
}

export interface AgentOptions {
  /** `attacker`: every request says so (ACTOR_HEADER). */
  readonly actor?: 'attacker'
  /**
   * Where a URL the browser cannot reach is reached instead (the authorization
   * server's internal URL when its public one does not answer here, e.g. in
   * the compose file). Requests go to the public URL first, as the victim's do.
   */
  readonly fallback?: (href: string) => string
  /** Cookies this browser already holds (`Set-Cookie` lines, by the URL that set them). */
  readonly cookies?: ReadonlyArray<{ readonly url: string; readonly setCookie: string }>
}

/**
 * A browser of its own (fresh jar); agents of one attack share its flow id and
 * its log. `name` ("Victim", "Attacker") prefixes its log labels.
 */
export function createAgent(
  fetchFn: Fetch,
  flowId: string,
  log: LogEntry[] = [],
  name?: string,
  options: AgentOptions = {},
): Agent {
  const jar = createCookieJar()
  for (const { url, setCookie } of options.cookies ?? []) jar.store(new URL(url), [setCookie])
  const unreachable = new Set<string>()

  function attempt(href: string, init: RequestInit): Promise<Response> {
    const url = new URL(href)
    const target = unreachable.has(url.origin) && options.fallback ? options.fallback(href) : href
    return fetchFn(new URL(target), { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) })
  }

  /** The public URL first; on a connection failure (TypeError), the fallback, for the rest of the run. */
  async function reach(href: string, init: RequestInit): Promise<Response> {
    try {
      return await attempt(href, init)
    } catch (error) {
      const origin = new URL(href).origin
      if (!(error instanceof TypeError) || !options.fallback || unreachable.has(origin)) throw error
      if (options.fallback(href) === href) throw error
      unreachable.add(origin)
      return attempt(href, init)
    }
  }

  async function exchange(label: string, request: OutgoingRequest, browser: boolean): Promise<AgentResponse> {
    const url = new URL(request.url)
    const cookie = browser ? jar.header(url) : undefined
    const headers = {
      ...request.headers,
      [FLOW_HEADER]: flowId,
      ...(options.actor === undefined ? {} : { [ACTOR_HEADER]: options.actor }),
      ...(cookie ? { cookie } : {}),
    }
    const init: RequestInit = {
      method: request.method,
      headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      redirect: 'manual',
    }
    const response = await (browser ? reach(url.href, init) : attempt(url.href, init))
    if (browser) jar.store(url, response.headers.getSetCookie())
    log.push({
      label: name === undefined ? label : `${name}: ${label}`,
      method: request.method,
      url: url.href,
      status: response.status,
    })
    return { status: response.status, headers: response.headers, body: await response.text(), url: url.href }
  }

  const send = (label: string, request: OutgoingRequest) => exchange(label, request, true)
  return {
    flowId,
    log,
    send,
    backChannel: (label, request) => exchange(label, request, false),
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

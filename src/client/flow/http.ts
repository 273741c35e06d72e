// Reading recorded exchanges: headers, paths, query and form parameters.

import type { HeaderList } from '../../shared/flow-recorder.js'
import type { RecordedExchange } from './types.js'

/** The header that ties exchanges to one flow (the Break-it attacks set it on every request). */
export const FLOW_HEADER = 'x-oauth-lab-flow'
/** Set by a Break-it attacker's browser (`attacker`): the diagram gives it a lane of its own. */
export const ACTOR_HEADER = 'x-oauth-lab-actor'
/** Set on the inspector's own requests (its JWKS fetch), so they are never part of a flow. */
export const INSPECTOR_HEADER = 'x-oauth-lab-inspector'

export function header(headers: HeaderList, name: string): string | undefined {
  const lower = name.toLowerCase()
  return headers.find(([key]) => key.toLowerCase() === lower)?.[1]
}

export function requestHeader(exchange: RecordedExchange, name: string): string | undefined {
  return header(exchange.request.headers, name)
}

export function responseHeader(exchange: RecordedExchange, name: string): string | undefined {
  return header(exchange.response.headers, name)
}

export function pathOf(exchange: RecordedExchange): string {
  const url = exchange.request.url
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

/**
 * Parameters read from a recorded exchange. Recorded exchanges never change,
 * and the inspector reads the same ones again at every live update of every
 * page (a room of learners makes that thousands of times a second), so each
 * is parsed once and kept beside its exchange; readers cannot change them.
 */
export type Params = Pick<
  URLSearchParams,
  'get' | 'getAll' | 'has' | 'keys' | 'entries' | 'forEach' | 'toString' | 'size'
> &
  Iterable<[string, string]>

function memo<T>(fn: (exchange: RecordedExchange) => T): (exchange: RecordedExchange) => T {
  const kept = new WeakMap<RecordedExchange, { value: T }>()
  return (exchange) => {
    let hit = kept.get(exchange)
    if (hit === undefined) kept.set(exchange, (hit = { value: fn(exchange) }))
    return hit.value
  }
}

export const queryOf: (exchange: RecordedExchange) => Params = memo((exchange) => {
  const url = exchange.request.url
  const q = url.indexOf('?')
  return new URLSearchParams(q === -1 ? '' : url.slice(q + 1))
})

export function isForm(headers: HeaderList): boolean {
  return /^application\/x-www-form-urlencoded/i.test(header(headers, 'content-type') ?? '')
}

/** The request's form body (RFC 6749 Appendix B), or empty when it has none. */
export const formOf: (exchange: RecordedExchange) => Params = memo((exchange) => {
  const body = exchange.request.body
  return body !== undefined && isForm(exchange.request.headers) ? new URLSearchParams(body) : new URLSearchParams()
})

/** The query of the response's Location header (a redirect's parameters). */
export const locationParams: (exchange: RecordedExchange) => Params = memo((exchange) => {
  const location = responseHeader(exchange, 'location')
  if (location === undefined) return new URLSearchParams()
  const q = location.indexOf('?')
  return new URLSearchParams(q === -1 ? '' : location.slice(q + 1).split('#')[0])
})

/** The response's JSON object, parsed once per exchange (see Params); readers must not change it. */
export const responseJson: (exchange: RecordedExchange) => Readonly<Record<string, unknown>> | undefined = memo(
  (exchange) => {
    const body = exchange.response.body
    if (body === undefined) return undefined
    try {
      const value: unknown = JSON.parse(body)
      return typeof value === 'object' && value !== null && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : undefined
    } catch {
      return undefined
    }
  },
)

/** The value of `<input type="hidden" name="…" value="…">` in an HTML response (login and consent pages). */
export function hiddenInput(exchange: RecordedExchange, name: string): string | undefined {
  const body = exchange.response.body ?? ''
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(body)
  return match?.[1]
}

export function formAction(exchange: RecordedExchange): string | undefined {
  return /<form[^>]*action="([^"]*)"/.exec(exchange.response.body ?? '')?.[1]
}

export function bearerToken(exchange: RecordedExchange): string | undefined {
  const value = requestHeader(exchange, 'authorization') ?? ''
  const match = /^Bearer +(\S+)$/i.exec(value)
  return match?.[1]
}

/** When the answer was sent. */
export function endOf(exchange: RecordedExchange): number {
  return exchange.startedAt + exchange.durationMs
}

// Masking, at recording time: what no one needs to see (the lab's session
// cookies, the lab key, the inspector's browser id) is masked before a server
// keeps an exchange, keyed on names, so no page, export or /_lab/exchanges can
// hand out a value that would let its reader act as someone else. A flow's own
// secrets (passwords, codes, tokens) stay: showing them to the browser whose
// flow it is, is what the lab is for.

import type { IncomingMessage } from 'node:http'
import type { FastifyRequest } from 'fastify'
import type { HeaderValue, RecordedExchange } from './flow-recorder.js'
import { LAB_KEY_COOKIE, LAB_KEY_PARAM } from './lab-key.js'
import { sha256Base64url } from './sha256.js'

/** What a masked value reads as: the name stays, so a learner still sees which cookie went where. */
export const MASKED = '(masked)'
/** The inspector's browser id (HttpOnly, SameSite=Lax), set by the client app when a flow starts. */
export const BROWSER_COOKIE = 'oauth_lab_browser'
/**
 * Cookies whose values are credentials: the sign-in session of the
 * authorization server (account/sign-in-session.ts) and the client app's
 * session (client/app.ts), the lab key and the browser id. Browsers ignore
 * ports for cookies (RFC 6265 §8.5), so on localhost every server receives all
 * of them: a recorded value could be replayed by whoever reads it.
 */
export const MASKED_COOKIES: ReadonlySet<string> = new Set([
  'oauth_lab_as_sid',
  'oauth_lab_client_sid',
  LAB_KEY_COOKIE,
  BROWSER_COOKIE,
])
const COOKIE_HINT = 'oauth_lab_'
const KEY_HINT = `${LAB_KEY_PARAM}=`
const KEY_PARAM = new RegExp(`(^|[?&;\\s])(${LAB_KEY_PARAM}=)[^&#\\s;"']*`, 'g')
/** The browser ids the client app issues (randomSecret: 43 URL-safe characters); anything else is no id. */
const BROWSER_ID = /^[A-Za-z0-9_-]{43,128}$/

/** The hash under which a browser's exchanges are recorded: it names the browser without letting anyone act as it. */
export function browserHash(browserId: string): string {
  return sha256Base64url(browserId).slice(0, 22)
}

export function isBrowserId(value: string | undefined): value is string {
  return value !== undefined && BROWSER_ID.test(value)
}

// Requests whose browser id is issued by their own response (the first
// Connect): its Set-Cookie is written after the recorder's hook has run.
const issuedIds = new WeakMap<IncomingMessage, string>()

/** Records `request` as sent by the browser that `browserId` (just issued to it) names. */
export function recordAsBrowser(request: FastifyRequest, browserId: string): void {
  issuedIds.set(request.raw, browserId)
}

export function maskKeyParam(text: string): string {
  return text.includes(KEY_HINT) ? text.replace(KEY_PARAM, `$1$2${MASKED}`) : text
}

/** `a=1; oauth_lab_as_sid=…` with the listed cookies' values masked; `found` gets the browser id. */
function maskCookiePairs(value: string, found: { browserId?: string }): string {
  return value
    .split(';')
    .map((pair) => {
      const eq = pair.indexOf('=')
      const name = eq > 0 ? pair.slice(0, eq).trim() : ''
      if (!MASKED_COOKIES.has(name)) return pair
      if (name === BROWSER_COOKIE) found.browserId = pair.slice(eq + 1).trim()
      return `${pair.slice(0, eq + 1)}${MASKED}`
    })
    .join(';')
}

/**
 * One header's value, masked where it carries a credential cookie, the lab
 * key, or a Bearer lab key: on /_lab/* (whose Bearer is the key itself), or
 * wherever `bearerIsLabKey` (the request holds the key by its Bearer header).
 */
export function maskHeader(
  name: string,
  value: string,
  path: string,
  found: { browserId?: string } = {},
  bearerIsLabKey = false,
): string {
  let out = value
  const lower = name.toLowerCase()
  if (out.includes(COOKIE_HINT) && (lower === 'cookie' || lower === 'set-cookie')) {
    // Set-Cookie: only its first pair is the cookie; the rest are attributes.
    const semi = lower === 'set-cookie' ? out.indexOf(';') : -1
    out = semi === -1 ? maskCookiePairs(out, found) : `${maskCookiePairs(out.slice(0, semi), found)}${out.slice(semi)}`
  } else if (lower === 'authorization' && (bearerIsLabKey || path.startsWith('/_lab/'))) {
    out = out.replace(/^(bearer\s+).*$/i, `$1${MASKED}`)
  }
  return maskKeyParam(out)
}

/**
 * Whether the request's Bearer header is the lab key: lab-key.ts reads the
 * Bearer header first and the cookie only without one, so a key holder with a
 * Bearer header holds the key by it. Asked only of requests with a Bearer.
 */
function bearerIsLabKey(request: FastifyRequest): boolean {
  const authorization = request.headers.authorization
  // Apps without registerLabKey (unit tests) have no such property.
  return (
    authorization !== undefined &&
    /^bearer /i.test(authorization) &&
    (request.labKeyHolder as boolean | undefined) === true
  )
}

function mightNeedMasking(path: string, raw: readonly string[], keyBearer: boolean): boolean {
  if (keyBearer) return true
  const lab = path.startsWith('/_lab/')
  for (let i = 1; i < raw.length; i += 2) {
    const value = raw[i] ?? ''
    if (value.includes(COOKIE_HINT) || value.includes(KEY_HINT)) return true
    const name = raw[i - 1] ?? ''
    if (lab && name.length === 13 && name.toLowerCase() === 'authorization') return true
  }
  return false
}

/** The request's URL, raw headers and owner as recorded: copies only when something is masked (the common request costs a scan). */
export function maskedRequest(request: FastifyRequest): {
  url: string
  rawHeaders: readonly string[]
  browser?: string
} {
  const { url } = request
  const raw = request.raw.rawHeaders
  const issued = issuedIds.get(request.raw)
  const found: { browserId?: string } = {}
  const path = url.split('?')[0] ?? url
  const keyBearer = bearerIsLabKey(request)
  let rawHeaders = raw
  if (mightNeedMasking(path, raw, keyBearer)) {
    const copy = [...raw]
    for (let i = 1; i < copy.length; i += 2)
      copy[i] = maskHeader(copy[i - 1] ?? '', copy[i] ?? '', path, found, keyBearer)
    rawHeaders = copy
  }
  const browserId = isBrowserId(found.browserId) ? found.browserId : issued
  return { url: maskKeyParam(url), rawHeaders, ...(browserId === undefined ? {} : { browser: browserHash(browserId) }) }
}

/**
 * The only response headers the servers write a cookie or an address into:
 * looked up by name (reply.getHeaders() gives lower-case names), so the
 * common response costs two lookups, not a scan.
 */
const RESPONSE_HEADERS_TO_MASK = ['set-cookie', 'location'] as const

export function maskedResponseHeaders(headers: Record<string, HeaderValue>, path: string): Record<string, HeaderValue> {
  let copy: Record<string, HeaderValue> | undefined
  for (const name of RESPONSE_HEADERS_TO_MASK) {
    const value = headers[name]
    if (value === undefined) continue
    const text = typeof value === 'object' ? value.join('\n') : typeof value === 'string' ? value : ''
    if (!text.includes(COOKIE_HINT) && !text.includes(KEY_HINT)) continue
    copy ??= { ...headers }
    copy[name] =
      typeof value === 'object'
        ? value.map((v) => maskHeader(name, v, path))
        : maskHeader(name, headerText(value), path)
  }
  return copy ?? headers
}

/** An exchange given whole (add()): masked the same way as the hooks' ones. */
export function maskExchange<T extends Omit<RecordedExchange, 'seq' | 'role'>>(exchange: T): T {
  const { request, response } = exchange
  const path = request.url.split('?')[0] ?? request.url
  const found: { browserId?: string } = {}
  const headers = request.headers.map(([n, v]): [string, string] => [n, maskHeader(n, v, path, found)])
  const browser = isBrowserId(found.browserId) ? browserHash(found.browserId) : exchange.browser
  return {
    ...exchange,
    ...(browser === undefined ? {} : { browser }),
    request: {
      ...request,
      url: maskKeyParam(request.url),
      headers,
      ...(request.body === undefined ? {} : { body: maskKeyParam(request.body) }),
    },
    response: {
      ...response,
      headers: response.headers.map(([n, v]): [string, string] => [n, maskHeader(n, v, path)]),
    },
  }
}

/** Node's header values are strings or numbers (content-length). */
function headerText(value: string | number | undefined): string {
  return value === undefined ? '' : String(value)
}

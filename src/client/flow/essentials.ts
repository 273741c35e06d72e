// The inspector's default level of detail: of each message, the start line,
// the headers that carry the OAuth lesson and the body decoded; everything
// else (client hints, the twelve security headers of every page, Host,
// Connection…) waits behind "show everything". A seven-step flow was 17,000 px
// tall with every header of every message shown.

import type { HeaderList } from '../../shared/flow-recorder.js'
import { header } from './http.js'

/**
 * The headers shown by default: credentials (RFC 6749 §2.3.1 Basic, RFC 6750
 * §2.1 Bearer), the cookies that carry the sessions holding state and the PKCE
 * verifier, redirects (RFC 6749 §4.1.2), the media type, caching of token
 * answers (RFC 6749 §5.1 no-store), RFC 6750 §3 challenges, and DPoP proofs
 * (RFC 9449 §4) when a request carries one.
 */
export const OAUTH_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'cookie',
  'set-cookie',
  'location',
  'content-type',
  'cache-control',
  'www-authenticate',
  'dpop',
  'dpop-nonce',
])

/** Of those, the ones that mean something only in an answer: a browser's `Cache-Control: max-age=0` is no lesson. */
const ANSWER_ONLY: ReadonlySet<string> = new Set([
  'set-cookie',
  'location',
  'cache-control',
  'www-authenticate',
  'dpop-nonce',
])

export type Side = 'request' | 'response'

export function isOAuthHeader(name: string, side: Side = 'response'): boolean {
  const lower = name.toLowerCase()
  return OAUTH_HEADERS.has(lower) && (side === 'response' || !ANSWER_ONLY.has(lower))
}

export interface Essentials {
  /** Start line and the OAuth headers, in wire order. */
  readonly text: string
  /** The names of the headers left out, once each, in wire order. */
  readonly hidden: readonly string[]
}

export function essentials(startLine: string, headers: HeaderList, side: Side): Essentials {
  const shown = headers.filter(([name]) => isOAuthHeader(name, side)).map(([name, value]) => `${name}: ${value}`)
  const hidden = [
    ...new Set(headers.filter(([name]) => !isOAuthHeader(name, side)).map(([name]) => name.toLowerCase())),
  ]
  return { text: [startLine, ...shown].join('\n'), hidden }
}

/** A size as a reader says it: 512 B, 2.1 KB. */
export function byteSize(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`
}

/** "HTML page: Sign in (2.1 KB)": the page's own name, from its <h1> or else its <title>. */
export function htmlSummary(body: string, truncated = false): string {
  const heading = /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(body)?.[1]
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(body)?.[1]?.split(' \u00b7 ')[0]
  const name = textOf(heading ?? title ?? '')
  const size = byteSize(Buffer.byteLength(body)) + (truncated ? ', recording truncated' : '')
  return name === '' ? `HTML page (${size})` : `HTML page: ${name} (${size})`
}

/** The text of a bit of HTML: tags dropped, the few entities the lab's pages use decoded, spaces collapsed. */
function textOf(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&(amp|lt|gt|quot|#39);/g, (_m, name: string) => ENTITIES[name] ?? '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 120)
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" }

/** "JSON: keys (1.9 KB)": a long JSON body in one line, by its top-level names. */
export function jsonSummary(body: string): string {
  const size = byteSize(Buffer.byteLength(body))
  try {
    const value: unknown = JSON.parse(body)
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return `JSON with ${Object.keys(value).join(', ')} (${size})`
  } catch {
    // Not JSON after all: said as such below.
  }
  return `JSON (${size})`
}

/** A JSON body pretty-printed (two spaces), or undefined when it is not JSON. */
export function prettyJson(body: string, contentType: string | undefined): string | undefined {
  if (!/json/i.test(contentType ?? '') && !/^\s*[[{]/.test(body)) return undefined
  try {
    return JSON.stringify(JSON.parse(body), null, 2)
  } catch {
    return undefined
  }
}

export function isHtml(headers: HeaderList): boolean {
  return /text\/html/i.test(header(headers, 'content-type') ?? '')
}

/** Tokens longer than this are shortened in the default view ("show everything" has them whole). */
const LONG_TOKEN = 64

/**
 * A JWT or other long token written out shortened: its start, an ellipsis and
 * its length. The default view shows where a token goes; its decoded form sits
 * beside it, and "show everything" has every character.
 */
export function shortenTokens(text: string): string {
  return text.replace(/[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, (token) =>
    token.length > LONG_TOKEN ? `${token.slice(0, 24)}\u2026 (${token.length} characters)` : token,
  )
}

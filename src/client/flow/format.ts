// A recorded exchange as raw HTTP, laid out as in "OAuth 2 in Action" (request line,
// headers in wire order, blank line, body), and split into segments so the
// template can wrap the security parameters in <mark> (Eta escapes each one).

import type { SecurityParam } from './decode.js'
import { statusLine } from './labels.js'
import { header } from './http.js'
import type { RecordedExchange } from './types.js'

/** What the inspector highlights: the security parameters, and the credentials in Authorization headers. */
export type Highlight = SecurityParam | 'basic' | 'bearer'

export interface Segment {
  readonly text: string
  readonly mark?: Highlight
}

export interface HttpMessage {
  /** Start line and headers. */
  readonly head: string
  readonly body?: string
  readonly contentType?: string
  readonly truncated?: boolean
}

const PARAMS =
  'state|code|redirect_uri|code_challenge|code_verifier|iss|client_secret|access_token|refresh_token|token|password'
// name=value in a query, a Location or a form body; "name": "value" in JSON;
// the credentials of an Authorization header.
const PATTERN = new RegExp(
  [
    `(?<=^|[?&\\s])(?<p>${PARAMS})=[^&\\s"'<>]*`,
    `"(?<j>${PARAMS})"\\s*:\\s*"[^"]*"`,
    `(?<=^authorization:\\s*)(?<a>basic|bearer) +\\S+`,
  ].join('|'),
  'gim',
)

export function requestMessage(e: RecordedExchange): HttpMessage {
  const { method, url, httpVersion, headers, body } = e.request
  const lines = [`${method} ${url} HTTP/${httpVersion}`, ...headers.map(([name, value]) => `${name}: ${value}`)]
  return message(lines.join('\n'), body, header(headers, 'content-type'))
}

export function responseMessage(e: RecordedExchange): HttpMessage {
  const { status, headers, body, truncated } = e.response
  const lines = [
    `HTTP/${e.request.httpVersion} ${statusLine(status)}`,
    ...headers.map(([name, value]) => `${name}: ${value}`),
  ]
  return { ...message(lines.join('\n'), body, header(headers, 'content-type')), ...(truncated ? { truncated } : {}) }
}

function message(head: string, body: string | undefined, contentType: string | undefined): HttpMessage {
  return {
    head,
    ...(body === undefined || body === '' ? {} : { body }),
    ...(contentType === undefined ? {} : { contentType }),
  }
}

/** The message as one text: head, blank line, body (the book's form). */
export function messageText(m: HttpMessage): string {
  return m.body === undefined ? m.head : `${m.head}\n\n${m.body}`
}

export function rawRequest(e: RecordedExchange): string {
  return messageText(requestMessage(e))
}

export function rawResponse(e: RecordedExchange): string {
  return messageText(responseMessage(e))
}

/** Splits text into plain and highlighted segments; joined, they give the text back unchanged. */
export function highlight(text: string): Segment[] {
  const segments: Segment[] = []
  let at = 0
  for (const match of text.matchAll(PATTERN)) {
    const start = match.index
    if (start > at) segments.push({ text: text.slice(at, start) })
    segments.push({ text: match[0], mark: markOf(match.groups ?? {}) })
    at = start + match[0].length
  }
  if (at < text.length) segments.push({ text: text.slice(at) })
  return segments
}

function markOf(groups: Record<string, string | undefined>): Highlight {
  if (groups.a !== undefined) return groups.a.toLowerCase() as Highlight
  return (groups.p ?? groups.j)!.toLowerCase() as Highlight
}

/** Bodies a reader rarely needs in full (HTML pages) start folded. */
export function isFoldedBody(m: HttpMessage): boolean {
  return /text\/html/i.test(m.contentType ?? '') || (m.body?.length ?? 0) > 2000
}

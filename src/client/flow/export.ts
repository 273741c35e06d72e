// A flow, exported: a Markdown transcript in the form of "OAuth 2 in Action", curl commands,
// and a HAR 1.2 file (http://www.softwareishard.com/blog/har-12-spec/).

import { checksView } from './checks-view.js'
import { unique } from './checks.js'
import { header, pathOf, queryOf } from './http.js'
import { messageText, requestMessage, responseMessage, type HttpMessage } from './format.js'
import { decodeJwtParts } from './decode.js'
import { htmlSummary } from './essentials.js'
import { panelsOf } from './panels.js'
import { statusLine } from './labels.js'
import { stepsOf } from './flow-steps.js'
import type { Actor, Flow, FlowEntry, RecordedExchange } from './types.js'

/** Where each server is reached: browsers use the public URLs, servers the internal ones. */
export interface ExportUrls {
  readonly client: string
  readonly authPublic: string
  readonly authInternal: string
  readonly resourcePublic: string
  readonly resourceInternal: string
}

export function absoluteUrl(e: RecordedExchange, from: Actor, urls: ExportUrls): string {
  const browser = from === 'browser' || from === 'attacker'
  const base =
    e.role === 'client'
      ? urls.client
      : e.role === 'auth-server'
        ? browser
          ? urls.authPublic
          : urls.authInternal
        : browser
          ? urls.resourcePublic
          : urls.resourceInternal
  return `${base}${e.request.url}`
}

/** Said at the top of every export: it can be replayed by whoever gets it. */
export const LIVE_CREDENTIALS =
  'This export holds live credentials (passwords, codes, tokens) of one flow: it is for the person whose flow it is. Do not share it.'

// ---- Markdown, in the form of "OAuth 2 in Action": "## Step N: title", then ```http blocks,
// each HTML page as one line, and the Basic header and JWTs decoded below their message

export function toMarkdown(flow: Flow): string {
  // Each JWT is decoded once, where it first appears.
  const decoded = new Set<string>()
  const out = [
    '# OAuth 2: Flow steps',
    '',
    `> **${LIVE_CREDENTIALS}**`,
    '',
    `Flow \`${flow.id}\`, recorded by oauth-lab on ${new Date(flow.startedAt).toISOString()}.`,
  ]
  // A walk's or an MCP client's flow: its own steps and checks (walk-flow.ts, mcp-flow.ts).
  for (const step of stepsOf(flow)) {
    out.push('', `## Step ${step.n}: ${step.title}`, '', `${step.what} (${step.rfc})`)
    const entries = flow.entries.filter((e) => e.step === step.n)
    const skipped = flow.skipped[step.n]
    if (skipped) out.push('', `_${skipped}_`)
    else if (entries.length === 0) out.push('', '_Not reached in this flow._')
    for (const entry of entries) out.push(...entryMarkdown(entry, decoded))
  }
  const checks = flow.walk ? flow.walk.checks : flow.mcp ? flow.mcp.checks : checksView(flow.checks)
  if (checks.length > 0)
    out.push('', '## Checks', '', ...checks.map((c) => `- ${c.ok ? '\u2713' : '\u2717'} ${c.text}`))
  return `${out.join('\n')}\n`
}

function entryMarkdown(entry: FlowEntry, decoded: Set<string>): string[] {
  const out = ['', `${entry.label}:`]
  if (entry.part !== 'response') out.push('', ...fenced(handoutText(requestMessage(entry.exchange))))
  if (entry.part !== 'request') out.push('', ...fenced(handoutText(responseMessage(entry.exchange))))
  for (const panel of panelsOf(entry)) {
    if (panel.kind === 'basic')
      out.push(
        '',
        `${panel.title}: \`client_id\` = \`${panel.credentials.clientId}\`, \`client_secret\` = \`${panel.credentials.clientSecret}\` (RFC 6749 §2.3.1: each form-encoded, joined by a colon, then Base64).`,
      )
    if (panel.kind === 'jwt' && !decoded.has(panel.token)) {
      decoded.add(panel.token)
      const parts = decodeJwtParts(panel.token)
      if (parts)
        out.push(
          '',
          `${panel.title}, decoded (RFC 7519; anyone can read it, only the signature makes it trustworthy):`,
          '',
          ...fenced(JSON.stringify({ header: parts.header, claims: parts.claims }, null, 2), 'json'),
        )
    }
  }
  return out
}

/** The message as sent, an HTML page as one line: a handout is about the protocol, not the markup. */
function handoutText(m: HttpMessage): string {
  if (m.body !== undefined && /text\/html/i.test(m.contentType ?? '')) return `${m.head}\n\n[${htmlSummary(m.body)}]`
  return messageText(m)
}

/** A fence longer than any run of backticks inside, so a body cannot close it. */
function fenced(text: string, language = 'http'): string[] {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length))
  const fence = '`'.repeat(Math.max(3, longest + 1))
  return [`${fence}${language}`, text, fence]
}

// ---- curl: one command per request, in the order they were made

const NOT_REPLAYED = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'keep-alive'])

export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`
}

export function toCurl(flow: Flow, urls: ExportUrls): string {
  const out = [
    '#!/bin/sh',
    `# ${LIVE_CREDENTIALS}`,
    `# oauth-lab flow ${flow.id}: each request as the receiving server saw it.`,
    '# Replayed, most will fail on purpose: codes and states are one-time (RFC 6749 §10.5, RFC 9700 §4.7.1).',
    '# Replaying the token request replays the code: the authorization server then revokes the tokens issued from it',
    '# (RFC 6749 §4.1.2). To run the flow again, use the runnable script (run.sh) instead.',
  ]
  for (const entry of requestEntries(flow))
    out.push('', `# Step ${entry.step}: ${entry.label}`, curlCommand(entry, urls))
  return `${out.join('\n')}\n`
}

function requestEntries(flow: Flow): FlowEntry[] {
  return flow.entries.filter((e) => e.part !== 'response')
}

export function curlCommand(entry: FlowEntry, urls: ExportUrls): string {
  const { method, headers, body } = entry.exchange.request
  const implied = body === undefined ? 'GET' : 'POST'
  const url = shellQuote(absoluteUrl(entry.exchange, entry.from, urls))
  const args = [method === implied ? `curl -i ${url}` : `curl -i -X ${method} ${url}`]
  for (const [name, value] of headers)
    if (!NOT_REPLAYED.has(name.toLowerCase())) args.push(`-H ${shellQuote(`${name}: ${value}`)}`)
  if (body !== undefined) args.push(`--data-raw ${shellQuote(body)}`)
  return args.join(' \\\n  ')
}

// ---- HAR 1.2

export function toHar(flow: Flow, urls: ExportUrls, version: string): object {
  const firstEntry = new Map<RecordedExchange, FlowEntry>()
  for (const entry of flow.entries) if (!firstEntry.has(entry.exchange)) firstEntry.set(entry.exchange, entry)
  const exchanges = unique(flow.entries).sort((a, b) => a.startedAt - b.startedAt)
  return {
    log: {
      // First, so that it is at the top of the file.
      comment: `${LIVE_CREDENTIALS} OAuth 2 flow ${flow.id}: every exchange as the receiving server recorded it`,
      version: '1.2',
      creator: { name: 'oauth-lab', version },
      entries: exchanges.map((e) => harEntry(e, firstEntry.get(e)!, flow, urls)),
    },
  }
}

const pairs = (list: Iterable<[string, string]>) => [...list].map(([name, value]) => ({ name, value }))

function harEntry(e: RecordedExchange, entry: FlowEntry, flow: Flow, urls: ExportUrls): object {
  const steps = [...new Set(flow.entries.filter((x) => x.exchange === e).map((x) => x.step))]
  const { request, response } = e
  const requestType = header(request.headers, 'content-type')
  const responseType = header(response.headers, 'content-type') ?? ''
  return {
    startedDateTime: new Date(e.startedAt).toISOString(),
    time: e.durationMs,
    comment: `Step ${steps.join(', ')}: ${entry.label} (recorded by the ${e.role})`,
    request: {
      method: request.method,
      url: absoluteUrl(e, entry.from, urls),
      httpVersion: `HTTP/${request.httpVersion}`,
      cookies: requestCookies(request.headers),
      headers: pairs(request.headers),
      queryString: pairs(queryOf(e)),
      ...(request.body === undefined ? {} : { postData: { mimeType: requestType ?? '', text: request.body } }),
      headersSize: -1,
      bodySize: request.body === undefined ? 0 : Buffer.byteLength(request.body),
    },
    response: {
      status: response.status,
      statusText: statusLine(response.status).slice(String(response.status).length + 1),
      httpVersion: `HTTP/${request.httpVersion}`,
      cookies: responseCookies(response.headers),
      headers: pairs(response.headers),
      content: { size: Buffer.byteLength(response.body ?? ''), mimeType: responseType, text: response.body ?? '' },
      redirectURL: header(response.headers, 'location') ?? '',
      headersSize: -1,
      bodySize: response.body === undefined ? -1 : Buffer.byteLength(response.body),
    },
    cache: {},
    timings: { send: 0, wait: e.durationMs, receive: 0 },
    _step: steps,
    _role: e.role,
    _path: pathOf(e),
  }
}

type Headers = RecordedExchange['request']['headers']

/** HAR 1.2 `cookies` of a request: each `name=value` of its Cookie headers (RFC 6265 §4.2). */
function requestCookies(headers: Headers): object[] {
  return headers
    .filter(([name]) => name.toLowerCase() === 'cookie')
    .flatMap(([, value]) => value.split(';'))
    .map((pair) => pair.trim())
    .filter((pair) => pair.includes('='))
    .map((pair) => ({ name: pair.slice(0, pair.indexOf('=')), value: pair.slice(pair.indexOf('=') + 1) }))
}

/** HAR 1.2 `cookies` of a response: each Set-Cookie with its attributes (RFC 6265 §4.1). */
function responseCookies(headers: Headers): object[] {
  return headers
    .filter(([name]) => name.toLowerCase() === 'set-cookie')
    .map(([, value]) => {
      const [pair = '', ...attributes] = value.split(';').map((part) => part.trim())
      const cookie: Record<string, string | boolean> = {
        name: pair.slice(0, Math.max(0, pair.indexOf('='))),
        value: pair.slice(pair.indexOf('=') + 1),
      }
      for (const attribute of attributes) {
        const [key = '', ...rest] = attribute.split('=')
        const lower = key.toLowerCase()
        if (lower === 'path' || lower === 'domain' || lower === 'expires') cookie[lower] = rest.join('=')
        else if (lower === 'httponly') cookie.httpOnly = true
        else if (lower === 'secure') cookie.secure = true
        else if (lower === 'samesite') cookie.sameSite = rest.join('=')
      }
      return cookie
    })
}

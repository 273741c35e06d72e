// A flow, exported: a Markdown transcript in the form of "OAuth 2 in Action", curl commands,
// and a HAR 1.2 file (http://www.softwareishard.com/blog/har-12-spec/).

import { checksView } from './checks-view.js'
import { unique } from './checks.js'
import { header, pathOf, queryOf } from './http.js'
import { rawRequest, rawResponse } from './format.js'
import { statusLine } from './labels.js'
import { STEPS } from './steps.js'
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

// ---- Markdown, in the form of "OAuth 2 in Action": "## Step N: title", then ```bash blocks

export function toMarkdown(flow: Flow): string {
  const out = [
    '# OAuth 2: Flow steps',
    '',
    `> **${LIVE_CREDENTIALS}**`,
    '',
    `Flow \`${flow.id}\`, recorded by oauth-lab on ${new Date(flow.startedAt).toISOString()}.`,
  ]
  for (const step of STEPS) {
    out.push('', `## Step ${step.n}: ${step.title}`, '', `${step.what} (${step.rfc})`)
    const entries = flow.entries.filter((e) => e.step === step.n)
    const skipped = flow.skipped[step.n]
    if (skipped) out.push('', `_${skipped}_`)
    else if (entries.length === 0) out.push('', '_Not reached in this flow._')
    for (const entry of entries) out.push(...entryMarkdown(entry))
  }
  const checks = checksView(flow.checks)
  if (checks.length > 0)
    out.push('', '## Checks', '', ...checks.map((c) => `- ${c.ok ? '\u2713' : '\u2717'} ${c.text}`))
  return `${out.join('\n')}\n`
}

function entryMarkdown(entry: FlowEntry): string[] {
  const out = ['', `${entry.label}:`]
  if (entry.part !== 'response') out.push('', ...fenced(rawRequest(entry.exchange)))
  if (entry.part !== 'request') out.push('', ...fenced(rawResponse(entry.exchange)))
  return out
}

/** A fence longer than any run of backticks inside, so a body cannot close it. */
function fenced(text: string): string[] {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length))
  const fence = '`'.repeat(Math.max(3, longest + 1))
  return [`${fence}bash`, text, fence]
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
      cookies: [],
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
      cookies: [],
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

// Step-through mode's previews: the exact HTTP message the client is about to
// answer (step 1) or send (steps 5 and 7), as text, each parameter explained;
// step 5's comes with step 4's result (step-arrival.ts).
// They are built from the same OutgoingRequest value that is then sent.

import type { OutgoingRequest } from './oauth-client.js'
import type { StepArrival } from './step-arrival.js'

export interface ParamRow {
  readonly name: string
  readonly value: string
  readonly why: string
}

export interface StepPreview {
  readonly step: 1 | 5 | 7
  /** Step 5 only, in step-through mode: step 4's result, shown above the held request. */
  readonly arrival?: StepArrival
  readonly heading: string
  readonly lead: string
  /** The exact HTTP message, as text. */
  readonly message: string
  /** Step 1 only: the request the browser sends on receiving the redirect. */
  readonly followUp?: string
  readonly params: readonly ParamRow[]
  readonly note?: string
  readonly send: { readonly method: 'get' | 'post'; readonly action: string; readonly csrfToken?: string }
}

const WHY: Readonly<Record<string, string>> = {
  response_type: 'code: this app asks for an authorization code (RFC 6749 §4.1.1).',
  client_id: 'Who is asking: this app’s registered client id (RFC 6749 §2.2).',
  redirect_uri:
    'Where the browser comes back with the code; it must equal a registered URI exactly (RFC 6749 §3.1.2), and step 5 repeats it (§4.1.3).',
  scope: 'The access asked for, space-separated (RFC 6749 §3.3).',
  state:
    'A fresh unguessable value kept in your session; the callback must bring it back unchanged, which stops cross-site request forgery (RFC 6749 §10.12).',
  code_challenge:
    'BASE64URL(SHA256(code_verifier)); the verifier itself stays in this app until step 5 (RFC 7636 §4.2).',
  code_challenge_method: 'S256, the only method this lab accepts; plain is refused (RFC 7636 §4.3).',
  lab_code_lifetime:
    'Not OAuth: this lab only. In step-through mode this app asks for a code that lives 600 s instead of the usual lifetime, so that step 4 can be explained at leisure; the authorization server grants it to this app alone, and never more than the 10 minutes RFC 6749 §4.1.2 recommends as a maximum.',
  grant_type: 'authorization_code: swap a code for tokens (RFC 6749 §4.1.3).',
  code: 'The one-time code of step 4 (RFC 6749 §4.1.2).',
  code_verifier: 'The PKCE secret whose S256 hash step 1 sent; only this app knows it (RFC 7636 §4.5).',
  'Authorization Basic':
    'This app authenticates: client_id and client_secret, each form-encoded, joined by “:” and base64-encoded (RFC 6749 §2.3.1).',
  'Authorization Bearer': 'The access token of step 6, in the header, never in the URL (RFC 6750 §2.1, §5.3).',
  Accept: 'This app reads a JSON answer.',
  'Content-Type': 'The body is a form, as RFC 6749 §4.1.3 requires.',
}

function why(name: string, value: string): string {
  const key = name === 'Authorization' ? `${name} ${value.split(' ')[0]}` : name
  return WHY[key] ?? ''
}

/** The request as it goes on the wire: request line, Host, headers, Content-Length, body. */
export function requestText(request: OutgoingRequest): string {
  const url = new URL(request.url)
  const lines = [`${request.method} ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`]
  for (const [name, value] of Object.entries(request.headers)) lines.push(`${name}: ${value}`)
  if (request.body === undefined) return lines.join('\n')
  lines.push(`Content-Length: ${Buffer.byteLength(request.body, 'utf8')}`)
  return `${lines.join('\n')}\n\n${request.body}`
}

function headerRows(request: OutgoingRequest): ParamRow[] {
  return Object.entries(request.headers).map(([name, value]) => ({ name, value, why: why(name, value) }))
}

function formRows(query: string): ParamRow[] {
  return [...new URLSearchParams(query)].map(([name, value]) => ({ name, value, why: why(name, value) }))
}

// back-channel.ts sends with undici's request(), which adds only Host,
// Content-Length (both shown above) and Connection; its test checks the wire.
const TRANSPORT_NOTE =
  'This app’s HTTP client (undici) adds one transport header of its own, connection: keep-alive, to reuse the connection; the flow inspector shows the request exactly as the server received it.'

export function step1Preview(authorizeUrl: string): StepPreview {
  const url = new URL(authorizeUrl)
  return {
    step: 1,
    heading: 'Step 1: Client app redirects resource owner to Authorization server',
    lead: 'Send makes this app answer your browser with this redirect:',
    message: `HTTP/1.1 302 Found\nLocation: ${authorizeUrl}\nCache-Control: no-store`,
    followUp: `GET ${url.pathname}${url.search} HTTP/1.1\nHost: ${url.host}`,
    params: formRows(url.search),
    send: { method: 'get', action: '/connect/send' },
  }
}

export function step5Preview(request: OutgoingRequest, csrfToken: string, arrival?: StepArrival): StepPreview {
  return {
    step: 5,
    ...(arrival === undefined ? {} : { arrival }),
    heading: 'Step 5: Client app requests Access token from Auth server',
    lead: 'The state and iss of the authorization response are checked. Send makes this app post this request to the authorization server, directly, without your browser:',
    message: requestText(request),
    params: [...headerRows(request), ...formRows(request.body ?? '')],
    note: TRANSPORT_NOTE,
    send: { method: 'post', action: '/authenticated/send', csrfToken },
  }
}

export function step7Preview(request: OutgoingRequest, csrfToken: string): StepPreview {
  return {
    step: 7,
    heading: 'Step 7: Client uses access token to access protected resource',
    lead: 'Send makes this app send this request to the resource server, directly, without your browser:',
    message: requestText(request),
    params: headerRows(request),
    note: TRANSPORT_NOTE,
    send: { method: 'post', action: '/fetch-resource/send', csrfToken },
  }
}

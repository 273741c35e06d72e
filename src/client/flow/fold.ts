// Which exchanges the inspector folds to one line by default: those a learner
// does not need first, so the seven steps fit in a few screens and few Tab
// stops lead to step 5. A folded exchange keeps its line (server, what it is)
// and unfolds with "Show everything in every exchange", with or without script.
// Nothing refused is ever folded: an error is what the reader came to see.

import { pathOf, responseHeader } from './http.js'
import type { FlowEntry } from './types.js'

const isHtmlPage = (entry: FlowEntry): boolean =>
  entry.exchange.response.status === 200 &&
  (responseHeader(entry.exchange, 'content-type') ?? '').startsWith('text/html')

const requestLine = (entry: FlowEntry): string => `${entry.exchange.request.method} ${entry.exchange.request.url}`

/** Why this entry is folded by default (a few words), or undefined when it is shown. */
export function foldReason(entry: FlowEntry, earlier: readonly FlowEntry[]): string | undefined {
  const { exchange } = entry
  // The answer of an earlier step's request that is only a page of the lab (sign-in, consent, the client's page).
  if (entry.part === 'response' && isHtmlPage(entry)) return 'a page of the lab'
  // The browser and the client app's own page (Fetch resource's button, a step-through preview): no OAuth
  // message; a request with a query (the callback with code and state) is never one of these.
  if (entry.part === 'both' && exchange.role === 'client' && isHtmlPage(entry) && !exchange.request.url.includes('?'))
    return 'a page of the client app'
  // The browser sending again a request that an earlier step showed (the authorization request after sign-in).
  if (
    entry.part === 'request' &&
    exchange.request.method === 'GET' &&
    earlier.some((e) => e.part !== 'response' && requestLine(e) === requestLine(entry))
  )
    return 'the same request as before'
  // The browser following the redirect the entry before showed, every parameter already shown there
  // (step 1's authorization request, step 4's code at the callback). An error arriving is never folded.
  if (entry.part === 'request' && exchange.request.method === 'GET' && followsRedirect(entry, earlier.at(-1))) {
    const query = new URLSearchParams(exchange.request.url.split('?')[1] ?? '')
    if (!query.has('error')) return 'the redirect above, followed'
  }
  // The resource server fetching the signing keys: step 7's note says what it is for.
  if (entry.part === 'both' && pathOf(exchange) === '/jwks' && exchange.response.status === 200) return 'the key fetch'
  return undefined
}

function followsRedirect(entry: FlowEntry, before: FlowEntry | undefined): boolean {
  if (before === undefined || before.part === 'request') return false
  const location = responseHeader(before.exchange, 'location')
  if (location === undefined) return false
  const target = new URL(location, 'http://lab.invalid')
  return `${target.pathname}${target.search}` === entry.exchange.request.url
}

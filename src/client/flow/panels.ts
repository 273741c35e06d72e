// The decoded panels shown beside an exchange: HTTP Basic credentials, form
// bodies and query parameters as tables, and JWT access tokens.

import { decodeBasic, decodeJwtParts, formTable, type BasicCredentials, type FormField } from './decode.js'
import { bearerToken, isForm, locationParams, pathOf, queryOf, requestHeader, responseJson } from './http.js'
import type { FlowEntry, RecordedExchange } from './types.js'

export type Panel =
  | { readonly kind: 'basic'; readonly title: string; readonly credentials: BasicCredentials }
  | {
      readonly kind: 'table'
      readonly title: string
      /** Where the fields come from: a form body is shown by default, a query or a Location under "show everything". */
      readonly of: 'query' | 'form' | 'location'
      readonly fields: readonly FormField[]
    }
  | { readonly kind: 'jwt'; readonly title: string; readonly token: string }

/** An exchange's panels, per half and both: worked out once while the exchange stays in the collector's ring. */
interface Worked {
  request?: readonly Panel[]
  response?: readonly Panel[]
  both?: readonly Panel[]
}

// The inspector asks for an exchange's panels at every rendering of every page
// showing it (twice per entry: the JWTs' first places, then the entry itself),
// and they depend on the recorded exchange only.
const worked = new WeakMap<RecordedExchange, Worked>()

function workedOf(e: RecordedExchange): Worked {
  let w = worked.get(e)
  if (w === undefined) worked.set(e, (w = {}))
  return w
}

/** The entry's panels (its request's, then its answer's); the same array each time for the same exchange and part. */
export function panelsOf(entry: FlowEntry): readonly Panel[] {
  if (entry.part === 'request') return requestPanels(entry)
  if (entry.part === 'response') return responsePanels(entry)
  const w = workedOf(entry.exchange)
  return (w.both ??= [...requestPanels(entry), ...responsePanels(entry)])
}

export function requestPanels(entry: FlowEntry): readonly Panel[] {
  const w = workedOf(entry.exchange)
  return (w.request ??= requestPanelsOf(entry.exchange))
}

export function responsePanels(entry: FlowEntry): readonly Panel[] {
  const w = workedOf(entry.exchange)
  return (w.response ??= responsePanelsOf(entry.exchange))
}

function requestPanelsOf(e: RecordedExchange): Panel[] {
  const panels: Panel[] = []
  const query = queryOf(e).toString()
  if (query !== '')
    panels.push({
      kind: 'table',
      title: `Query of ${e.request.method} ${pathOf(e)}`,
      of: 'query',
      fields: formTable(query),
    })
  const credentials = decodeBasic(requestHeader(e, 'authorization'))
  if (credentials) {
    panels.push({
      kind: 'basic',
      title: 'Authorization: Basic, decoded (RFC 6749 §2.3.1: client_id and client_secret)',
      credentials,
    })
  }
  if (e.request.body !== undefined && isForm(e.request.headers)) {
    panels.push({
      kind: 'table',
      title: `Form body of ${e.request.method} ${pathOf(e)}`,
      of: 'form',
      fields: formTable(e.request.body),
    })
  }
  const bearer = bearerToken(e)
  if (bearer !== undefined && decodeJwtParts(bearer)) {
    panels.push({ kind: 'jwt', title: 'Authorization: Bearer, the access token decoded (RFC 9068)', token: bearer })
  }
  return panels
}

function responsePanelsOf(e: RecordedExchange): Panel[] {
  const panels: Panel[] = []
  const location = locationParams(e).toString()
  if (location !== '')
    panels.push({
      kind: 'table',
      title: 'Parameters of the Location header',
      of: 'location',
      fields: formTable(location),
    })
  const json = responseJson(e)
  const token = json?.access_token
  if (typeof token === 'string' && decodeJwtParts(token)) {
    panels.push({ kind: 'jwt', title: 'access_token decoded: a JWT (RFC 9068)', token })
  }
  return panels
}

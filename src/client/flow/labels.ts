// One-line descriptions of a request or an answer, for the step lists, the
// transcript and the HAR comments.

import { STATUS_CODES } from 'node:http'
import { locationParams, pathOf, responseHeader } from './http.js'
import type { Part, RecordedExchange } from './types.js'

const REQUESTS: Record<string, string> = {
  'GET /connect': 'the browser asks the client app to connect',
  'GET /authorize': 'the browser asks the authorization endpoint for a code',
  'POST /login': 'the owner signs in (username and password go to the authorization server only)',
  'POST /consent': 'the owner decides',
  'GET /authenticated': 'the browser brings the code and the state to the client app',
  'POST /token': 'the client app redeems the code (back channel)',
  'GET /resource': 'the client app presents the access token',
  'GET /jwks': 'the resource server fetches the authorization server\u2019s public keys',
  'POST /introspect': 'the resource server asks whether the token is active',
  'POST /fetch-resource': 'the browser asks the client app to fetch the resource',
}

export function statusLine(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? ''}`.trim()
}

export function describeRequest(e: RecordedExchange, part: Part): string {
  const path = pathOf(e)
  const what = REQUESTS[`${e.request.method} ${normalise(path)}`]
  const line = `${e.request.method} ${path}`
  const head = what ? `${line}: ${what}` : line
  return part === 'both' ? `${head} \u2192 ${describeResponse(e)}` : head
}

export function describeResponse(e: RecordedExchange): string {
  const status = statusLine(e.response.status)
  const location = responseHeader(e, 'location')
  if (location !== undefined) {
    const params = locationParams(e)
    if (params.has('code')) return `${status}: to the redirect_uri with code and state`
    if (params.has('error')) return `${status}: to the redirect_uri with error=${params.get('error')}`
    return `${status} to ${location.split('?')[0]}`
  }
  if (e.role === 'resource-server' && pathOf(e) === '/resource') {
    const challenge = responseHeader(e, 'www-authenticate')
    return e.response.status < 300
      ? `${status}: the protected resource`
      : `${status}: refused${challenge ? ` (WWW-Authenticate: ${challenge})` : ''}`
  }
  const body = e.response.body ?? ''
  if (body.includes('action="/login"')) return `${status}: the login page`
  if (body.includes('action="/consent"')) return `${status}: the consent page`
  if (/"access_token"/.test(body)) return `${status}: the access token`
  if (body.includes('id="resource-status"')) return `${status}: the client app\u2019s page with the resource`
  if (body.includes('id="access-token"')) return `${status}: the client app\u2019s page with the access token`
  if (/^\{"keys"/.test(body)) return `${status}: the public keys (JWKS)`
  if (/"active"/.test(body)) return `${status}: the introspection answer`
  return status
}

/** A few words for the diagram's answer arrows. */
export function shortResponse(e: RecordedExchange): string {
  const status = e.response.status
  const long = describeResponse(e)
  const location = responseHeader(e, 'location')
  if (/with code and state$/.test(long)) return `${status} code + state`
  if (/with error=/.test(long)) return `${status} error`
  if (/: refused/.test(long)) return `${status} refused`
  if (location !== undefined) return `${status} \u2192 ${location.split('?')[0]}`
  const what = /: (the )?(.*)$/.exec(long)?.[2]
  const short: Record<string, string> = {
    'login page': 'login page',
    'consent page': 'consent page',
    'access token': 'access_token',
    'protected resource': 'resource',
    'client app\u2019s page with the resource': 'page with the resource',
    'client app\u2019s page with the access token': 'page with the token',
    'public keys (JWKS)': 'JWKS',
    'introspection answer': 'active?',
  }
  return what !== undefined && short[what] !== undefined ? `${status} ${short[what]}` : String(status)
}

function normalise(path: string): string {
  if (path === '/site/oauth2/authorize') return '/authorize'
  if (path === '/site/oauth2/access_token') return '/token'
  return path
}

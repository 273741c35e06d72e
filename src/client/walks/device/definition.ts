// The device authorization grant (RFC 8628): a device with no browser or no
// keyboard (a TV, a CLI) shows a short code; the user approves on a second
// screen (a phone) while the device polls the token endpoint.

import { decodeJwtParts } from '../../flow/decode.js'
import { isAuthorizationPending, isDevicePoll, pollErrorOf } from '../../flow/device-polling.js'
import { formOf, pathOf, queryOf, responseJson } from '../../flow/http.js'
import type { FlowEntry, RecordedExchange } from '../../flow/types.js'
import type { WalkCheck, WalkDefinition, WalkPlacement } from '../walk.js'
import { joinVerification } from './join-verification.js'

export const DEVICE_AUTHORIZATION_PATH = '/device_authorization'
/** The verification page and where sign-in comes back to (RFC 8628 §3.3). */
const VERIFICATION_PATHS = new Set(['/device', '/device/continue'])

export const deviceWalk: WalkDefinition = {
  name: 'device',
  title: 'Device (TV) sign-in',
  summary:
    'A device that has no browser or no keyboard, such as a smart TV or a command-line tool, asks the authorization ' +
    'server for a short user code and shows it. You approve on a second screen (your phone, or another tab): the ' +
    'verification page, sign-in and consent, while the device asks the token endpoint again and again until you have decided.',
  rfc: 'RFC 8628 §3',
  steps: [
    {
      n: 1,
      title: 'The device asks for a device code and a user code',
      what:
        'The device (here the public client oauth-client-public) POSTs its client_id and the scope it wants to the ' +
        'device authorization endpoint, on the back channel. A public client sends client_id alone: a TV cannot keep a secret.',
      rfc: 'RFC 8628 §3.1 (device authorization request)',
      look: 'POST /device_authorization with client_id and scope in the form body.',
    },
    {
      n: 2,
      title: 'The authorization server answers with the codes and where to go',
      what:
        'The answer holds the device_code (the device\u2019s secret, for polling), the user_code (short, for a human), ' +
        'the verification_uri and verification_uri_complete (the same page with the code filled in), how long the ' +
        'codes live (expires_in) and how long to wait between polls (interval).',
      rfc: 'RFC 8628 §3.2 (device authorization response), §6.1 (user code)',
      look: 'The JSON answer: user_code such as BCDF-GHJK, expires_in, interval, Cache-Control: no-store.',
    },
    {
      n: 3,
      title: 'The TV shows the code; you open the verification page on another screen',
      what:
        'The device shows the user code large, the verification URI, and a QR code of verification_uri_complete. ' +
        'On your phone (or another tab) you open that page: the code is filled in, or you type it (case and dashes do not matter).',
      rfc: 'RFC 8628 §3.3 (user interaction), §3.3.1 (non-textual verification URI: the QR code)',
      look: 'GET /device?user_code=… at the authorization server, from a browser that is not the device.',
    },
    {
      n: 4,
      title: 'You sign in and approve on the consent page',
      what:
        'The verification page checks the code, then shows the same sign-in and consent pages as an authorization ' +
        'request. Consent is asked every time: someone may have sent you their code (remote phishing), and the page ' +
        'names the client so that you can notice.',
      rfc: 'RFC 8628 §3.3, §5.4 (remote phishing), §5.1 (wrong codes are rate-limited)',
      look: 'POST /device (the code), POST /login, POST /consent: then "You can return to your device".',
    },
    {
      n: 5,
      title: 'The device polls the token endpoint',
      what:
        'Meanwhile the device POSTs grant_type=urn:ietf:params:oauth:grant-type:device_code with its device_code, ' +
        'once per interval. Until you decide, the answer is 400 authorization_pending: expected, it only means "not yet". ' +
        'Polling faster than the interval gets slow_down, and the interval grows by 5 seconds.',
      rfc: 'RFC 8628 §3.4 (device access token request), §3.5 (authorization_pending, slow_down)',
      look: 'The 400 answers with error authorization_pending (not a refusal), and the time between polls.',
    },
    {
      n: 6,
      title: 'Once you approved, the token endpoint issues the tokens',
      what:
        'The first poll after your approval is answered 200 with an access token (and a refresh token) for you, ' +
        'issued to the device\u2019s client. The device code is used up: another poll with it is invalid_grant.',
      rfc: 'RFC 8628 §3.5; RFC 6749 §5.1',
      look: 'The JSON answer: access_token, token_type Bearer, expires_in, refresh_token; the token\u2019s sub is you.',
    },
    {
      n: 7,
      title: 'The device calls the resource server with the token',
      what: 'The device sends the access token as Authorization: Bearer, and the resource server checks it like any other.',
      rfc: 'RFC 6750 §2.1; RFC 9068 §4',
      look: 'Authorization: Bearer, and the resource server\u2019s answer naming the user who approved.',
    },
  ],
  place,
  checks: deviceChecks,
  // RFC 8628 §3.5: "not yet" is what a polling device expects to hear.
  expected: isAuthorizationPending,
  joins: joinVerification,
  attacks: ['device-polling-too-fast', 'device-guessed-user-code', 'device-code-expired'],
}

function place(e: RecordedExchange): WalkPlacement | undefined {
  const path = pathOf(e)
  if (e.role === 'resource-server') return { request: 7, response: 7, from: 'client', to: 'resource-server' }
  if (e.role !== 'auth-server') return undefined
  if (path === DEVICE_AUTHORIZATION_PATH) return { request: 1, response: 2, from: 'client', to: 'auth-server' }
  if (isDevicePoll(e))
    return { request: 5, response: e.response.status === 200 ? 6 : 5, from: 'client', to: 'auth-server' }
  if (path === '/jwks' || path === '/introspect')
    return { request: 7, response: 7, from: 'resource-server', to: 'auth-server' }
  if (path === '/device' && e.request.method === 'GET')
    return { request: 3, response: 3, from: 'browser', to: 'auth-server' }
  if (path === '/device')
    return { request: 3, response: e.response.status === 200 ? 4 : 3, from: 'browser', to: 'auth-server' }
  if (VERIFICATION_PATHS.has(path) || path === '/login' || path === '/consent')
    return { request: 4, response: 4, from: 'browser', to: 'auth-server' }
  return undefined
}

function deviceChecks(entries: readonly FlowEntry[]): readonly WalkCheck[] {
  const answers = entries.filter((x) => x.part !== 'request').map((x) => x.exchange)
  return [...codeChecks(answers), ...pollChecks(answers), ...tokenChecks(answers)]
}

function codeChecks(answers: readonly RecordedExchange[]): WalkCheck[] {
  const started = answers.find((e) => pathOf(e) === DEVICE_AUTHORIZATION_PATH && e.response.status === 200)
  const json = started === undefined ? undefined : responseJson(started)
  if (json === undefined) return []
  const userCode = typeof json.user_code === 'string' ? json.user_code : ''
  const complete = typeof json.verification_uri_complete === 'string' ? json.verification_uri_complete : ''
  const checks: WalkCheck[] = [
    {
      step: 2,
      ok: /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/.test(userCode),
      text: `The user code ${userCode} is eight consonants: easy to read and type, no words (RFC 8628 §6.1).`,
    },
    {
      step: 3,
      ok: complete.includes(userCode),
      text: 'verification_uri_complete carries the user code, so the QR code needs no typing (RFC 8628 §3.3.1).',
    },
  ]
  const typed = answers.find(
    (e) =>
      e.role === 'auth-server' &&
      pathOf(e) === '/device' &&
      (queryOf(e).has('user_code') || formOf(e).has('user_code')),
  )
  checks.push({
    step: 3,
    ok: true,
    text:
      typed !== undefined
        ? 'The verification page was opened in a browser, not on the device: the device never sees your password (RFC 8628 §3.3).'
        : 'The verification page, sign-in and consent are not shown here when they happened in another browser (a phone): ' +
          'the inspector never shows one browser what another typed. Someone who sent you their code must not see your password (RFC 8628 §5.4).',
  })
  return checks
}

function pollChecks(answers: readonly RecordedExchange[]): WalkCheck[] {
  const polls = answers.filter(isDevicePoll)
  if (polls.length === 0) return []
  const pending = polls.filter(isAuthorizationPending).length
  const slowDowns = polls.filter((e) => pollErrorOf(e) === 'slow_down').length
  const checks: WalkCheck[] = [
    {
      step: 5,
      ok: true,
      text: `${polls.length} poll${polls.length === 1 ? '' : 's'}, ${pending} answered authorization_pending: expected while you decide (RFC 8628 §3.5).`,
    },
  ]
  if (slowDowns > 0)
    checks.push({
      step: 5,
      ok: false,
      text: `${slowDowns} poll${slowDowns === 1 ? ' was' : 's were'} sooner than the interval: slow_down, and the interval grew by 5 s each time (RFC 8628 §3.5).`,
    })
  return checks
}

function tokenChecks(answers: readonly RecordedExchange[]): WalkCheck[] {
  const issued = answers.find((e) => isDevicePoll(e) && e.response.status === 200)
  const token = issued === undefined ? undefined : responseJson(issued)?.access_token
  const claims = typeof token === 'string' ? decodeJwtParts(token)?.claims : undefined
  if (claims === undefined) return []
  const { sub, client_id: clientId } = claims
  return [
    {
      step: 6,
      ok: typeof sub === 'string' && sub !== clientId,
      text: `The token is for the user who approved (sub ${String(sub)}), issued to the device\u2019s client ${String(clientId)} (RFC 8628 §3.5, RFC 9068 §2.2).`,
    },
  ]
}

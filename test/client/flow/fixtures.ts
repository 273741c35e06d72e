// Hand-made RecordedExchange lists: what the three servers record for a flow.

import type { HeaderList, RecordedExchange, Role } from '../../../src/shared/flow-recorder.js'

export const CLIENT = 'http://localhost:3000'
export const AS = 'http://localhost:9001'
export const REDIRECT_URI = `${CLIENT}/authenticated`
export const BASIC = 'Basic b2F1dGgtY2xpZW50LTE6b2F1dGgtY2xpZW50LXNlY3JldC0x'

const seqs: Record<Role, number> = { client: 0, 'auth-server': 0, 'resource-server': 0 }

export function exchange(
  role: Role,
  startedAt: number,
  request: { method?: string; url: string; headers?: HeaderList; body?: string },
  response: { status?: number; headers?: HeaderList; body?: string } = {},
  durationMs = 3,
): RecordedExchange {
  return {
    seq: ++seqs[role],
    role,
    startedAt,
    durationMs,
    request: {
      method: request.method ?? 'GET',
      url: request.url,
      httpVersion: '1.1',
      headers: request.headers ?? [['Host', 'localhost']],
      ...(request.body === undefined ? {} : { body: request.body }),
    },
    response: {
      status: response.status ?? 200,
      headers: response.headers ?? [],
      ...(response.body === undefined ? {} : { body: response.body }),
    },
  }
}

const form: HeaderList = [
  ['Host', 'localhost:9001'],
  ['Content-Type', 'application/x-www-form-urlencoded'],
]
const html: HeaderList = [['content-type', 'text/html; charset=utf-8']]

export function loginPage(interaction: string): string {
  return `<form method="post" action="/login"><input type="hidden" name="_csrf" value="x"><input type="hidden" name="interaction" value="${interaction}"></form>`
}

export function consentPage(interaction: string): string {
  return `<form method="post" action="/consent"><input type="hidden" name="interaction" value="${interaction}"><button name="decision" value="allow">Allow</button></form>`
}

export interface FlowValues {
  readonly state: string
  readonly code: string
  readonly token: string
  readonly verifier?: string
  readonly challenge?: string
  /** Start time; each exchange comes 10 ms after the previous one. */
  readonly t0: number
  /** 'login': sign in and consent; 'consent': signed in, asked; 'remembered': straight back. */
  readonly path?: 'login' | 'consent' | 'remembered'
  readonly tag?: string
  readonly redeemedCode?: string
}

/** The exchanges of one browser flow, steps 1 to 7, as the three recorders see them. */
export function browserFlow(v: FlowValues): RecordedExchange[] {
  const path = v.path ?? 'login'
  const tag: HeaderList = v.tag === undefined ? [] : [['x-oauth-lab-flow', v.tag]]
  const query = `response_type=code&client_id=oauth-client-1&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&scope=foo+bar&state=${v.state}&code_challenge=${v.challenge ?? 'C'}&code_challenge_method=S256`
  const back = `${REDIRECT_URI}?code=${v.code}&state=${v.state}&iss=${encodeURIComponent(AS)}`
  let t = v.t0
  const next = () => (t += 10)
  const list: RecordedExchange[] = [
    exchange(
      'client',
      t,
      { url: '/connect', headers: [['Host', 'localhost:3000'], ...tag] },
      { status: 302, headers: [['location', `${AS}/authorize?${query}`]] },
    ),
  ]
  const authorize = (response: Parameters<typeof exchange>[3]) =>
    exchange(
      'auth-server',
      next(),
      { url: `/authorize?${query}`, headers: [['Host', 'localhost:9001'], ...tag] },
      response,
    )
  if (path === 'login') {
    list.push(
      authorize({ headers: html, body: loginPage(`i1-${v.state}`) }),
      exchange(
        'auth-server',
        next(),
        {
          method: 'POST',
          url: '/login',
          headers: [...form, ...tag],
          body: `_csrf=x&interaction=i1-${v.state}&username=alice&password=alice-password`,
        },
        { status: 303, headers: [['location', `/authorize?${query}`]] },
      ),
    )
  }
  if (path !== 'remembered') {
    list.push(
      authorize({ headers: html, body: consentPage(`i2-${v.state}`) }),
      exchange(
        'auth-server',
        next(),
        {
          method: 'POST',
          url: '/consent',
          headers: [...form, ...tag],
          body: `_csrf=x&interaction=i2-${v.state}&decision=allow&remember=on`,
        },
        { status: 303, headers: [['location', back]] },
      ),
    )
  } else {
    list.push(authorize({ status: 302, headers: [['location', back]] }))
  }
  const tokenJson = JSON.stringify({ access_token: v.token, token_type: 'Bearer', expires_in: 3600, scope: 'foo bar' })
  list.push(
    exchange(
      'client',
      next(),
      {
        url: `/authenticated?code=${v.code}&state=${v.state}&iss=${encodeURIComponent(AS)}`,
        headers: [['Host', 'localhost:3000'], ...tag],
      },
      { headers: html, body: '<pre id="access-token">…</pre>' },
      8,
    ),
    exchange(
      'auth-server',
      t + 2,
      {
        method: 'POST',
        url: '/token',
        headers: [
          ['host', '127.0.0.1:9001'],
          ['Authorization', BASIC],
          ['Content-Type', 'application/x-www-form-urlencoded'],
          ...tag,
        ],
        body: `grant_type=authorization_code&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&code=${v.redeemedCode ?? v.code}&code_verifier=${v.verifier ?? 'V'}`,
      },
      {
        headers: [
          ['cache-control', 'no-store'],
          ['content-type', 'application/json; charset=utf-8'],
        ],
        body: tokenJson,
      },
    ),
    exchange(
      'client',
      next(),
      {
        method: 'POST',
        url: '/fetch-resource',
        headers: [['Host', 'localhost:3000'], ['content-type', 'application/x-www-form-urlencoded'], ...tag],
        body: '_csrf=y',
      },
      { headers: html, body: '<code id="resource-status">200</code>' },
      8,
    ),
    exchange(
      'resource-server',
      t + 1,
      { url: '/resource', headers: [['host', '127.0.0.1:9002'], ['Authorization', `Bearer ${v.token}`], ...tag] },
      { body: '{"sub":"alice"}' },
      5,
    ),
  )
  return list
}

export function jwksFetch(at: number): RecordedExchange {
  return exchange(
    'auth-server',
    at,
    {
      url: '/jwks',
      headers: [
        ['host', '127.0.0.1:9001'],
        ['User-Agent', 'jose/v6'],
      ],
    },
    { body: '{"keys":[]}' },
    1,
  )
}

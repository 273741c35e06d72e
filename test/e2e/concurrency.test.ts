// Concurrency over real HTTP between the three real servers: 100 users' flows
// at once, each with its own browser (cookie jar), and racing redemptions of
// the same code (and the same refresh token): exactly one may win.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHash, randomBytes } from 'node:crypto'
import { decodeJwt } from 'jose'
import type { UserAccount } from '../../src/shared/config.js'
import { httpBrowser } from '../helpers/http-browser.js'
import { startTestLab, type TestLab } from '../helpers/lab.js'
import { at } from '../helpers/lists.js'
import { authorizeInBrowser } from '../interop/authorize-in-browser.js'

const USERS: UserAccount[] = Array.from({ length: 10 }, (_, i) => ({
  username: `user${i}`,
  password: `user${i}-password`,
  sub: `user${i}`,
}))
const FLOWS = 100
const RACES = 20
const CONFIDENTIAL = { id: 'oauth-client-1', secret: 'oauth-client-secret-1' }
const PUBLIC_ID = 'oauth-client-public'
// Bounds, not expectations: unloaded, the whole file takes ~5 s on 2 cores; the
// bounds leave room for a loaded machine (the suite runs two files at once).
const REQUEST_TIMEOUT_MS = 15_000
const TEST_TIMEOUT_MS = 30_000
const RESOURCE_BASIC = `Basic ${Buffer.from('oauth-resource-1:oauth-resource-secret-1').toString('base64')}`

let lab: TestLab

beforeAll(async () => {
  lab = await startTestLab({}, (config) => ({ ...config, users: [...config.users, ...USERS] }))
})
afterAll(() => lab?.close())

const random = () => randomBytes(32).toString('base64url')

interface Flow {
  readonly index: number
  readonly user: UserAccount
  readonly clientId: string
  readonly code: string
  readonly redirectUri: string
  readonly codeVerifier?: string
}

interface TokenReply {
  readonly status: number
  readonly body: Record<string, unknown>
}

/**
 * Flow `index` up to the callback: user `index / 10` (each user ten flows), even
 * flows oauth-client-1 (no PKCE: it is optional there), odd flows the public
 * client with PKCE S256. A fresh browser (cookie jar) for each.
 */
async function authorize(index: number): Promise<Flow> {
  const user = at(USERS, Math.floor(index / 10) % USERS.length, 'a configured user')
  const isPublic = index % 2 === 1
  const clientId = isPublic ? PUBLIC_ID : CONFIDENTIAL.id
  const redirectUri = `${lab.config.client.publicUrl}/authenticated`
  const state = random()
  const codeVerifier = isPublic ? random() : undefined
  const url = new URL(`${lab.config.auth.publicUrl}/authorize`)
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: 'foo bar',
    state,
    ...(codeVerifier
      ? { code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'), code_challenge_method: 'S256' }
      : {}),
  }).toString()
  const callback = await authorizeInBrowser(httpBrowser(), url, user)
  const params = callback.searchParams
  if (
    params.get('error') !== null ||
    params.get('state') !== state ||
    params.get('iss') !== lab.config.auth.publicUrl
  ) {
    throw new Error(`flow ${index} (${user.username}, ${clientId}): bad callback ${callback.href}`)
  }
  return { index, user, clientId, code: params.get('code')!, redirectUri, codeVerifier }
}

/** A token request as each client sends it: Basic for oauth-client-1, client_id (and PKCE) for the public one. */
async function tokenRequest(clientId: string, form: Record<string, string>): Promise<TokenReply> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  }
  const body = new URLSearchParams(form)
  if (clientId === CONFIDENTIAL.id)
    headers.authorization = `Basic ${Buffer.from(`${CONFIDENTIAL.id}:${CONFIDENTIAL.secret}`).toString('base64')}`
  else body.set('client_id', clientId)
  const res = await fetch(`${lab.config.auth.internalUrl}/token`, {
    method: 'POST',
    headers,
    body,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

const redeem = (flow: Flow) =>
  tokenRequest(flow.clientId, {
    grant_type: 'authorization_code',
    code: flow.code,
    redirect_uri: flow.redirectUri,
    ...(flow.codeVerifier ? { code_verifier: flow.codeVerifier } : {}),
  })

async function introspect(token: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${lab.config.auth.internalUrl}/introspect`, {
    method: 'POST',
    headers: { authorization: RESOURCE_BASIC, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  })
  expect(res.status).toBe(200)
  return (await res.json()) as Record<string, unknown>
}

/** Exactly one winner (200 with tokens) and one loser (400 invalid_grant) per pair. */
function expectOneWinner(pair: TokenReply[], what: string): TokenReply {
  const statuses = pair.map((r) => r.status).sort()
  expect(statuses, `${what}: ${JSON.stringify(pair.map((r) => r.body))}`).toEqual([200, 400])
  const loser = pair.find((r) => r.status === 400)!
  expect(loser.body.error).toBe('invalid_grant')
  const winner = pair.find((r) => r.status === 200)!
  expect(winner.body.access_token).toEqual(expect.any(String))
  return winner
}

describe('concurrency over real HTTP', () => {
  const issued: Array<{ flow: Flow; tokens: Record<string, unknown> }> = []

  it(
    `${FLOWS} authorization-code flows at once, each with its own browser: all succeed, nothing is shared`,
    async () => {
      const results = await Promise.all(
        Array.from({ length: FLOWS }, async (_, index) => {
          const flow = await authorize(index)
          const reply = await redeem(flow)
          if (reply.status !== 200)
            throw new Error(
              `flow ${index} (${flow.user.username}, ${flow.clientId}): ${reply.status} ${JSON.stringify(reply.body)}`,
            )
          return { flow, tokens: reply.body }
        }),
      )
      issued.push(...results)
      expect(results).toHaveLength(FLOWS)
      expect(new Set(results.map((r) => r.flow.code)).size).toBe(FLOWS)
      expect(new Set(results.map((r) => r.tokens.access_token)).size).toBe(FLOWS)
      expect(new Set(results.map((r) => r.tokens.refresh_token)).size).toBe(FLOWS)
      expect(new Set(results.map((r) => r.flow.clientId))).toEqual(new Set([CONFIDENTIAL.id, PUBLIC_ID]))
      for (const { flow, tokens } of results) {
        expect(tokens.refresh_token).toEqual(expect.any(String))
        expect(tokens.scope).toBe('foo bar')
        // Each token names the user and client of its own flow: no session got crossed.
        const claims = decodeJwt(String(tokens.access_token))
        expect({ sub: claims.sub, client_id: claims.client_id }).toEqual({
          sub: flow.user.sub,
          client_id: flow.clientId,
        })
      }
    },
    TEST_TIMEOUT_MS,
  )

  it(
    `the ${FLOWS} access tokens, presented at once, are each accepted by the resource server for the right user`,
    async () => {
      expect(issued).toHaveLength(FLOWS)
      const answers = await Promise.all(
        issued.map(async ({ tokens, flow }) => {
          const res = await fetch(`${lab.config.resource.publicUrl}/resource`, {
            headers: { authorization: `Bearer ${String(tokens.access_token)}` },
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
          })
          return { flow, status: res.status, body: (await res.json()) as Record<string, unknown> }
        }),
      )
      for (const { flow, status, body } of answers) {
        expect(status).toBe(200)
        expect(body).toMatchObject({ sub: flow.user.sub, client_id: flow.clientId })
      }
    },
    TEST_TIMEOUT_MS,
  )

  it(
    `${RACES} codes, each redeemed twice at the same time: exactly one 200 and one invalid_grant, and the winner's tokens are revoked`,
    async () => {
      const flows = await Promise.all(Array.from({ length: RACES }, (_, i) => authorize(i)))
      expect(new Set(flows.map((f) => f.code)).size).toBe(RACES)
      const pairs = await Promise.all(flows.map((flow) => Promise.all([redeem(flow), redeem(flow)])))
      const winners = pairs.map((pair, i) => expectOneWinner(pair, `code of flow ${i}`))
      // docs/contract.md: a second use of a code revokes every token issued from it.
      const states = await Promise.all(
        winners.flatMap((w) => [introspect(String(w.body.access_token)), introspect(String(w.body.refresh_token))]),
      )
      for (const state of states) expect(state).toEqual({ active: false })
    },
    TEST_TIMEOUT_MS,
  )

  it(
    `${RACES} refresh tokens, each used twice at the same time: exactly one 200 and one invalid_grant`,
    async () => {
      const picked = issued.slice(0, RACES)
      const pairs = await Promise.all(
        picked.map(({ flow, tokens }) => {
          const form = { grant_type: 'refresh_token', refresh_token: String(tokens.refresh_token) }
          return Promise.all([tokenRequest(flow.clientId, form), tokenRequest(flow.clientId, form)])
        }),
      )
      const winners = pairs.map((pair, i) => expectOneWinner(pair, `refresh token of flow ${i}`))
      expect(new Set(winners.map((w) => w.body.refresh_token)).size).toBe(RACES)
      // The loser reused a rotated refresh token: the whole family, the winner's new tokens included, is revoked.
      const states = await Promise.all(
        winners.flatMap((w) => [introspect(String(w.body.access_token)), introspect(String(w.body.refresh_token))]),
      )
      for (const state of states) expect(state).toEqual({ active: false })
    },
    TEST_TIMEOUT_MS,
  )
})

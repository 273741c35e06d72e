// The SPA walk's own page, GET /walk/spa-pkce/app: it plays a public
// single-page app (the built-in oauth-client-public: no secret, PKCE) whose
// script (public/walk-spa-pkce.js) runs in the learner's browser: it makes the
// code_verifier with WebCrypto, keeps it in sessionStorage, sends the browser
// to /authorize, then redeems the code at /token and calls the resource with
// fetch, across origins (CORS). POST /walk/spa-pkce/report (CSRF) brings what
// the page saw back to the walk's page as its results.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { BUILTIN_PUBLIC_CLIENT_ID } from '../../../shared/builtin-data.js'
import type { LabConfig } from '../../../shared/config.js'
import { constantTimeEqual } from '../../../shared/constant-time.js'
import { csrfCheck } from '../../../shared/session-csrf.js'
import { FLOW_HEADER } from '../../flow/http.js'
import { redirectUriOf } from '../../oauth-client.js'
import type { WalkResult, WalkState } from '../walk.js'
import { findScript } from '../scripts.js'
import { SPA_PAGE } from './script.js'

const WALK_PAGE = '/walk/spa-pkce'

interface Report {
  readonly _csrf?: string
  readonly state: string
  readonly token_status: string
  readonly token_lines: string
  readonly resource_status: string
  readonly resource_lines: string
}

/** What the page reports: short, bounded strings (a status and a few lines each). */
const LINE = { type: 'string', maxLength: 2000 } as const
const reportSchema = {
  type: 'object',
  required: ['state', 'token_status', 'token_lines', 'resource_status', 'resource_lines'],
  properties: {
    _csrf: { type: 'string' },
    state: { type: 'string', maxLength: 200 },
    token_status: { type: 'string', pattern: '^[0-9]{0,3}$' },
    token_lines: LINE,
    resource_status: { type: 'string', pattern: '^[0-9]{0,3}$' },
    resource_lines: LINE,
  },
} as const

/** The SPA walk's state while the browser is with the SPA page (a state is awaited), else undefined. */
function awaiting(request: FastifyRequest): (WalkState & { state: string }) | undefined {
  const walk = request.session.clientWalk
  return walk?.name === 'spa-pkce' && walk.state !== undefined ? { ...walk, state: walk.state } : undefined
}

/**
 * The page calls the authorization server and the resource server from the
 * browser: its CSP allows those two origins for fetch (connect-src), and only
 * on this page.
 */
function allowConnect(reply: FastifyReply, config: LabConfig): void {
  const csp = reply.getHeader('content-security-policy')
  if (typeof csp !== 'string') return
  const origins = [config.auth.publicUrl, config.resource.publicUrl].map((u) => new URL(u).origin).join(' ')
  void reply.header('content-security-policy', csp.replace("connect-src 'self'", `connect-src 'self' ${origins}`))
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .slice(0, 12)
}

function reportResults(config: LabConfig, walk: WalkState, report: Report): WalkResult[] {
  const tokenOk = report.token_status === '200'
  const resourceOk = report.resource_status === '200'
  const results: WalkResult[] = [
    {
      step: 4,
      title: 'The code came back to the redirect URI with the state sent, and was handed to the SPA\u2019s page',
      ok: true,
      lines: [`code=${(walk.data.code ?? '').slice(0, 8)}…`],
    },
    {
      step: 5,
      title: 'Your browser POSTed the code and the code_verifier to /token',
      ok: true,
      lines: [
        `From this app’s origin ${new URL(config.client.publicUrl).origin} (the Origin header), no Authorization header: a public client has no secret.`,
        `Form: grant_type=authorization_code, code, redirect_uri, client_id=${BUILTIN_PUBLIC_CLIENT_ID}, code_verifier (from sessionStorage).`,
      ],
    },
    {
      step: 6,
      title: tokenOk ? 'The SPA got its token, from the browser' : 'The token endpoint refused the SPA',
      ok: tokenOk,
      lines: [`As your browser saw it: HTTP ${report.token_status || '(no answer)'}`, ...lines(report.token_lines)],
    },
  ]
  if (tokenOk)
    results.push({
      step: 7,
      title: resourceOk ? 'The resource, read by the SPA from the browser' : 'The resource server refused the SPA',
      ok: resourceOk,
      lines: [
        `As your browser saw it: HTTP ${report.resource_status || '(no answer)'}`,
        ...lines(report.resource_lines),
      ],
    })
  return results
}

export async function spaPkceRoutes(app: FastifyInstance, opts: { config: LabConfig }): Promise<void> {
  const { config } = opts

  app.get(SPA_PAGE, async (request, reply) => {
    const walk = awaiting(request)
    if (walk === undefined) return reply.redirect(WALK_PAGE, 303)
    allowConnect(reply, config)
    void reply.header('cache-control', 'no-store').header(FLOW_HEADER, walk.tag)
    const code = walk.data.code
    return reply.viewAsync('client/walk-spa-pkce', {
      phase: code === undefined ? 'authorize' : 'redeem',
      authorizeEndpoint: `${config.auth.publicUrl}/authorize`,
      tokenEndpoint: `${config.auth.publicUrl}/token`,
      resourceUrl: `${config.resource.publicUrl}/resource`,
      clientId: BUILTIN_PUBLIC_CLIENT_ID,
      redirectUri: redirectUriOf(config),
      scope: config.client.scope,
      state: walk.state,
      code: code ?? '',
      csrfToken: reply.generateCsrf(),
    })
  })

  app.post<{ Body: Report }>(
    `${WALK_PAGE}/report`,
    { schema: { body: reportSchema }, preValidation: csrfCheck(app) },
    async (request, reply) => {
      const walk = awaiting(request)
      // Only the page of the walk in progress reports, once (its state is one-time, as the callback's).
      if (walk === undefined || walk.data.code === undefined || !constantTimeEqual(request.body.state, walk.state))
        return reply.redirect(WALK_PAGE, 303)
      const stops = findScript('spa-pkce')?.stops.length ?? 0
      request.session.clientWalk = {
        name: walk.name,
        tag: walk.tag,
        stop: stops,
        results: [...walk.results, ...reportResults(config, walk, request.body)],
        data: walk.data,
      }
      return reply.header(FLOW_HEADER, walk.tag).redirect(`${WALK_PAGE}#step-7`, 303)
    },
  )
}

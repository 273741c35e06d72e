// Break it (a teaching aid): GET /break lists attacks and mistakes; POST
// /break/<attack> plays one, server-side, against the real authorization and
// resource servers, and shows what stopped it, why, and where the inspector has it.

import type { FastifyInstance, FastifyReply } from 'fastify'
import type { LabConfig } from '../../shared/config.js'
import { randomId } from '../../shared/random.js'
import { renderError } from '../errors.js'
import { csrfFormSchema } from '../fetch-resource.js'
import { browserIdOf, registerBrowserIdCookie, startFlow } from '../flow/browser-id.js'
import { BROWSER_COOKIE } from '../../shared/flow-masking.js'
import { FLOW_HEADER } from '../flow/http.js'
import { describeFailure, type Fetch } from '../oauth-client.js'
import { createAgent, type LogEntry } from './agent.js'
import { answerView, type AnswerView } from './answer.js'
import { AttackSetupError, outcomeOf, type Attack } from './attack.js'
import { ATTACKS, findAttack } from './catalog.js'
import { WALKS } from '../walks/definitions.js'
import { toInternal } from './play-authorization.js'
import { csrfCheck } from '../../shared/session-csrf.js'
import { mcpDocumentRoute } from './mcp-document-route.js'

interface Played {
  readonly flowId: string
  readonly log: readonly LogEntry[]
  readonly answer?: AnswerView
  readonly aftermath?: { readonly title: string; readonly status: number; readonly lesson: string }
  readonly setupError?: string
}

/** Why the scene could not be played, for the page; anything unexpected is a bug and propagates. */
function setupFailure(error: unknown): string {
  if (error instanceof AttackSetupError) return error.message
  if (error instanceof TypeError || (error instanceof DOMException && error.name === 'TimeoutError')) {
    return `A server could not be reached: ${describeFailure(error)}.`
  }
  throw error
}

/**
 * One flow id per run, on every request: the inspector's rule for grouping a
 * flow. The victim's browser is the teacher's: it carries the teacher's
 * inspector id, so its requests are recorded as this browser's.
 */
async function play(config: LabConfig, fetchFn: Fetch, attack: Attack, browserId?: string): Promise<Played> {
  const flowId = `attack-${attack.name}-${randomId()}`
  const log: LogEntry[] = []
  // The attack's browsers use the host names the victim's uses (public URLs).
  const fallback = (href: string) => toInternal(config, href)
  const cookies =
    browserId === undefined
      ? []
      : [{ url: config.client.publicUrl, setCookie: `${BROWSER_COOKIE}=${browserId}; Path=/; HttpOnly; SameSite=Lax` }]
  const agent = createAgent(fetchFn, flowId, log, undefined, { fallback, cookies })
  const newAgent = (name: string) =>
    createAgent(
      fetchFn,
      flowId,
      log,
      name,
      name === 'Attacker' ? { fallback, actor: 'attacker' } : { fallback, cookies },
    )
  try {
    const { answer, aftermath } = outcomeOf(await attack.run({ config, agent, newAgent }))
    return {
      flowId,
      log,
      answer: answerView(answer),
      ...(aftermath && {
        aftermath: { title: aftermath.title, status: aftermath.response.status, lesson: aftermath.lesson },
      }),
    }
  } catch (error) {
    return { flowId, log, setupError: setupFailure(error) }
  }
}

function renderResult(reply: FastifyReply, config: LabConfig, attack: Attack, played: Played): Promise<string> {
  const { name, title, tried, why, answeredBy } = attack
  return (
    reply
      .code(played.setupError === undefined ? 200 : 502)
      .header('cache-control', 'no-store')
      // Names the flow this browser started: the inspector shows it to this browser only (flow/visibility.ts).
      .header(FLOW_HEADER, played.flowId)
      .viewAsync('client/break-result', {
        attack: { name, title, tried, why, answeredBy },
        ...played,
        flowUrl: config.inspector.enabled ? `/flow/${played.flowId}` : undefined,
        csrfToken: reply.generateCsrf(),
      })
  )
}

export async function breakItRoutes(app: FastifyInstance, opts: { config: LabConfig; fetch: Fetch }): Promise<void> {
  const { config } = opts
  await mcpDocumentRoute(app, { config })
  // The inspector's browser id: only when there is an inspector to show flows in.
  if (config.inspector.enabled) registerBrowserIdCookie(app)
  // A run (once its CSRF token checked) is a flow this browser starts.
  app.addHook('preHandler', async (request) => {
    if (request.method === 'POST') startFlow(request)
  })
  app.get('/break', async (_request, reply) => {
    return reply.header('cache-control', 'no-store').viewAsync('client/break', {
      // A walk-through's attacks are listed on its page (/walk/<name>), not here.
      attacks: ATTACKS.filter((a) => !WALKS.some((w) => w.attacks.includes(a.name))).map(({ name, title, tried }) => ({
        name,
        title,
        tried,
      })),
      inspector: config.inspector.enabled,
      csrfToken: reply.generateCsrf(),
    })
  })

  // A POST with CSRF: each run signs in, mints codes and tokens on the servers.
  app.post<{ Params: { attack: string } }>(
    '/break/:attack',
    { schema: { body: csrfFormSchema }, preValidation: csrfCheck(app) },
    async (request, reply) => {
      const attack = findAttack(request.params.attack)
      if (!attack)
        return renderError(
          reply,
          404,
          'No such attack',
          'Break it has no attack of that name; pick one on the Break it page.',
        )
      return renderResult(reply, config, attack, await play(config, opts.fetch, attack, browserIdOf(request)))
    },
  )
}

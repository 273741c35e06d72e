// The device walk's pretend TV screen (RFC 8628 §3.3): GET /walk/device/tv
// shows the user code large, the verification URI, a QR code of
// verification_uri_complete (§3.3.1, drawn here: the lab is offline), the
// device code's lifetime as a countdown and the polling status. POST
// /walk/device/tv/poll (CSRF) makes one poll, exactly as the walk's Next does
// at that stop; the page's script calls it at the interval when asked to.

import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { LabConfig } from '../../../shared/config.js'
import { qrSvg } from '../../../shared/qr.js'
import { csrfCheck } from '../../../shared/session-csrf.js'
import { csrfFormSchema } from '../../fetch-resource.js'
import { FLOW_HEADER } from '../../flow/http.js'
import type { Fetch } from '../../oauth-client.js'
import { advance, runContext } from '../walk-routes.js'
import type { WalkState } from '../walk.js'
import { deviceScript, pollStop, TV_PATH } from './script.js'

/** The device walk of this browser, once it has a device code. */
function deviceWalkOf(request: FastifyRequest): WalkState | undefined {
  const state = request.session.clientWalk
  return state?.name === 'device' && state.data.deviceCode !== undefined ? state : undefined
}

/** Whether the walk is at its polling stop. */
function polling(state: WalkState): boolean {
  return deviceScript.stops[state.stop] === pollStop
}

function statusLine(state: WalkState): string {
  const last = [...state.results].reverse().find((r) => r.step >= 5)
  if (last !== undefined) return last.title
  return polling(state)
    ? 'Waiting for you to approve. No poll yet.'
    : 'Press Next on the walk-through to start polling.'
}

async function tvPage(config: LabConfig, state: WalkState | undefined) {
  if (state === undefined) return { device: undefined, flowUrl: undefined }
  const { data } = state
  const userCode = data.userCode ?? ''
  const complete = data.verificationUriComplete ?? ''
  const svg = await qrSvg(complete)
  const expiresAt = Number(data.expiresAt ?? '0')
  return {
    device: {
      userCode,
      // Read out one character at a time by a screen reader.
      userCodeSpelled: userCode.split('').join(' '),
      verificationUri: data.verificationUri ?? '',
      verificationUriComplete: complete,
      qrDataUri: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`,
      expiresAt,
      remaining: Math.max(0, Math.round((expiresAt - Date.now()) / 1000)),
      interval: Number(data.interval ?? '5'),
      status: statusLine(state),
      canPoll: polling(state),
    },
    flowUrl: config.inspector.enabled ? `/flow/${state.tag}` : undefined,
  }
}

export async function deviceTvRoutes(app: FastifyInstance, opts: { config: LabConfig; fetch: Fetch }): Promise<void> {
  const { config } = opts

  app.get(TV_PATH, async (request, reply) => {
    const state = deviceWalkOf(request)
    // The page is part of the walk's flow: its answer names the tag (flow/correlate.ts).
    if (state !== undefined) void reply.header(FLOW_HEADER, state.tag)
    return reply
      .header('cache-control', 'no-store')
      .viewAsync('client/walk-device-tv', { ...(await tvPage(config, state)), csrfToken: reply.generateCsrf() })
  })

  app.post(
    `${TV_PATH}/poll`,
    { schema: { body: csrfFormSchema }, preValidation: csrfCheck(app) },
    async (request, reply) => {
      const state = deviceWalkOf(request)
      let current = state
      if (state !== undefined && polling(state)) {
        const outcome = await pollStop.run(runContext(config, opts.fetch, state, request))
        current = advance(state, outcome, deviceScript)
        request.session.clientWalk = current
        void reply.header(FLOW_HEADER, state.tag)
      }
      if (!(request.headers.accept ?? '').includes('application/json')) return reply.redirect(TV_PATH, 303)
      return reply.header('cache-control', 'no-store').send({
        status: current === undefined ? 'No device code: start the walk-through.' : statusLine(current),
        interval: current === undefined ? undefined : Number(current.data.interval ?? '5'),
        polling: current !== undefined && polling(current),
      })
    },
  )
}

// The device walk, one "Next" per request the device makes: the device
// authorization request (steps 1-2), the TV screen (step 3), one poll per
// Next until the user has decided on the second screen (steps 5-6; steps 3-4
// happen in that other browser), then the resource call (step 7). RFC 8628.

import { BUILTIN_PUBLIC_CLIENT_ID } from '../../../shared/builtin-data.js'
import { DEVICE_CODE_GRANT } from '../../../shared/enumerations.js'
import { errorLine, postForm, tokenRequest } from '../walk-http.js'
import { resourceStop } from '../resource-call.js'
import type { WalkOutcome, WalkRunContext, WalkScript, WalkStop } from '../walk.js'

/** The TV screen's page (tv-route.ts). */
export const TV_PATH = '/walk/device/tv'
/** Past this many polls the walk stops polling (a bounded session, whatever the lifetime). */
export const MAX_POLLS = 100

/** RFC 8628 §3.1: the device is a public client; it sends client_id alone. */
const deviceAuthorizationStop: WalkStop = {
  step: 2,
  action: 'Ask for a device code (POST /device_authorization)',
  async run(ctx) {
    const answer = await postForm(ctx, `${ctx.config.auth.internalUrl}/device_authorization`, {
      client_id: BUILTIN_PUBLIC_CLIENT_ID,
      scope: ctx.config.resource.requiredScope,
    })
    const json = answer.json ?? {}
    const { device_code: deviceCode, user_code: userCode, expires_in: expiresIn, interval } = json
    if (answer.status !== 200 || typeof deviceCode !== 'string' || typeof userCode !== 'string')
      return {
        kind: 'shown',
        done: true,
        result: { step: 2, title: 'The device authorization endpoint refused', ok: false, lines: [errorLine(answer)] },
      }
    const lifetime = typeof expiresIn === 'number' ? expiresIn : 600
    // RFC 8628 §3.2: interval is optional; 5 seconds when absent.
    const seconds = typeof interval === 'number' ? interval : 5
    return {
      kind: 'shown',
      data: {
        deviceCode,
        userCode,
        verificationUri: String(json.verification_uri),
        verificationUriComplete: String(json.verification_uri_complete ?? json.verification_uri),
        expiresAt: String(Date.now() + lifetime * 1000),
        interval: String(seconds),
        polls: '0',
      },
      result: {
        step: 2,
        title: 'A device code and a user code',
        ok: true,
        lines: [
          `200: user_code ${userCode}`,
          `verification_uri ${String(json.verification_uri)}`,
          `verification_uri_complete ${String(json.verification_uri_complete)}`,
          `expires_in ${lifetime} s, interval ${seconds} s`,
          'The device_code stays with the device (this app): it is the secret it polls with.',
        ],
      },
    }
  },
}

const tvStop: WalkStop = {
  step: 3,
  action: 'Show the code on the TV screen',
  run(ctx) {
    return Promise.resolve({
      kind: 'shown',
      result: {
        step: 3,
        title: `The TV shows ${ctx.data.userCode ?? ''}`,
        ok: true,
        lines: [
          `Open ${ctx.data.verificationUri ?? ''} on your phone (or scan the QR code on the TV screen, or use another tab),`,
          'sign in and allow (step 4). Then poll: one Next per poll, or let the TV screen poll by itself.',
        ],
        link: { href: TV_PATH, text: 'Open the TV screen' },
      },
    })
  },
}

/** One poll of the token endpoint (RFC 8628 §3.4); the TV screen's own polls run it too. */
export const pollStop: WalkStop = {
  step: 5,
  action: 'Poll the token endpoint (the device asks: is there a token yet?)',
  run: poll,
}

async function poll(ctx: WalkRunContext): Promise<WalkOutcome> {
  const polls = Number(ctx.data.polls ?? '0') + 1
  const answer = await tokenRequest(
    ctx,
    {
      grant_type: DEVICE_CODE_GRANT,
      device_code: ctx.data.deviceCode ?? '',
      client_id: BUILTIN_PUBLIC_CLIENT_ID,
    },
    {},
  )
  const data = { polls: String(polls), lastPollAt: String(Date.now()) }
  const token = answer.json?.access_token
  if (answer.status === 200 && typeof token === 'string')
    return {
      kind: 'shown',
      data: { ...data, accessToken: token, status: 'approved' },
      result: {
        step: 6,
        title: 'Approved: the token endpoint issued the tokens',
        ok: true,
        lines: [
          `200 after ${polls} poll${polls === 1 ? '' : 's'}: token_type ${String(answer.json?.token_type)}, expires_in ${String(answer.json?.expires_in)} s, scope "${String(answer.json?.scope)}"`,
          answer.json?.refresh_token === undefined ? 'No refresh_token.' : 'A refresh_token too.',
        ],
      },
    }
  const error = answer.json?.error
  if (error === 'authorization_pending' || error === 'slow_down') {
    const pending = error === 'authorization_pending'
    // RFC 8628 §3.5: after slow_down the device waits 5 seconds longer, for every later poll too.
    const interval = pending ? Number(ctx.data.interval ?? '5') : Number(ctx.data.interval ?? '5') + 5
    const stop = polls >= MAX_POLLS
    return {
      kind: 'shown',
      again: !stop,
      done: stop,
      data: { ...data, interval: String(interval), status: String(error) },
      result: {
        step: 5,
        title: pending
          ? `Poll ${polls}: authorization_pending (expected: not decided yet)`
          : `Poll ${polls}: slow_down (too fast)`,
        ok: pending,
        lines: [
          errorLine(answer),
          pending
            ? `Approve on the second screen, then poll again in ${interval} s or more (RFC 8628 §3.5).`
            : `Polled sooner than the interval: the device must now wait ${interval} s between polls (RFC 8628 §3.5).`,
          `The device code expires in ${Math.max(0, Math.round((Number(ctx.data.expiresAt ?? '0') - Date.now()) / 1000))} s (the TV screen counts it down).`,
          ...(stop ? [`The device gives up after ${MAX_POLLS} polls: start again.`] : []),
        ],
      },
    }
  }
  // access_denied, expired_token, invalid_grant: RFC 8628 §3.5, the device stops polling.
  return {
    kind: 'shown',
    done: true,
    data: { ...data, status: typeof error === 'string' ? error : `HTTP ${answer.status}` },
    result: {
      step: 5,
      title: error === 'access_denied' ? 'You denied the device' : 'The token endpoint refused',
      ok: false,
      lines: [errorLine(answer)],
    },
  }
}

export const deviceScript: WalkScript = {
  name: 'device',
  stops: [deviceAuthorizationStop, tvStop, pollStop, resourceStop(7)],
}

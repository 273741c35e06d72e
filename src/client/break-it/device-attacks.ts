// Break it in the device grant (RFC 8628): a device that polls too fast, a
// stranger guessing user codes on the verification page, and a device code
// that outlived its lifetime. The device is the public client, on the back
// channel; the guesser is a browser of its own.

import { BUILTIN_PUBLIC_CLIENT_ID } from '../../shared/builtin-data.js'
import { DEVICE_CODE_GRANT } from '../../shared/enumerations.js'
import { randomInt } from 'node:crypto'
import type { Agent, AgentResponse } from './agent.js'
import { AttackSetupError, type Attack, type AttackContext } from './attack.js'
import { hiddenField } from './html-text.js'

/** What the verification page allows per browser session before it stops checking codes (wrong-code limit). */
const SESSION_MAX_WRONG = 5
/** RFC 8628 §6.1's base-20 consonants, the alphabet of the lab's user codes. */
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ'

const FORM = { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' }

interface Started {
  readonly deviceCode: string
  readonly userCode: string
  readonly verificationUri: string
}

function jsonOf(response: AgentResponse): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(response.body)
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

/** RFC 8628 §3.1: the device (a public client) asks for a device code and a user code. */
async function startDevice(ctx: AttackContext, agent: Agent = ctx.agent): Promise<Started> {
  const response = await agent.backChannel('Step 1: the device asks for a device code', {
    method: 'POST',
    url: `${ctx.config.auth.internalUrl}/device_authorization`,
    headers: FORM,
    body: new URLSearchParams({
      client_id: BUILTIN_PUBLIC_CLIENT_ID,
      scope: ctx.config.resource.requiredScope,
    }).toString(),
  })
  const json = jsonOf(response)
  const { device_code: deviceCode, user_code: userCode, verification_uri: verificationUri } = json
  if (response.status !== 200 || typeof deviceCode !== 'string' || typeof userCode !== 'string')
    throw new AttackSetupError(
      `The device authorization request failed with HTTP ${response.status}: is ${BUILTIN_PUBLIC_CLIENT_ID} registered for the device grant?`,
    )
  return { deviceCode, userCode, verificationUri: String(verificationUri) }
}

/** RFC 8628 §3.4: one poll of the token endpoint. */
function poll(ctx: AttackContext, label: string, deviceCode: string): Promise<AgentResponse> {
  return ctx.agent.backChannel(label, {
    method: 'POST',
    url: `${ctx.config.auth.internalUrl}/token`,
    headers: FORM,
    body: new URLSearchParams({
      grant_type: DEVICE_CODE_GRANT,
      device_code: deviceCode,
      client_id: BUILTIN_PUBLIC_CLIENT_ID,
    }).toString(),
  })
}

export const devicePollingTooFast: Attack = {
  name: 'device-polling-too-fast',
  title: 'Device polls too fast',
  tried:
    'A device gets a device code, polls the token endpoint once (authorization_pending: the user has not decided), then polls again at once instead of waiting the interval.',
  why: 'A device must wait the interval between polls. Polling sooner is answered 400 slow_down, and the device must then wait 5 seconds longer, for this and every later poll (RFC 8628 section 3.5): the error_description names the new interval. authorization_pending before it is no refusal: it is the expected "not yet".',
  answeredBy: 'authorization server',
  async run(ctx) {
    const { deviceCode } = await startDevice(ctx)
    const first = await poll(ctx, 'Step 5: the device polls (expected: authorization_pending)', deviceCode)
    if (jsonOf(first).error !== 'authorization_pending')
      throw new AttackSetupError(`The first poll answered HTTP ${first.status} instead of authorization_pending.`)
    return poll(ctx, 'Attack: the device polls again at once, before the interval', deviceCode)
  },
}

/** A code in the user codes' alphabet and shape that is not `real`. */
function guess(real: string): string {
  for (;;) {
    let code = ''
    for (let i = 0; i < 8; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)]
    const shown = `${code.slice(0, 4)}-${code.slice(4)}`
    if (shown !== real) return shown
  }
}

/** Types `code` on the verification page (its form first, for the CSRF token). */
async function typeCode(agent: Agent, verificationUri: string, label: string, code: string): Promise<AgentResponse> {
  const page = await agent.get(`${label}: open the verification page`, verificationUri)
  const csrf = hiddenField(page.body, '_csrf')
  if (page.status !== 200 || csrf === undefined)
    throw new AttackSetupError(`The verification page answered HTTP ${page.status} without its form.`)
  return agent.postForm(`${label}: type ${code}`, verificationUri, { _csrf: csrf, user_code: code })
}

export const deviceGuessedUserCode: Attack = {
  name: 'device-guessed-user-code',
  title: 'Guessed user code',
  tried: `A device shows its user code. An attacker who cannot see the screen types guessed codes on the verification page, ${SESSION_MAX_WRONG} wrong ones, then (as if lucky) the right one.`,
  why: `A user code is short (8 letters of 20: about 2^34.6 codes), so guessing must be slowed down (RFC 8628 section 5.1). Each wrong code is refused with 400. The lab counts wrong codes per browser session (${SESSION_MAX_WRONG} in 10 minutes) and for the whole server (50 a minute); past either limit it checks no code at all, the right one included, and answers 429 with Retry-After. The server-wide limit also means that a guesser with fresh cookies slows everyone's code entry down for up to a minute: the price of the defence. Consent is still asked after a right code (RFC 8628 section 5.4).`,
  answeredBy: 'authorization server',
  async run(ctx) {
    const device = await startDevice(ctx)
    const attacker = ctx.newAgent('Attacker')
    for (let i = 1; i <= SESSION_MAX_WRONG; i++) {
      const wrong = await typeCode(attacker, device.verificationUri, `Guess ${i}`, guess(device.userCode))
      if (wrong.status === 429) return wrong
      if (wrong.status !== 400) throw new AttackSetupError(`Guess ${i} was answered HTTP ${wrong.status}, not 400.`)
    }
    return typeCode(attacker, device.verificationUri, 'Attack: the right code, past the limit', device.userCode)
  },
}

export const deviceCodeExpired: Attack = {
  name: 'device-code-expired',
  title: 'Expired device code',
  tried:
    'A device gets a device code and nobody approves it in time: the lab ends its lifetime at once (the lab-only POST /_lab/device/expire, instead of waiting expires_in), then the device polls.',
  why: 'A device code lives expires_in seconds (DEVICE_CODE_TTL_SECONDS). After that a poll is answered 400 expired_token and the device must start again with a new device authorization request (RFC 8628 section 3.5); the user code is no longer accepted on the verification page either. Short lifetimes limit what a photographed code is worth.',
  answeredBy: 'authorization server',
  async run(ctx) {
    const { deviceCode } = await startDevice(ctx)
    const expired = await ctx.agent.backChannel('Lab: end the device code’s lifetime now', {
      method: 'POST',
      url: `${ctx.config.auth.internalUrl}/_lab/device/expire`,
      // The lab key, sent server-side only (the recorders mask a Bearer key on /_lab/*).
      headers: {
        Accept: 'application/json',
        'Content-Type': 'application/json',
        Authorization: `Bearer ${ctx.config.labKey}`,
      },
      body: JSON.stringify({ device_code: deviceCode }),
    })
    if (expired.status === 404 && !expired.body.includes('device_code'))
      throw new AttackSetupError('POST /_lab/device/expire exists only while the flow inspector is on (INSPECTOR=on).')
    if (expired.status !== 200)
      throw new AttackSetupError(
        `POST /_lab/device/expire answered HTTP ${expired.status}: the three servers must share one LAB_KEY.`,
      )
    return poll(ctx, 'Attack: the device polls with its expired device code', deviceCode)
  },
}

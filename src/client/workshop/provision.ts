// Joining gives a learner a lab user of their own: the client app asks the
// authorization server over the back channel (POST /_lab/learners, a lab
// power: every role shares the lab key).

import type { LabConfig } from '../../shared/config.js'
import type { Fetch } from '../oauth-client.js'

export interface ProvisionedUser {
  readonly username: string
  readonly password: string
}

/** Why the authorization server gave no user: shown to the learner as it is. */
export class ProvisionError extends Error {
  constructor(
    message: string,
    /** 409: the room (or the name's usernames) is full; anything else: the server could not be asked. */
    readonly roomFull: boolean,
  ) {
    super(message)
  }
}

function isUser(body: unknown): body is ProvisionedUser {
  const b = body as Partial<Record<string, unknown>> | null
  return typeof b?.username === 'string' && typeof b.password === 'string'
}

export async function provisionLearner(config: LabConfig, fetchFn: Fetch, name: string): Promise<ProvisionedUser> {
  let response: Response
  try {
    response = await fetchFn(`${config.auth.internalUrl}/_lab/learners`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${config.labKey}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify({ name }),
      signal: AbortSignal.timeout(5000),
    })
  } catch {
    throw new ProvisionError('The authorization server could not be reached.', false)
  }
  const body: unknown = await response.json().catch(() => undefined)
  if (response.status === 201 && isUser(body)) return { username: body.username, password: body.password }
  const description = (body as { error_description?: unknown } | undefined)?.error_description
  throw new ProvisionError(
    typeof description === 'string' ? description : `The authorization server answered ${response.status}.`,
    response.status === 409,
  )
}

/** "Reset the room": the authorization server removes the learners' users and starts a new count. Best effort. */
export async function forgetLearners(config: LabConfig, fetchFn: Fetch): Promise<boolean> {
  try {
    const response = await fetchFn(`${config.auth.internalUrl}/_lab/learners`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${config.labKey}`, accept: 'application/json' },
      signal: AbortSignal.timeout(5000),
    })
    return response.ok
  } catch {
    return false
  }
}

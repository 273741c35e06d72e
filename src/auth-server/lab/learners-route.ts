// Workshop mode only (WORKSHOP=on): POST /_lab/learners gives a learner who
// joined at the client app a lab user of their own, so that their sign-in,
// remembered decisions, grants and revocations are theirs alone. The client
// app calls it over the back channel with the lab key (a lab power: every
// role shares LAB_KEY). The user is added like any user added at runtime
// (account/user-directory.ts): username from the display name (a slug and a
// two-digit suffix, e.g. `ada-07`), `sub` = username, and a random password
// short enough to type at step 2, sent back once to be shown to the learner.

import { randomInt } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { ConfigFileError } from '../../shared/config-error.js'
import type { AuthServerContext } from '../context.js'
import { OAuthError } from '../oauth-error.js'
import { labJsonApi } from './json-api.js'
import { removeLearners } from './remove-learners.js'

/** Learners at most (memory stays bounded whoever holds the key); the directory's own cap is higher. */
export const MAX_LEARNERS = 200
/** The display name, as the client app's join form takes it. */
export const MAX_LEARNER_NAME = 40
const SLUG_LENGTH = 20
const PASSWORD_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789' // no 0/o, 1/l: typed by hand

const BODY = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: MAX_LEARNER_NAME } },
} as const

/** `Ada Lovelace` -> `ada-lovelace`: lowercase ASCII letters, digits and single dashes. */
export function slugOf(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, SLUG_LENGTH)
    .replace(/^-+|-+$/g, '')
  return slug === '' ? 'learner' : slug
}

/** Three groups of four (about 60 bits): plenty for a lab user, and easy to type. */
function typeablePassword(): string {
  const group = () => Array.from({ length: 4 }, () => PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)]).join('')
  return `${group()}-${group()}-${group()}`
}

/** A free username: two digits in random order first, then three (a room of 200 Adas still fits). */
function freeUsername(slug: string, taken: (username: string) => boolean): string | undefined {
  const two = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'))
  for (let i = two.length - 1; i > 0; i--) {
    const j = randomInt(i + 1)
    ;[two[i], two[j]] = [two[j]!, two[i]!]
  }
  const three = Array.from({ length: 900 }, (_, i) => String(i + 100))
  return [...two, ...three].map((suffix) => `${slug}-${suffix}`).find((name) => !taken(name))
}

export async function labLearnersRoute(app: FastifyInstance, ctx: AuthServerContext): Promise<void> {
  labJsonApi(app, ['name'])
  /** The learners' usernames; a learner the directory forgot (lab.reset()) no longer counts. */
  const learners = new Set<string>()
  app.post<{ Body: { name: string } }>('/_lab/learners', { schema: { body: BODY } }, async (request, reply) => {
    for (const username of learners) if (!ctx.users.byUsername(username)) learners.delete(username)
    if (learners.size >= MAX_LEARNERS)
      throw new OAuthError('invalid_request', `The room is full: at most ${MAX_LEARNERS} learners.`, { status: 409 })
    const taken = (name: string) => ctx.users.byUsername(name) !== undefined || ctx.users.bySub(name) !== undefined
    const username = freeUsername(slugOf(request.body.name), taken)
    if (username === undefined)
      throw new OAuthError('invalid_request', 'No free username is left for this name; choose another.', {
        status: 409,
      })
    const password = typeablePassword()
    let user
    try {
      user = ctx.users.add({ username, password }, (id) => ctx.clients.get(id) !== undefined, 'learner')
    } catch (error) {
      // The directory's own cap on users added at runtime (shared with POST /_lab/users).
      if (!(error instanceof ConfigFileError)) throw error
      throw new OAuthError('invalid_request', 'No more users can be added while the lab runs.', { status: 409 })
    }
    learners.add(user.username)
    // The password goes to the client app once, to show its learner: never cached.
    return reply
      .code(201)
      .header('cache-control', 'no-store')
      .send({ username: user.username, sub: user.sub, password })
  })
  // The teacher's "Reset the room": a new session of up to MAX_LEARNERS. The
  // learners' users go, with their remembered decisions and tokens (remove-learners.ts).
  app.delete('/_lab/learners', async (_request, reply) => {
    const forgotten = learners.size
    removeLearners(ctx, learners)
    learners.clear()
    return reply.header('cache-control', 'no-store').send({ forgotten })
  })
}

// The teacher's "Reset the room" (DELETE /_lab/learners): each learner's lab
// user goes, and with it what the authorization server keeps for that user:
// remembered decisions, and every token family to any client (its refresh
// tokens stop working and its access tokens are revoked, RFC 7009 §2.1: a
// grant's tokens go with it). The learner can then no longer sign in, nor
// use what was issued before; the configured users (alice, bob) are untouched.

import type { AuthServerContext } from '../context.js'

/** Removes the learners' users and what they hold; how many users were removed. */
export function removeLearners(ctx: AuthServerContext, usernames: Iterable<string>): number {
  let removed = 0
  for (const username of usernames) {
    const user = ctx.users.byUsername(username)
    // Gone already (lab.reset()), or somehow a configured user: nothing of it is touched.
    if (user === undefined || !ctx.users.removeAdded(username)) continue
    for (const grant of ctx.store.listGrants(user.sub)) ctx.store.forgetGrant(user.sub, grant.clientId)
    for (const client of ctx.clients.values()) revokeQuietly(ctx, user.sub, client.clientId)
    removed++
  }
  return removed
}

/** Best effort: a full revocation list (StoreFullError) must not stop the reset of the others. */
function revokeQuietly(ctx: AuthServerContext, sub: string, clientId: string): void {
  try {
    ctx.store.revokeFamiliesOf(sub, clientId)
  } catch {
    // The family's refresh tokens are already unusable; its access tokens expire soon.
  }
}

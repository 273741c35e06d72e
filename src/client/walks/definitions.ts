// Every walk-through's definition (walk.ts): the inspector reads a walk's
// steps, placements and checks from here. One import per walk.

import { clientCredentialsWalk } from './client-credentials/definition.js'
import { deviceWalk } from './device/definition.js'
import { dpopWalk } from './dpop/definition.js'
import { oidcWalk } from './oidc/definition.js'
import { parWalk } from './par/definition.js'
import { refreshWalk } from './refresh/definition.js'
import { spaPkceWalk } from './spa-pkce/definition.js'
import { tokenExchangeWalk } from './token-exchange/definition.js'
import type { WalkDefinition, WalkName } from './walk.js'

// In the order the index page lists them (WALK_NAMES).
export const WALKS: readonly WalkDefinition[] = [
  spaPkceWalk,
  oidcWalk,
  refreshWalk,
  clientCredentialsWalk,
  dpopWalk,
  deviceWalk,
  parWalk,
  tokenExchangeWalk,
]

export function findWalk(name: WalkName): WalkDefinition | undefined {
  return WALKS.find((walk) => walk.name === name)
}

// Every walk-through's definition (walk.ts): the inspector reads a walk's
// steps, placements and checks from here. One import per walk.

import { clientCredentialsWalk } from './client-credentials/definition.js'
import { deviceWalk } from './device/definition.js'
import type { WalkDefinition, WalkName } from './walk.js'

export const WALKS: readonly WalkDefinition[] = [clientCredentialsWalk, deviceWalk]

export function findWalk(name: WalkName): WalkDefinition | undefined {
  return WALKS.find((walk) => walk.name === name)
}

// A walk's flow tag: `w_<walk>_<random>`. Every request the walk's script
// makes carries it (x-oauth-lab-flow), and so does the client app's answer to
// each "Next", so the inspector groups them as one flow of that walk and shows
// it to the browser that started it (flow/visibility.ts).

import { randomId } from '../../shared/random.js'
import { WALK_NAMES, type WalkName } from './walk.js'

const PREFIX = 'w_'

export function walkTag(name: WalkName): string {
  return `${PREFIX}${name}_${randomId()}`
}

/** The walk a flow tag belongs to, if it is a walk's. */
export function walkOfTag(tag: string): WalkName | undefined {
  if (!tag.startsWith(PREFIX)) return undefined
  return WALK_NAMES.find((name) => tag.startsWith(`${PREFIX}${name}_`))
}

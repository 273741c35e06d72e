// Every walk-through's script (walk.ts): what each "Next" does. One import per walk.

import { clientCredentialsScript } from './client-credentials/script.js'
import { deviceScript } from './device/script.js'
import type { WalkName, WalkScript } from './walk.js'

export const SCRIPTS: readonly WalkScript[] = [clientCredentialsScript, deviceScript]

export function findScript(name: WalkName): WalkScript | undefined {
  return SCRIPTS.find((script) => script.name === name)
}

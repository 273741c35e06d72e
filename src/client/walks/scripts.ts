// Every walk-through's script (walk.ts): what each "Next" does. One import per walk.

import { clientCredentialsScript } from './client-credentials/script.js'
import { deviceScript } from './device/script.js'
import { dpopScript } from './dpop/script.js'
import { oidcScript } from './oidc/script.js'
import { parScript } from './par/script.js'
import { refreshScript } from './refresh/script.js'
import { spaPkceScript } from './spa-pkce/script.js'
import { tokenExchangeScript } from './token-exchange/script.js'
import type { WalkName, WalkScript } from './walk.js'

export const SCRIPTS: readonly WalkScript[] = [
  spaPkceScript,
  oidcScript,
  refreshScript,
  clientCredentialsScript,
  dpopScript,
  deviceScript,
  parScript,
  tokenExchangeScript,
]

export function findScript(name: WalkName): WalkScript | undefined {
  return SCRIPTS.find((script) => script.name === name)
}

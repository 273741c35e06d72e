// The last step of most walks: the access token at the built-in resource
// server as Bearer (RFC 6750 §2.1), and what it answered, word for word.

import type { StepNumber } from '../flow/types.js'
import { send } from './walk-http.js'
import type { WalkOutcome, WalkRunContext, WalkStop } from './walk.js'

/** Calls GET /resource with `token`; `last`: the walk ends here. A refusal always ends it. */
export async function callResource(
  ctx: WalkRunContext,
  token: string,
  step: StepNumber,
  last = true,
): Promise<WalkOutcome> {
  const answer = await send(ctx, `${ctx.config.resource.internalUrl}/resource`, {
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
  })
  const ok = answer.status === 200
  return {
    kind: 'shown',
    ...(last || !ok ? { done: true } : {}),
    result: {
      step,
      title: ok ? 'The resource server answered' : 'The resource server refused',
      ok,
      lines: ok
        ? [`200: ${answer.text}`]
        : [`${answer.status}: ${answer.headers.get('www-authenticate') ?? answer.text}`],
    },
  }
}

/** The walk's last stop: the access token an earlier stop kept (`data.accessToken`) at the resource server. */
export function resourceStop(step: StepNumber): WalkStop {
  return {
    step,
    action: 'Call the resource server with the token',
    run: (ctx) => callResource(ctx, ctx.data.accessToken ?? '', step),
  }
}

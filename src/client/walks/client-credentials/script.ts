// Client credentials, one "Next" per request: the token request (steps 1-2),
// then the resource call (step 3). RFC 6749 §4.4.

import { errorLine, tokenRequest } from '../walk-http.js'
import { resourceStop } from '../resource-call.js'
import type { WalkScript } from '../walk.js'

export const clientCredentialsScript: WalkScript = {
  name: 'client-credentials',
  stops: [
    {
      step: 2,
      action: 'Send the token request (grant_type=client_credentials)',
      async run(ctx) {
        // RFC 6749 §4.4.2: grant_type and scope, the client authenticated with Basic (§2.3.1).
        const answer = await tokenRequest(ctx, {
          grant_type: 'client_credentials',
          scope: ctx.config.resource.requiredScope,
        })
        const token = answer.json?.access_token
        if (answer.status !== 200 || typeof token !== 'string')
          return {
            kind: 'shown',
            done: true,
            result: { step: 2, title: 'The token endpoint refused', ok: false, lines: [errorLine(answer)] },
          }
        return {
          kind: 'shown',
          data: { accessToken: token },
          result: {
            step: 2,
            title: 'An access token for the client itself',
            ok: true,
            lines: [
              `200: token_type ${String(answer.json?.token_type)}, expires_in ${String(answer.json?.expires_in)} s, scope "${String(answer.json?.scope)}"`,
              answer.json?.refresh_token === undefined ? 'No refresh_token (RFC 6749 §4.4.3).' : 'A refresh_token too.',
            ],
          },
        }
      },
    },
    resourceStop(3),
  ],
}

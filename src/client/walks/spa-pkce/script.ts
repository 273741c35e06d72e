// The SPA walk, server side: the first "Next" opens the SPA's page
// (spa-routes.ts), where the learner's browser makes the PKCE pair and goes to
// /authorize; the callback hands the code to that page, whose script redeems
// it at /token and calls the resource, from the browser (public/walk-spa-pkce.js).

import { randomSecret } from '../../../shared/random.js'
import { authorizationProblem } from '../front-channel.js'
import { refused } from '../walk-http.js'
import type { WalkOutcome, WalkRunContext, WalkScript } from '../walk.js'

export const SPA_PAGE = '/walk/spa-pkce/app'

function authorizationResponse(ctx: WalkRunContext, query: Readonly<Record<string, string | undefined>>): WalkOutcome {
  const problem = authorizationProblem(ctx, query)
  if (problem !== undefined || query.code === undefined) return refused(4, 'No code to redeem', [problem ?? ''])
  // The page's script takes the code on (a SPA reads it from its redirect URI).
  // The walk now waits for that page's report, with a state of its own.
  return { kind: 'redirect', location: SPA_PAGE, state: randomSecret(), data: { code: query.code } }
}

export const spaPkceScript: WalkScript = {
  name: 'spa-pkce',
  stops: [
    {
      step: 1,
      action: 'Open the SPA: it makes the PKCE pair in your browser and sends you to /authorize',
      run() {
        const state = randomSecret()
        // The state is made here so that the walk knows the browser when it comes back (walk-callback.ts);
        // the verifier and the challenge are made by the page's script, in the browser.
        return Promise.resolve({ kind: 'redirect', location: `${SPA_PAGE}?state=${state}`, state })
      },
    },
  ],
  callback(ctx, query) {
    return Promise.resolve(authorizationResponse(ctx, query))
  },
}

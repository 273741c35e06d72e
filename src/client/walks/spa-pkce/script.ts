// The SPA walk, server side: the first "Next" opens the SPA's page
// (spa-routes.ts), where the learner's browser makes the PKCE pair and goes to
// /authorize; the callback hands the code to that page, whose script redeems
// it at /token and calls the resource, from the browser (public/walk-spa-pkce.js).

import { randomSecret } from '../../../shared/random.js'
import type { WalkOutcome, WalkRunContext, WalkScript } from '../walk.js'

export const SPA_PAGE = '/walk/spa-pkce/app'

function refused(title: string, line: string): WalkOutcome {
  return { kind: 'shown', done: true, result: { step: 4, title, ok: false, lines: [line] } }
}

function authorizationResponse(ctx: WalkRunContext, query: Readonly<Record<string, string | undefined>>): WalkOutcome {
  if (query.error !== undefined)
    return refused('The authorization server answered with an error', `error=${query.error}`)
  // RFC 9207 §2.4: the response names the issuer the request went to.
  if (query.iss !== ctx.config.auth.publicUrl)
    return refused('The response came from another issuer', `iss=${String(query.iss)}`)
  if (query.code === undefined) return refused('No code came back', 'The redirect carried no code.')
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

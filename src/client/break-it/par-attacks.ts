// Break it for pushed authorization requests (RFC 9126): a request_uri is
// one-time and bound to the client that pushed it. Each attack pushes a real
// request as the client app, then presents its request_uri where it must not work.

import { BUILTIN_PUBLIC_CLIENT_ID } from '../../shared/builtin-data.js'
import { randomSecret } from '../../shared/random.js'
import { basicAuthorization, createPkce, pushedAuthorizeUrl, redirectUriOf } from '../oauth-client.js'
import { AttackSetupError, type Attack, type AttackContext } from './attack.js'
import { authorize } from './play-authorization.js'

/** RFC 9126 §2.1: the client app pushes an authorization request; the request_uri of the 201. */
async function pushRequest(ctx: AttackContext): Promise<string> {
  const { config } = ctx
  const form = new URLSearchParams({
    response_type: 'code',
    client_id: config.client.clientId,
    redirect_uri: redirectUriOf(config),
    scope: config.client.scope,
    state: randomSecret(),
    code_challenge: createPkce().codeChallenge,
    code_challenge_method: 'S256',
  })
  const pushed = await ctx.agent.backChannel('Step 1: the client app pushes its authorization request', {
    method: 'POST',
    url: `${config.auth.internalUrl}/par`,
    headers: {
      Authorization: basicAuthorization(config.client.clientId, config.client.clientSecret),
      Accept: 'application/json',
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: form.toString(),
  })
  let requestUri: unknown
  try {
    requestUri = (JSON.parse(pushed.body) as { request_uri?: unknown }).request_uri
  } catch {
    requestUri = undefined
  }
  if (pushed.status !== 201 || typeof requestUri !== 'string')
    throw new AttackSetupError(`Pushing the authorization request failed with HTTP ${pushed.status}.`)
  return requestUri
}

export const parRequestUriReplayed: Attack = {
  name: 'par-request-uri-replayed',
  title: 'Pushed request_uri replayed',
  tried:
    'The client app pushes an authorization request and alice completes it with the request_uri (sign-in, consent, a code comes back). Then the same authorization URL, client_id and that request_uri, is opened a second time, as someone who copied it from the address bar or a log would.',
  why: 'A request_uri is one-time: the authorization server marks it used the first time /authorize resolves it, and refuses it afterwards with an error page, never a redirect (RFC 9126 section 2.2 and section 4). The same short URL cannot start a second authorization.',
  answeredBy: 'authorization server',
  async run(ctx) {
    const requestUri = await pushRequest(ctx)
    const url = pushedAuthorizeUrl(ctx.config, ctx.config.client.clientId, requestUri)
    await authorize(ctx, ctx.agent, url, { username: 'alice', decision: 'allow' })
    return ctx.agent.get('Attack: open the same request_uri again', url)
  },
}

export const parRequestUriOtherClient: Attack = {
  name: 'par-request-uri-other-client',
  title: 'Pushed request_uri used by another client',
  tried: `The client app pushes an authorization request; an attacker sends a browser to /authorize with that request_uri but client_id=${BUILTIN_PUBLIC_CLIENT_ID}, another client, to borrow the pushed request.`,
  why: 'A request_uri is bound to the client that pushed it: /authorize must check that the client_id of the front channel is that client, and refuses it otherwise with an error page, never a redirect (RFC 9126 section 4).',
  answeredBy: 'authorization server',
  async run(ctx) {
    const requestUri = await pushRequest(ctx)
    const attacker = ctx.newAgent('Attacker')
    return attacker.get(
      'Attack: /authorize with the request_uri under another client_id',
      pushedAuthorizeUrl(ctx.config, BUILTIN_PUBLIC_CLIENT_ID, requestUri),
    )
  },
}

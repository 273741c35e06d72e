// Step 5: the client authenticates at the token endpoint (RFC 6749 §2.3.1):
// HTTP Basic (MUST be supported), client_secret_post, or none for public clients.

import { secretMatcher } from '../../shared/constant-time.js'
import type { ClientRegistration, TokenAuthMethod } from '../../shared/config.js'
import type { ClientRegistry } from '../clients.js'
import { OAuthError } from '../oauth-error.js'

export interface AuthenticatedClient {
  readonly client: ClientRegistration
  readonly method: TokenAuthMethod
}

export const BASIC_CHALLENGE = 'Basic realm="oauth-lab", charset="UTF-8"'

interface Credentials {
  readonly clientId: string
  readonly clientSecret?: string
  readonly method: TokenAuthMethod
}

// RFC 6749 §2.3.1: id and secret are form-urlencoded before Base64.
function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '))
  } catch {
    return undefined
  }
}

function basicFailure(description: string): OAuthError {
  return new OAuthError('invalid_client', description, { status: 401, wwwAuthenticate: BASIC_CHALLENGE })
}

function parseBasic(header: string): Credentials {
  const encoded = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header)?.[1]
  if (encoded === undefined) throw basicFailure('The Authorization header is not valid HTTP Basic credentials.')
  const decoded = Buffer.from(encoded, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  const clientId = colon === -1 ? undefined : formDecode(decoded.slice(0, colon))
  const clientSecret = colon === -1 ? undefined : formDecode(decoded.slice(colon + 1))
  if (!clientId || clientSecret === undefined)
    throw basicFailure('The Basic credentials are not client_id:client_secret.')
  return { clientId, clientSecret, method: 'client_secret_basic' }
}

function readCredentials(authorization: string | undefined, body: Record<string, string | undefined>): Credentials {
  const { client_id: bodyId, client_secret: bodySecret } = body
  if (authorization !== undefined) {
    if (bodySecret !== undefined) {
      // RFC 6749 §2.3: a client MUST NOT use more than one authentication method.
      throw new OAuthError('invalid_request', 'Use either HTTP Basic or client_secret in the body, not both.')
    }
    const basic = parseBasic(authorization)
    if (bodyId !== undefined && bodyId !== basic.clientId) {
      throw new OAuthError('invalid_request', 'client_id in the body differs from the one in the Basic credentials.')
    }
    return basic
  }
  if (bodyId === undefined) throw new OAuthError('invalid_client', 'Client authentication is required.')
  if (bodySecret !== undefined) return { clientId: bodyId, clientSecret: bodySecret, method: 'client_secret_post' }
  return { clientId: bodyId, method: 'none' }
}

// One matcher per registration object: a registration is replaced, never
// changed, when its secret changes, so the expected digest is made once per
// client rather than at every token request.
const secretMatchers = new WeakMap<ClientRegistration, (given: string) => boolean>()

function secretOf(client: ClientRegistration, secret: string): (given: string) => boolean {
  let matches = secretMatchers.get(client)
  if (matches === undefined) {
    matches = secretMatcher(secret)
    secretMatchers.set(client, matches)
  }
  return matches
}

/** The authenticated client, or an `invalid_client` / `invalid_request` OAuthError. */
export function authenticate(
  clients: ClientRegistry,
  authorization: string | undefined,
  body: Record<string, string | undefined>,
): AuthenticatedClient {
  const credentials = readCredentials(authorization, body)
  const fail = (description: string) =>
    credentials.method === 'client_secret_basic'
      ? basicFailure(description)
      : new OAuthError('invalid_client', description)
  const client = clients.get(credentials.clientId)
  if (!client) throw fail('Client authentication failed: unknown client or wrong secret (RFC 6749 section 2.3.1).')
  if (credentials.method === 'none') {
    if (client.clientSecret !== undefined)
      throw fail('This client must authenticate (client_secret_basic or client_secret_post).')
    return { client, method: 'none' }
  }
  const secretOk =
    client.clientSecret !== undefined && secretOf(client, client.clientSecret)(credentials.clientSecret ?? '')
  if (!secretOk) throw fail('Client authentication failed: unknown client or wrong secret (RFC 6749 section 2.3.1).')
  if (!client.tokenEndpointAuthMethods.includes(credentials.method)) {
    throw fail(`This client may not use ${credentials.method}.`)
  }
  return { client, method: credentials.method }
}

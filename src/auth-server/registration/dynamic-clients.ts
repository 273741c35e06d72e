// Dynamic client registration (RFC 7591) and its management (RFC 7592): a
// client registered at POST /register is kept in the store and in the
// registry, read and deleted with its registration access token. Open
// registration (no initial access token, RFC 7591 §3): this is a lab on
// loopback. Bounded: at most MAX_DYNAMIC_CLIENTS; one more pushes out the
// oldest registered client. Refusing instead would stop the lab for good once
// a tool (the MCP Inspector registers anew at each run) had filled it, while
// the oldest registration is the one least likely to be still in use.

import { constantTimeEqual } from '../../shared/constant-time.js'
import { randomId, randomSecret } from '../../shared/random.js'
import { sha256Base64url } from '../../shared/sha256.js'
import type { AuthServerContext } from '../context.js'
import type { StoredClient } from '../store/auth-store.js'
import { clientInputOf, readClientMetadata, type ClientMetadata } from './client-metadata.js'

export const MAX_DYNAMIC_CLIENTS = 100

/** RFC 7591 §3.2.1 / RFC 7592 §3: what the client is told about its registration. */
export type RegistrationResponse = ClientMetadata & {
  readonly client_id: string
  readonly client_id_issued_at: number
  readonly client_secret?: string
  readonly client_secret_expires_at?: number
  readonly registration_client_uri: string
  readonly registration_access_token?: string
}

/** RFC 7592 §1: where the client reads and deletes its registration. */
export function registrationClientUri(ctx: AuthServerContext, clientId: string): string {
  return `${ctx.config.auth.publicUrl}/register/${encodeURIComponent(clientId)}`
}

function responseOf(ctx: AuthServerContext, stored: StoredClient): RegistrationResponse {
  const metadata = readClientMetadata(stored.metadata, ctx.config.scopes)
  const secret = stored.metadata.client_secret
  return {
    client_id: stored.clientId,
    client_id_issued_at: stored.issuedAt,
    // RFC 7591 §3.2.1: client_secret_expires_at is REQUIRED with a secret; 0: it never expires.
    ...(typeof secret === 'string' ? { client_secret: secret, client_secret_expires_at: 0 } : {}),
    ...metadata,
    registration_client_uri: registrationClientUri(ctx, stored.clientId),
  }
}

/** Registers a client from a request body; RegistrationError when the metadata is refused. */
export function registerClient(ctx: AuthServerContext, body: unknown): RegistrationResponse {
  const metadata = readClientMetadata(body, ctx.config.scopes)
  const clientId = `dyn-${randomId()}`
  // RFC 6749 §10.10, RFC 7591 §3.2.1: a secret as unguessable as a token (258 bits).
  const clientSecret = metadata.token_endpoint_auth_method === 'none' ? undefined : randomSecret()
  const registrationToken = randomSecret()
  const stored: StoredClient = {
    clientId,
    issuedAt: Math.floor(ctx.now() / 1000),
    // RFC 7592 §3: the registration access token is kept as its hash only.
    registrationTokenHash: sha256Base64url(registrationToken),
    metadata: { ...metadata, ...(clientSecret === undefined ? {} : { client_secret: clientSecret }) },
  }
  makeRoom(ctx)
  ctx.store.saveClient(stored)
  ctx.clients.add(clientInputOf(clientId, metadata, clientSecret), 'dynamic')
  return { ...responseOf(ctx, stored), registration_access_token: registrationToken }
}

/** At the cap, the oldest registered clients go, from the store and the registry. */
function makeRoom(ctx: AuthServerContext): void {
  const stored = ctx.store.listClients()
  for (const oldest of stored.slice(0, Math.max(0, stored.length - MAX_DYNAMIC_CLIENTS + 1))) {
    removeRegisteredClient(ctx, oldest.clientId)
  }
}

/**
 * The registered client this registration access token belongs to (RFC 7592
 * §2.1), compared in constant time against the stored hash; undefined for an
 * unknown client or a wrong token alike, so neither is told apart.
 */
export function findRegistration(ctx: AuthServerContext, clientId: string, token: string): StoredClient | undefined {
  const stored = ctx.store.findClient(clientId)
  const expected = stored?.registrationTokenHash ?? sha256Base64url(randomSecret())
  const matches = constantTimeEqual(sha256Base64url(token), expected)
  return matches ? stored : undefined
}

export function readRegistration(ctx: AuthServerContext, stored: StoredClient): RegistrationResponse {
  return responseOf(ctx, stored)
}

/**
 * RFC 7592 §2.3: the client_id, secret and registration access token stop
 * working at once. Refresh tokens issued to it are refused with it (the client
 * is unknown); JWT access tokens already issued work until they expire
 * wherever a resource server checks them by itself.
 */
export function removeRegisteredClient(ctx: AuthServerContext, clientId: string): boolean {
  const known = ctx.store.deleteClient(clientId)
  ctx.clients.remove(clientId)
  return known
}

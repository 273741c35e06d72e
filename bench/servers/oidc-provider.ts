// Anchor: oidc-provider (the certified OpenID provider library) configured
// like oauth-lab: client oauth-client-1 with its secret and redirect URI,
// scopes foo and bar on one resource server, RFC 9068 JWT access tokens signed
// ES256, client_credentials, refresh tokens for the code grant, PKCE S256,
// and its built-in login and consent pages. REMEMBER_CONSENT=on makes it skip
// the consent page for alice as oauth-lab does once a decision is remembered.

import { generateKeyPairSync } from 'node:crypto'
import Provider, { type KoaContextWithOIDC } from 'oidc-provider'

const port = Number(process.env.PORT)
const issuer = `http://localhost:${port}`
const resource = process.env.RESOURCE_URL ?? 'http://localhost:9002'
const redirectUri = process.env.REDIRECT_URI ?? 'http://localhost:3000/authenticated'
const rememberConsent = process.env.REMEMBER_CONSENT === 'on'

const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' })
const resourceServer = {
  scope: 'foo bar',
  audience: resource,
  accessTokenTTL: 3600,
  accessTokenFormat: 'jwt',
  jwt: { sign: { alg: 'ES256' } },
}

// oidc-provider's documented way to pre-establish a grant: oauth-lab's remembered decision.
async function loadExistingGrant(ctx: KoaContextWithOIDC) {
  const { client, session, result, provider } = ctx.oidc
  if (!client || !session) return undefined
  const grantId = result?.consent?.grantId ?? session.grantIdFor(client.clientId)
  if (grantId) return provider.Grant.find(grantId)
  if (!rememberConsent || session.accountId === undefined) return undefined
  const grant = new provider.Grant({ accountId: session.accountId, clientId: client.clientId })
  grant.addResourceScope(resource, 'foo bar')
  await grant.save()
  return grant
}

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'oauth-client-1',
      client_secret: 'oauth-client-secret-1',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'],
      scope: 'foo bar',
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    },
  ],
  jwks: { keys: [{ ...signingKey, alg: 'ES256', use: 'sig', kid: 'anchor' }] },
  scopes: ['foo', 'bar'],
  findAccount: (_ctx: unknown, id: string) => ({ accountId: id, claims: () => ({ sub: id }) }),
  cookies: { keys: ['oauth-lab-bench-anchor-cookie-key-0123456789'] },
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => resourceServer,
    },
  },
  // oauth-lab issues a refresh token with every code for a client registered for them.
  issueRefreshToken: (_ctx: unknown, client: { grantTypeAllowed(grant: string): boolean }) =>
    client.grantTypeAllowed('refresh_token'),
  loadExistingGrant,
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 60,
    ClientCredentials: 3600,
    Interaction: 600,
    Session: 8 * 3600,
    Grant: 8 * 3600,
    RefreshToken: 24 * 3600,
  },
})
provider.on('server_error', (_ctx, error) => process.stderr.write(`oidc-provider server_error: ${String(error)}\n`))
provider.listen(port, '127.0.0.1')

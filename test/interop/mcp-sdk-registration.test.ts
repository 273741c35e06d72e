// Interoperability: the official MCP TypeScript SDK's client-side OAuth
// helpers (@modelcontextprotocol/sdk/client/auth.js), as MCP clients use them,
// against the lab's authorization server over real HTTP: discovery, dynamic
// client registration (RFC 7591), then a whole authorization-code flow with
// PKCE for the client it registered. Before registration existed these
// clients stopped at "Incompatible auth server: does not support dynamic
// client registration".

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  discoverAuthorizationServerMetadata,
  exchangeAuthorization,
  registerClient,
  startAuthorization,
} from '@modelcontextprotocol/sdk/client/auth.js'
import { httpBrowser } from '../helpers/http-browser.js'
import { startTestLab, type TestLab } from '../helpers/lab.js'
import { authorizeInBrowser } from './authorize-in-browser.js'

const ALICE = { username: 'alice', password: 'alice-password' }
// Where an MCP client on this machine listens for its callback (RFC 8252 §7.3).
const REDIRECT = 'http://127.0.0.1:43112/oauth/callback'

let lab: TestLab
beforeAll(async () => {
  lab = await startTestLab()
})
afterAll(() => lab?.close())

const issuer = () => lab.config.auth.publicUrl

async function discovered() {
  const metadata = await discoverAuthorizationServerMetadata(issuer())
  if (!metadata) throw new Error('no metadata discovered')
  return metadata
}

describe('the MCP TypeScript SDK against the lab', () => {
  it('discovers the registration endpoint and metadata-document support', async () => {
    const metadata = await discovered()
    expect(metadata.registration_endpoint).toBe(`${issuer()}/register`)
    expect(metadata.code_challenge_methods_supported).toEqual(['S256'])
    expect((metadata as Record<string, unknown>).client_id_metadata_document_supported).toBe(true)
  })

  it('registers a public client with registerClient, then runs the flow with startAuthorization and exchangeAuthorization', async () => {
    const metadata = await discovered()
    const client = await registerClient(issuer(), {
      metadata,
      clientMetadata: {
        client_name: 'MCP SDK test client',
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
      scope: 'foo',
    })
    expect(client.client_id).toMatch(/^dyn-/)
    expect(client.client_secret).toBeUndefined()

    const { authorizationUrl, codeVerifier } = await startAuthorization(issuer(), {
      metadata,
      clientInformation: client,
      redirectUrl: REDIRECT,
      scope: 'foo',
    })
    const callback = await authorizeInBrowser(httpBrowser(), authorizationUrl, ALICE)
    expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT)
    const code = callback.searchParams.get('code')
    expect(code).toBeTruthy()

    const tokens = await exchangeAuthorization(issuer(), {
      metadata,
      clientInformation: client,
      authorizationCode: code ?? '',
      codeVerifier,
      redirectUri: REDIRECT,
    })
    expect(tokens.token_type).toBe('Bearer')
    expect(tokens.scope).toBe('foo')
    expect(tokens.refresh_token).toBeTruthy()
  })

  it('registers a confidential client: the SDK reads its secret and the secret authenticates it', async () => {
    const metadata = await discovered()
    const client = await registerClient(issuer(), {
      metadata,
      clientMetadata: { client_name: 'Confidential MCP client', redirect_uris: ['https://mcp.example.test/callback'] },
    })
    expect(client.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(client.client_secret_expires_at).toBe(0)
  })

  it("surfaces the lab's RFC 7591 error for a refused redirect URI", async () => {
    const metadata = await discovered()
    await expect(
      registerClient(issuer(), { metadata, clientMetadata: { redirect_uris: ['http://evil.example.test/cb'] } }),
    ).rejects.toThrow(/plain http on a host that is not loopback/)
  })
})

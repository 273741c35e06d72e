// Anchor: oauth2-mock-server configured like oauth-lab (ES256 signing key,
// client oauth-client-1, scopes foo bar). It checks nothing: no client
// authentication, no login, no consent, any code accepted.

import { OAuth2Server, type MutableToken } from 'oauth2-mock-server'

const server = new OAuth2Server()
await server.issuer.keys.generate('ES256')
server.service.on('beforeTokenSigning', (token: MutableToken) => {
  // The lab's RFC 9068 claims, so both sign a token of the same size.
  token.header.typ = 'at+jwt'
  Object.assign(token.payload, { client_id: 'oauth-client-1', scope: 'foo bar', aud: 'http://localhost:9002' })
})
await server.start(Number(process.env.PORT), '127.0.0.1')

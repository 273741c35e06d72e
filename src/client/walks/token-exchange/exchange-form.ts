// The token exchange request's form (RFC 8693 §2.1), as the walk and its
// Break-it attacks send it: the lab takes and issues access tokens only.

import { TOKEN_EXCHANGE_GRANT } from '../../../shared/enumerations.js'

/** RFC 8693 §3: the token type of an OAuth access token. */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token'

export function exchangeForm(subjectToken: string, resource: string, actorToken?: string): Record<string, string> {
  return {
    grant_type: TOKEN_EXCHANGE_GRANT,
    subject_token: subjectToken,
    subject_token_type: ACCESS_TOKEN_TYPE,
    resource,
    ...(actorToken === undefined ? {} : { actor_token: actorToken, actor_token_type: ACCESS_TOKEN_TYPE }),
  }
}

// What every answer of the back-channel endpoints (/token, /introspect, /revoke) must be, whatever was
// asked (RFC 6749 §5.1, §5.2; RFC 7009 §2.2.1): the checks the token and introspection/revocation fuzz tests share.

import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { ERROR_TEXT, check, type Exchange } from './arbitraries.js'

/** Sends a fuzzed request to the authorization server as a POST, over inject(). */
export function post(app: FastifyInstance, req: Exchange): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: req.url, headers: req.headers, payload: req.payload })
}

/** Never a 5xx, only 200, 400, 401 or 413, and never cached (RFC 6749 §5.1). */
export function checkStatusAndNoStore(req: Exchange, res: LightMyRequestResponse): void {
  check(res.statusCode < 500, 'no 5xx', req, res)
  check([200, 400, 401, 413].includes(res.statusCode), 'status 200, 400, 401 or 413', req, res)
  check(res.headers['cache-control'] === 'no-store', 'Cache-Control: no-store (RFC 6749 §5.1)', req, res)
  check(res.headers['pragma'] === 'no-cache', 'Pragma: no-cache (RFC 6749 §5.1)', req, res)
}

/** The answer's JSON body; a body that is not JSON fails the check. */
export function jsonBody(req: Exchange, res: LightMyRequestResponse): Record<string, unknown> {
  try {
    return res.json()
  } catch {
    check(false, 'a JSON body', req, res)
    return {}
  }
}

/**
 * An RFC 6749 §5.2 error body: one of `errors`, an error_description of the allowed characters,
 * 401 exactly when the error is invalid_client, and after an Authorization header a challenge
 * of the scheme supported (Basic). Returns the error code.
 */
export function checkErrorBody(
  req: Exchange,
  res: LightMyRequestResponse,
  body: Record<string, unknown>,
  errors: readonly string[],
): string {
  const error = body.error
  check(
    typeof error === 'string' && errors.includes(error),
    `an RFC 6749 §5.2 error code (${errors.join(', ')})`,
    req,
    res,
  )
  check(
    ERROR_TEXT.test(typeof body.error_description === 'string' ? body.error_description : ''),
    'error_description limited to %x20-21 / %x23-5B / %x5D-7E',
    req,
    res,
  )
  check(
    (res.statusCode === 401) === (error === 'invalid_client'),
    '401 exactly when the error is invalid_client',
    req,
    res,
  )
  if (res.statusCode === 401 && req.headers?.authorization !== undefined) {
    check(
      /^Basic /.test(String(res.headers['www-authenticate'] ?? '')),
      'WWW-Authenticate: Basic on 401 after an Authorization header',
      req,
      res,
    )
  }
  return error as string
}

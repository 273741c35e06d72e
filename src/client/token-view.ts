// Turns the stored token response (and a resource answer) into plain display
// data for views/client/authenticated.eta.

import { decodeJwt, decodeProtectedHeader } from 'jose'
import type { ResourceResult, TokenResponse } from './oauth-client.js'

export interface TokenView {
  readonly accessToken: string
  readonly tokenType: string
  readonly expiresIn?: number
  readonly scope?: string
  readonly refreshTokenIssued: boolean
  /** Pretty JSON of the JOSE header and claims, or undefined when the token is not a JWT. */
  readonly jwtHeader?: string
  readonly jwtClaims?: string
}

export interface ResourceAnswerView {
  readonly status: number
  readonly wwwAuthenticate?: string
  readonly body: string
}

/**
 * RFC 9068 §6: the client MUST NOT depend on what is inside the access token.
 * It is decoded here for DISPLAY only; nothing else reads these values.
 */
export function tokenView(token: TokenResponse): TokenView {
  return {
    accessToken: token.access_token,
    tokenType: token.token_type,
    expiresIn: token.expires_in,
    scope: token.scope,
    refreshTokenIssued: token.refresh_token !== undefined,
    ...decodeForDisplay(token.access_token),
  }
}

function decodeForDisplay(accessToken: string): { jwtHeader?: string; jwtClaims?: string } {
  try {
    return {
      jwtHeader: pretty(decodeProtectedHeader(accessToken)),
      jwtClaims: pretty(decodeJwt(accessToken)),
    }
  } catch {
    return {}
  }
}

export function resourceAnswerView(result: Extract<ResourceResult, { reachable: true }>): ResourceAnswerView {
  return {
    status: result.status,
    wwwAuthenticate: result.wwwAuthenticate,
    body: typeof result.body === 'string' ? result.body : pretty(result.body),
  }
}

function pretty(value: unknown): string {
  return JSON.stringify(value, null, 2)
}

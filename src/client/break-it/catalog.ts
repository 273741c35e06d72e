// The attacks and mistakes of "Break it", in the order the issue lists them.

import type { Attack } from './attack.js'
import { tokenForAnotherAudience } from './audience-attacks.js'
import { consentDenied, forgedState } from './browser-attacks.js'
import { codeInjection, mixUp } from './callback-attacks.js'
import { dpopOtherKey, dpopProofForOtherUrl, dpopReplayedProof, dpopTokenAsBearer } from './dpop-attacks.js'
import { deviceCodeExpired, deviceGuessedUserCode, devicePollingTooFast } from './device-attacks.js'
import { mcpConfusedDeputy, mcpLyingMetadataDocument, mcpTokenForOtherResource } from './mcp-attacks.js'
import { refreshTokenReuse } from './refresh-attacks.js'
import { openRedirect } from './redirect-attacks.js'
import { parRequestUriOtherClient, parRequestUriReplayed } from './par-attacks.js'
import { expiredToken, tokenWithoutFoo } from './resource-attacks.js'
import { spaCodeWithoutVerifier } from './spa-attacks.js'
import {
  missingPkceVerifier,
  redirectUriChanged,
  replayedCode,
  wrongClientSecret,
  wrongPkceVerifier,
} from './token-endpoint-attacks.js'
import { algNoneJwt, tamperedJwt } from './token-forgery-attacks.js'
import { idTokenAtUserinfo, publicClientCredentials } from './walk-mistakes.js'
import { tokenExchangeAudienceNotAllowed, tokenExchangeNotAToken } from './token-exchange-attacks.js'

export const ATTACKS: readonly Attack[] = [
  forgedState,
  replayedCode,
  redirectUriChanged,
  wrongClientSecret,
  missingPkceVerifier,
  wrongPkceVerifier,
  expiredToken,
  tokenWithoutFoo,
  consentDenied,
  // Forged and misdirected tokens, an open redirect, injected and mixed-up callbacks.
  tamperedJwt,
  algNoneJwt,
  tokenForAnotherAudience,
  openRedirect,
  codeInjection,
  mixUp,
  // The walk-throughs' flows (src/client/walks/).
  spaCodeWithoutVerifier,
  idTokenAtUserinfo,
  refreshTokenReuse,
  publicClientCredentials,
  dpopTokenAsBearer,
  dpopReplayedProof,
  dpopProofForOtherUrl,
  dpopOtherKey,
  devicePollingTooFast,
  deviceGuessedUserCode,
  deviceCodeExpired,
  parRequestUriReplayed,
  parRequestUriOtherClient,
  tokenExchangeAudienceNotAllowed,
  tokenExchangeNotAToken,
  mcpTokenForOtherResource,
  mcpConfusedDeputy,
  mcpLyingMetadataDocument,
]

export function findAttack(name: string): Attack | undefined {
  return ATTACKS.find((attack) => attack.name === name)
}

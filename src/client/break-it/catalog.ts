// The attacks and mistakes of "Break it", in the order the issue lists them.

import type { Attack } from './attack.js'
import { consentDenied, forgedState } from './browser-attacks.js'
import { deviceCodeExpired, deviceGuessedUserCode, devicePollingTooFast } from './device-attacks.js'
import { mcpConfusedDeputy, mcpLyingMetadataDocument, mcpTokenForOtherResource } from './mcp-attacks.js'
import { expiredToken, tokenWithoutFoo } from './resource-attacks.js'
import {
  missingPkceVerifier,
  redirectUriChanged,
  replayedCode,
  wrongClientSecret,
  wrongPkceVerifier,
} from './token-endpoint-attacks.js'

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
  mcpTokenForOtherResource,
  mcpConfusedDeputy,
  mcpLyingMetadataDocument,
  devicePollingTooFast,
  deviceGuessedUserCode,
  deviceCodeExpired,
]

export function findAttack(name: string): Attack | undefined {
  return ATTACKS.find((attack) => attack.name === name)
}

// Step-through mode's long-lived code. A teacher who talks about step 4 for
// five minutes must still be able to send step 5, yet the lab's authorization
// server stays strict (60 s by default) for every other request. So the client
// app, in step-through mode only, asks for a longer lifetime with a lab-only
// authorization request parameter; the authorization server honours it only
// for the lab's own client app and never beyond 10 minutes. Both roles read
// this rule, so the client can tell the learner when its code expires.

/** The lab-only authorization request parameter: the code lifetime asked for, in seconds. */
export const CODE_LIFETIME_PARAM = 'lab_code_lifetime'

/** RFC 6749 §4.1.2: "A maximum authorization code lifetime of 10 minutes is RECOMMENDED." */
export const MAX_CODE_LIFETIME_SECONDS = 600

/** What the client app asks for in step-through mode: the most the rule allows. */
export const STEP_THROUGH_CODE_LIFETIME_SECONDS = MAX_CODE_LIFETIME_SECONDS

/**
 * The lifetime a code is given when `asked` was sent by a client that may ask:
 * at least the configured lifetime (asking never shortens it), at most 10
 * minutes. A value that is not a whole number of seconds is not a request.
 */
export function grantedCodeLifetime(configuredSeconds: number, asked: string | undefined): number {
  if (asked === undefined || !/^\d{1,6}$/.test(asked)) return configuredSeconds
  return Math.max(configuredSeconds, Math.min(Number(asked), MAX_CODE_LIFETIME_SECONDS))
}

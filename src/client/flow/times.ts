// The times in a JWT, as a learner reads them: "issued 2 min ago", "expires in
// 59 min", next to the raw NumericDate (RFC 7519 §2: seconds since the epoch),
// which says nothing to someone who is not a computer.

export interface TimeNote {
  readonly claim: string
  /** The raw NumericDate, as in the token. */
  readonly raw: number
  /** The same instant in UTC, e.g. 2026-11-30 08:50:12 UTC. */
  readonly utc: string
  /** Relative to when the page was drawn, e.g. "expires in 59 min". */
  readonly relative: string
}

// RFC 7519 §4.1.4-4.1.6 (exp, nbf, iat); OpenID Connect Core §2 (auth_time).
const WORDS: ReadonlyArray<[claim: string, past: string, future: string]> = [
  ['iat', 'issued', 'issued'],
  ['nbf', 'valid since', 'valid from'],
  ['exp', 'expired', 'expires'],
  ['auth_time', 'signed in', 'signed in'],
]

export function claimTimes(claims: Record<string, unknown>, now = Date.now()): TimeNote[] {
  const notes: TimeNote[] = []
  for (const [claim, past, future] of WORDS) {
    const raw = claims[claim]
    if (typeof raw !== 'number' || !Number.isFinite(raw)) continue
    const at = raw * 1000
    notes.push({ claim, raw, utc: utcText(at), relative: relative(at - now, past, future) })
  }
  return notes
}

function relative(deltaMs: number, past: string, future: string): string {
  if (Math.abs(deltaMs) < 5_000) return `${past} just now`
  return deltaMs < 0 ? `${past} ${duration(-deltaMs)} ago` : `${future} in ${duration(deltaMs)}`
}

/** A rough duration: seconds under a minute, then minutes, hours, days. */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s} s`
  const min = Math.round(s / 60)
  if (min < 120) return `${min} min`
  const h = Math.round(min / 60)
  if (h < 48) return `${h} h`
  return `${Math.round(h / 24)} days`
}

function utcText(ms: number): string {
  const date = new Date(ms)
  return Number.isNaN(date.getTime()) ? 'not a valid date' : `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`
}

// Scopes are space-delimited, case-sensitive strings (RFC 6749 §3.3).

/** The distinct scope tokens of a scope string, in order. */
export function parseScope(scope: string | undefined): string[] {
  if (!scope) return []
  return [...new Set(scope.split(' ').filter(Boolean))]
}

export function formatScope(scopes: readonly string[]): string {
  return scopes.join(' ')
}

/** True when every requested scope is among the granted ones. */
export function scopeCovers(granted: readonly string[], requested: readonly string[]): boolean {
  return requested.every((s) => granted.includes(s))
}

// What a resource server's identifier must look like (RFC 8707 §2): read by
// the configuration checks and by the authorization server's `resource`
// parameter, so that both say the same thing.

/** RFC 8707 §2: an absolute URI, without a fragment. Undefined when it is one. */
export function resourceIdentifierProblem(raw: string): string | undefined {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return 'must be an absolute URI (RFC 8707 section 2)'
  }
  if (raw.includes('#') || url.hash) return 'must not have a fragment (RFC 8707 section 2)'
  return undefined
}

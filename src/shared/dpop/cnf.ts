// RFC 9449 §6: a DPoP-bound access token says which key it is bound to in its
// confirmation claim (RFC 7800), as `cnf: { jkt }`: in the JWT (§6.1) and in
// introspection answers (§6.2).

/** The confirmation of a token bound to a DPoP key. */
export interface DpopConfirmation {
  readonly jkt: string
}

/** The `cnf` claim's DPoP binding, if the value is one. */
export function dpopConfirmation(cnf: unknown): DpopConfirmation | undefined {
  if (typeof cnf !== 'object' || cnf === null) return undefined
  const { jkt } = cnf as { readonly jkt?: unknown }
  return typeof jkt === 'string' && jkt.length > 0 ? { jkt } : undefined
}

// Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document,
// the MCP authorization spec's preferred way for a client to identify
// itself): a client_id that is an https URL names a JSON document, published
// by the client, that says what client it is. The lab fetches it when the
// client_id is used, with a timeout, a size limit and no redirects, checks it
// and keeps it in a bounded cache.

import { normaliseClient } from '../../shared/builtin-data.js'
import type { ClientRegistration, ScopeDefinition } from '../../shared/config.js'
import { clientInputOf, readClientMetadata, RegistrationError } from './client-metadata.js'

/** How a document is fetched and kept; the defaults are DOCUMENT_LIMITS. */
export interface DocumentLimits {
  /** A document server slower than this ends the request on an error page, never a hang. */
  readonly timeoutMs: number
  /** CIMD §6.6 (SHOULD limit the size): 5 KiB is the draft's own figure. */
  readonly maxBytes: number
  /** Documents kept at once; at the cap the oldest goes (and its client with it). */
  readonly maxDocuments: number
  /** Freshness without Cache-Control max-age; max-age is honoured between 0 and maxFreshSeconds. */
  readonly defaultFreshSeconds: number
  readonly maxFreshSeconds: number
}

export const DOCUMENT_LIMITS: DocumentLimits = {
  timeoutMs: 3000,
  maxBytes: 5 * 1024,
  maxDocuments: 100,
  defaultFreshSeconds: 300,
  maxFreshSeconds: 3600,
}

/** Whether a client_id names a metadata document rather than a registered client. */
export function isDocumentClientId(clientId: string): boolean {
  return clientId.startsWith('https://') || clientId.startsWith('http://')
}

export type DocumentResolution =
  | { readonly ok: true }
  /**
   * 400: a document arrived and is not acceptable (its client_id or metadata).
   * 502: no usable document arrived (unreachable, slow, not 200, a redirect,
   * too big, not JSON): the server acted as a gateway to the client's
   * document and got no valid answer (RFC 9110 §15.6.3).
   */
  | { readonly ok: false; readonly status: 400 | 502; readonly message: string }

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * CIMD §3: the client_id URL uses https, has a path, no dot segments, no
 * fragment, no user name or password. The lab also takes plain http on a
 * loopback host (localhost, 127.0.0.1, [::1]), as it serves plain http itself.
 */
export function documentUrlProblem(clientId: string): string | undefined {
  let url: URL
  try {
    url = new URL(clientId)
  } catch {
    return 'is not a valid URL'
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)))
    return 'must use https (plain http only on localhost or a loopback IP, in this lab)'
  if (clientId.includes('#')) return 'must not have a fragment'
  if (url.username !== '' || url.password !== '') return 'must not carry a user name or password'
  if (url.pathname === '/' || url.pathname === '') return 'must have a path'
  // The URL parser removes dot segments, so a client_id that had any differs from its parsed form.
  if (/\/\.\.?(\/|$|\?)/.test(clientId)) return 'must not contain "." or ".." path segments'
  return undefined
}

/** The document's freshness in seconds, from Cache-Control max-age within the bounds. */
function freshSeconds(cacheControl: string | null, limits: DocumentLimits): number {
  if (cacheControl === null) return limits.defaultFreshSeconds
  if (/(^|,)\s*(no-store|no-cache)\s*(,|$)/i.test(cacheControl)) return 0
  const maxAge = /(^|,)\s*max-age\s*=\s*"?(\d{1,10})"?\s*(,|$)/i.exec(cacheControl)?.[2]
  if (maxAge === undefined) return limits.defaultFreshSeconds
  return Math.min(Number(maxAge), limits.maxFreshSeconds)
}

type Fetched =
  | { readonly ok: true; readonly document: unknown; readonly freshSeconds: number }
  | { readonly ok: false; readonly message: string }

/** Reads at most `max` bytes of the body; undefined when there are more. */
async function readBounded(response: Response, max: number): Promise<Buffer | undefined> {
  const reader = response.body?.getReader()
  if (!reader) return Buffer.alloc(0)
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return Buffer.concat(chunks)
    size += value.byteLength
    if (size > max) {
      await reader.cancel()
      return undefined
    }
    chunks.push(value)
  }
}

/** GET the document: JSON only, no redirects followed, within the timeout and the size limit. */
async function fetchDocument(url: string, limits: DocumentLimits): Promise<Fetched> {
  const seconds = limits.timeoutMs / 1000
  try {
    const response = await fetch(url, {
      headers: { accept: 'application/json' },
      // CIMD §4: the document is at the client_id itself, so a redirect is never followed.
      redirect: 'manual',
      // The signal bounds the whole exchange: connecting, headers and body.
      signal: AbortSignal.timeout(limits.timeoutMs),
    })
    if (response.status !== 200) {
      await response.body?.cancel()
      const redirect = response.status >= 300 && response.status < 400
      return {
        ok: false,
        message: redirect
          ? `The document server answered a redirect (${response.status}); redirects are not followed: the document must be at the client_id URL itself.`
          : `The document server answered ${response.status}, not 200.`,
      }
    }
    const type = response.headers.get('content-type') ?? ''
    if (!/^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i.test(type)) {
      await response.body?.cancel()
      return { ok: false, message: `The document is not JSON (Content-Type "${type.slice(0, 100)}").` }
    }
    const declared = Number(response.headers.get('content-length') ?? '0')
    const body = declared > limits.maxBytes ? undefined : await readBounded(response, limits.maxBytes)
    if (body === undefined) {
      await response.body?.cancel().catch(() => undefined)
      return { ok: false, message: `The document is larger than ${limits.maxBytes} bytes.` }
    }
    let document: unknown
    try {
      document = JSON.parse(body.toString('utf8'))
    } catch {
      return { ok: false, message: 'The document is not valid JSON.' }
    }
    return { ok: true, document, freshSeconds: freshSeconds(response.headers.get('cache-control'), limits) }
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
    return {
      ok: false,
      message: timedOut
        ? `The document server did not answer within ${seconds} s.`
        : 'The document server could not be reached.',
    }
  }
}

/**
 * The client a document describes, or why it is refused (CIMD §4.1): its
 * client_id must equal the URL exactly; no client secret; a public client
 * (token_endpoint_auth_method none, with PKCE); its redirect URIs and other
 * metadata pass the same checks as a registration.
 */
export function clientOfDocument(
  url: string,
  document: unknown,
  scopes: readonly ScopeDefinition[],
): ClientRegistration | string {
  if (typeof document !== 'object' || document === null || Array.isArray(document))
    return 'The document is not a JSON object.'
  const fields = document as Record<string, unknown>
  if (fields.client_id !== url)
    return `The document's client_id (${JSON.stringify(fields.client_id ?? null).slice(0, 200)}) is not the URL it was fetched from (${url}): the document does not describe this client.`
  // CIMD §4.1: a published document cannot hold a shared secret.
  if (fields.client_secret !== undefined || fields.client_secret_expires_at !== undefined)
    return 'The document holds a client_secret: a published document cannot keep a secret, so it must not have one.'
  const method = fields.token_endpoint_auth_method
  if (method === 'client_secret_basic' || method === 'client_secret_post')
    return `token_endpoint_auth_method "${method}" needs a shared secret, which a published document cannot hold: use "none" (with PKCE).`
  try {
    const metadata = readClientMetadata(fields, scopes, 'none')
    return normaliseClient(clientInputOf(url, metadata))
  } catch (error) {
    if (error instanceof RegistrationError) return `The document's metadata is not valid: ${error.description}`
    throw error
  }
}

interface CachedDocument {
  readonly freshUntil: number
}

/** The registry's side of the cache: where a document's client goes, and goes away. */
export interface DocumentClients {
  put(client: ClientRegistration): void
  remove(clientId: string): void
}

/**
 * Resolves URL client_ids: a fresh document is taken from the cache, a stale
 * or unknown one fetched (one fetch at a time per URL). A client stays known
 * to the registry until the cache drops it, so a flow under way finishes with
 * the document it started with even if a later fetch fails.
 */
export function createDocumentResolver(
  clients: DocumentClients,
  scopes: readonly ScopeDefinition[],
  now: () => number,
  limits: DocumentLimits = DOCUMENT_LIMITS,
) {
  const cache = new Map<string, CachedDocument>()
  const pending = new Map<string, Promise<DocumentResolution>>()

  function keep(client: ClientRegistration, freshSeconds: number): void {
    cache.delete(client.clientId)
    while (cache.size >= limits.maxDocuments) {
      const oldest = cache.keys().next().value
      if (oldest === undefined) break
      cache.delete(oldest)
      clients.remove(oldest)
    }
    cache.set(client.clientId, { freshUntil: now() + freshSeconds * 1000 })
    clients.put(client)
  }

  async function load(url: string): Promise<DocumentResolution> {
    const fetched = await fetchDocument(url, limits)
    if (!fetched.ok)
      return {
        ok: false,
        status: 502,
        message: `The client metadata document at ${url} could not be used. ${fetched.message}`,
      }
    const client = clientOfDocument(url, fetched.document, scopes)
    if (typeof client === 'string') return { ok: false, status: 400, message: client }
    keep(client, fetched.freshSeconds)
    return { ok: true }
  }

  return {
    /** For a URL client_id: fetch its document unless a fresh one is cached. Other client_ids: ok at once. */
    resolve(clientId: string): Promise<DocumentResolution> {
      if (!isDocumentClientId(clientId)) return Promise.resolve({ ok: true })
      const problem = documentUrlProblem(clientId)
      if (problem !== undefined)
        return Promise.resolve({
          ok: false,
          status: 400,
          message: `The client_id URL ${problem} (OAuth Client ID Metadata Document section 3).`,
        })
      const cached = cache.get(clientId)
      if (cached && cached.freshUntil > now()) return Promise.resolve({ ok: true })
      const running = pending.get(clientId)
      if (running) return running
      const started = load(clientId).finally(() => pending.delete(clientId))
      pending.set(clientId, started)
      return started
    },
    /** Forgets a document (the admin page's remove). */
    forget(clientId: string): boolean {
      clients.remove(clientId)
      return cache.delete(clientId)
    },
    size: () => cache.size,
  }
}

export type DocumentResolver = ReturnType<typeof createDocumentResolver>

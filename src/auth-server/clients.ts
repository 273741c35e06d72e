// The client registry: every client the authorization server knows, from
// three sources. The configured ones (config file, startLab options, the
// built-in ones); those registered at POST /register (RFC 7591), kept in the
// store and loaded back at start; and Client ID Metadata Documents, fetched
// when a URL client_id is used and kept in a bounded cache
// (registration/metadata-document.ts). Everything that reads clients asks
// `get`, whatever the source.

import { normaliseClient, type ClientInput } from '../shared/builtin-data.js'
import type { ClientRegistration, LabConfig } from '../shared/config.js'
import { labOriginCheck, type OriginCheck } from '../shared/cors.js'
import { clientInputOf, readClientMetadata } from './registration/client-metadata.js'
import {
  createDocumentResolver,
  DOCUMENT_LIMITS,
  type DocumentLimits,
  type DocumentResolution,
} from './registration/metadata-document.js'
import type { AuthStore } from './store/auth-store.js'

/** Where a client comes from: the configuration, `add` (the test API), POST /register, or a metadata document. */
export type ClientSource = 'config' | 'added' | 'dynamic' | 'metadata-document'

export interface ClientEntry {
  readonly client: ClientRegistration
  readonly source: ClientSource
  /** Milliseconds since the epoch. */
  readonly addedAt: number
}

export interface ClientRegistry {
  get(clientId: string): ClientRegistration | undefined
  /** Every client, in the order they were added. */
  values(): ClientRegistration[]
  /** Every client with its source, in the order they were added. */
  entries(): ClientEntry[]
  /**
   * Adds a client written as in a config file (normaliseClient fills in the
   * defaults); one of the same client_id is replaced. The registration.
   */
  add(input: ClientInput, source?: Exclude<ClientSource, 'config'>): ClientRegistration
  /** Forgets a client; false if unknown. The store is not touched (see registration/dynamic-clients.ts). */
  remove(clientId: string): boolean
  /**
   * Makes a URL client_id known: fetches its Client ID Metadata Document
   * unless a fresh one is cached. Any other client_id resolves at once
   * (`get` then says whether it is known).
   */
  resolve(clientId: string): Promise<DocumentResolution>
  /**
   * CORS: whether any client's web origin is this one (registered and
   * metadata-document clients included, as they come and go).
   */
  readonly allowsOrigin: OriginCheck
}

/**
 * The registry of `config`'s clients and, with a store, the clients
 * registered in an earlier run. A stored client whose metadata no longer
 * passes the checks (a scope since removed from the configuration) is left
 * out: it is unknown until registered again.
 */
export function createClientRegistry(
  config: LabConfig,
  options: { readonly store?: AuthStore; readonly now?: () => number; readonly documents?: DocumentLimits } = {},
): ClientRegistry {
  const now = options.now ?? Date.now
  const entries = new Map<string, ClientEntry>()
  // Rebuilt on first use after a change: most requests carry no Origin and never ask.
  let originCheck: OriginCheck | undefined
  const changed = () => void (originCheck = undefined)
  const documents = createDocumentResolver(
    {
      put: (client) => {
        entries.delete(client.clientId)
        entries.set(client.clientId, { client, source: 'metadata-document', addedAt: now() })
        changed()
      },
      remove: (clientId) => {
        entries.delete(clientId)
        changed()
      },
    },
    config.scopes,
    now,
    options.documents ?? DOCUMENT_LIMITS,
  )
  for (const client of config.clients) entries.set(client.clientId, { client, source: 'config', addedAt: now() })
  for (const stored of options.store?.listClients() ?? []) {
    try {
      const metadata = readClientMetadata(stored.metadata, config.scopes)
      const secret = typeof stored.metadata.client_secret === 'string' ? stored.metadata.client_secret : undefined
      const client = normaliseClient(clientInputOf(stored.clientId, metadata, secret))
      entries.set(stored.clientId, { client, source: 'dynamic', addedAt: stored.issuedAt * 1000 })
    } catch {
      continue
    }
  }
  return {
    get: (clientId) => entries.get(clientId)?.client,
    values: () => [...entries.values()].map((e) => e.client),
    entries: () => [...entries.values()],
    add(input, source = 'added') {
      const client = normaliseClient(input)
      entries.delete(client.clientId)
      entries.set(client.clientId, { client, source, addedAt: now() })
      changed()
      return client
    },
    remove(clientId) {
      const known = entries.delete(clientId)
      documents.forget(clientId)
      changed()
      return known
    },
    resolve(clientId) {
      // A configured or registered client whose id happens to be a URL is never replaced by a document.
      const source = entries.get(clientId)?.source
      if (source !== undefined && source !== 'metadata-document') return Promise.resolve({ ok: true })
      return documents.resolve(clientId)
    },
    allowsOrigin(origin) {
      originCheck ??= labOriginCheck([...entries.values()].map((e) => e.client))
      return originCheck(origin)
    },
  }
}

export function isPublicClient(client: ClientRegistration): boolean {
  return client.clientSecret === undefined
}

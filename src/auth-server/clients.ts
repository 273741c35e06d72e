import type { ClientRegistration, LabConfig } from '../shared/config.js'

export type ClientRegistry = ReadonlyMap<string, ClientRegistration>

export function createClientRegistry(config: LabConfig): ClientRegistry {
  return new Map(config.clients.map((c) => [c.clientId, c]))
}

export function isPublicClient(client: ClientRegistration): boolean {
  return client.clientSecret === undefined
}

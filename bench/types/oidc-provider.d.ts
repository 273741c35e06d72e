// oidc-provider 8 ships no types (DefinitelyTyped's are for 9): only what the
// anchor uses.
declare module 'oidc-provider' {
  import type { Server } from 'node:http'

  export interface GrantInstance {
    addResourceScope(resource: string, scope: string): void
    save(): Promise<string>
  }

  export interface KoaContextWithOIDC {
    oidc: {
      client?: { clientId: string }
      session?: {
        accountId?: string
        grantIdFor(clientId: string, grantId?: string): string | undefined
        ensureClientContainer(clientId: string): void
      }
      result?: { consent?: { grantId?: string } }
      provider: Provider
    }
  }

  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>)
    Grant: {
      new (fields: { accountId: string; clientId: string }): GrantInstance
      find(id: string): Promise<GrantInstance | undefined>
    }
    proxy: boolean
    listen(port: number, host: string, callback?: () => void): Server
    on(event: string, listener: (...args: unknown[]) => void): this
  }
}

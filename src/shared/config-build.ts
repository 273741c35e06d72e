// The LabConfig every server reads, built from merged settings: each value
// from its sources or the table's default; URLs from ports; clients and
// users completed (builtin-data.ts); random session secrets unless given.

import { randomBytes } from 'node:crypto'
import {
  BUILTIN_RESOURCE_CLIENT_ID,
  BUILTIN_SCOPES,
  BUILTIN_USERS,
  REQUIRED_SCOPE,
  normaliseClient,
  normaliseResource,
  normaliseUser,
  registeredClients,
  registeredResources,
} from './builtin-data.js'
import type { LabConfig } from './config-types.js'
import { readOrCreateLabKey } from './lab-key-file.js'
import { SETTINGS, type SettingId, type SettingInput, type SettingValues } from './settings.js'

/** A setting's value, or its default in the table. */
function valueOf<K extends SettingId>(v: SettingInput, id: K): SettingValues[K] {
  const value = v[id] ?? SETTINGS[id].default
  if (value === undefined) throw new Error(`the setting ${id} has no default`)
  return value
}

/** A URL setting, or `http://<host>:<port>` from its port. */
export function urlOf(
  v: SettingInput,
  id: 'authPublicUrl' | 'authInternalUrl' | 'resourcePublicUrl' | 'resourceInternalUrl' | 'clientPublicUrl',
): string {
  const from = SETTINGS[id].defaultUrl
  return v[id] ?? `http://${from?.host ?? 'localhost'}:${valueOf(v, from?.port ?? 'authPort')}`
}

/** Sessions end with the process unless a secret is given: what a lab wants by default. */
const secretOf = (given: string | undefined) => given ?? randomBytes(32).toString('base64url')

/** LAB_KEY as given, else the one in LAB_KEY_FILE (made there if need be), else random. */
function labKeyOf(v: SettingInput): Pick<LabConfig, 'labKey' | 'labKeyOrigin'> {
  if (v.labKey !== undefined) return { labKey: v.labKey, labKeyOrigin: 'given' }
  if (v.labKeyFile !== undefined) return { labKey: readOrCreateLabKey(v.labKeyFile).key, labKeyOrigin: 'file' }
  return { labKey: secretOf(undefined), labKeyOrigin: 'random' }
}

export function buildConfig(v: SettingInput): LabConfig {
  const clientPublicUrl = urlOf(v, 'clientPublicUrl')
  const clients = registeredClients(
    v.clients,
    v.extraClients ?? [],
    clientPublicUrl,
    urlOf(v, 'resourcePublicUrl'),
  ).map(normaliseClient)
  const clientId = valueOf(v, 'clientAppId')
  const clientSecretOf = (id: string) => clients.find((c) => c.clientId === id)?.clientSecret ?? ''
  const sessionTtlSeconds = valueOf(v, 'sessionTtlSeconds')
  return {
    host: valueOf(v, 'host'),
    logLevel: valueOf(v, 'logLevel'),
    allowInsecureHttp: true,
    inspector: { enabled: valueOf(v, 'inspector'), capacity: valueOf(v, 'inspectorCapacity') },
    auth: {
      port: valueOf(v, 'authPort'),
      publicUrl: urlOf(v, 'authPublicUrl'),
      internalUrl: urlOf(v, 'authInternalUrl'),
      codeTtlSeconds: valueOf(v, 'codeTtlSeconds'),
      accessTokenTtlSeconds: valueOf(v, 'accessTokenTtlSeconds'),
      refreshTokenTtlSeconds: valueOf(v, 'refreshTokenTtlSeconds'),
      signingAlg: valueOf(v, 'signingAlg'),
      sessionSecret: secretOf(v.authSessionSecret),
      sessionTtlSeconds,
      ...(v.autoLogin === undefined ? {} : { autoLogin: v.autoLogin }),
      honourLoginHint: valueOf(v, 'loginHint'),
      labAdmin: valueOf(v, 'labAdmin'),
      store: valueOf(v, 'store'),
      deviceCodeTtlSeconds: valueOf(v, 'deviceCodeTtlSeconds'),
      devicePollIntervalSeconds: valueOf(v, 'devicePollIntervalSeconds'),
      dpopNonce: valueOf(v, 'dpopNonce'),
      ...(v.scenarios === undefined || v.scenarios.length === 0 ? {} : { scenarios: v.scenarios }),
    },
    resource: {
      port: valueOf(v, 'resourcePort'),
      publicUrl: urlOf(v, 'resourcePublicUrl'),
      internalUrl: urlOf(v, 'resourceInternalUrl'),
      tokenCheck: valueOf(v, 'tokenCheck'),
      requiredScope: REQUIRED_SCOPE,
      introspectionClientId: BUILTIN_RESOURCE_CLIENT_ID,
      introspectionClientSecret: clientSecretOf(BUILTIN_RESOURCE_CLIENT_ID),
      dpopNonce: valueOf(v, 'dpopNonce'),
    },
    client: {
      port: valueOf(v, 'clientPort'),
      publicUrl: clientPublicUrl,
      clientId,
      clientSecret: clientSecretOf(clientId),
      scope: valueOf(v, 'clientAppScope'),
      sessionSecret: secretOf(v.clientSessionSecret),
      sessionTtlSeconds,
    },
    clients,
    users: (v.users ?? BUILTIN_USERS).map(normaliseUser),
    scopes: v.scopes ?? BUILTIN_SCOPES,
    resources: registeredResources(v.resources, urlOf(v, 'resourcePublicUrl'), v.scopes ?? BUILTIN_SCOPES).map(
      normaliseResource,
    ),
    ...labKeyOf(v),
    allowedHosts: valueOf(v, 'allowedHosts'),
    workshop: valueOf(v, 'workshop'),
    ...(v.lan === undefined || v.lan === 'off' ? {} : { lanAddress: valueOf(v, 'host') }),
  }
}

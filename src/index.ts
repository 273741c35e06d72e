// The package's programmatic API: the lab as a test dependency.
export { startLab } from './lab.js'
export type { Lab, LabHooks, LabOptions, LabRequest, IssueTokenOptions } from './lab.js'
export type { NextLogin } from './auth-server/lab/next-login.js'
export type { RotateOptions, Rotation } from './auth-server/tokens/keys.js'
export type { LabClock } from './shared/clock.js'
export type {
  AuthServerHooks,
  ClaimsHook,
  HookedRequest,
  HookedResponse,
  HookedRoute,
  HookName,
  ResponseHook,
  TokenGrantType,
  TokenSigningContext,
} from './auth-server/lab/hooks.js'
export type {
  ArmedScenarios,
  DelayTokenEndpoint,
  FailTokenRequests,
  Scenarios,
  TokenFailureError,
} from './auth-server/lab/scenarios.js'
export type { AuthServerDeps } from './auth-server/app.js'
export type {
  ClientRegistration,
  UserAccount,
  ScopeDefinition,
  LabConfig,
  TokenAuthMethod,
  GrantType,
} from './shared/config.js'
export type { ClientInput, UserInput } from './shared/builtin-data.js'
export type { ResourceInput } from './shared/builtin-data.js'
export type { ResourceRegistration } from './shared/config.js'
export type { RecordedExchange } from './shared/flow-recorder.js'
export { buildAuthServer } from './auth-server/app.js'
export { buildResourceServer } from './resource-server/app.js'
export { buildClientApp } from './client/app.js'
export { loadConfig } from './shared/config.js'

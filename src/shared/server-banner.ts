// Where the learner is: every page of the lab says which server it comes from
// (and, where it is known, which of the seven steps), in a banner coloured per
// server. The colour helps; the words say it (WCAG 1.4.1: not colour alone).
// The flow inspector colours and names its exchange cards the same way.

import type { RoleName } from './roles.js'

export const SERVER_TITLES: Readonly<Record<RoleName, string>> = {
  'auth-server': 'Authorization server',
  'resource-server': 'Resource server',
  client: 'Client app',
}

/** The seven steps of "OAuth 2 in Action". */
export const STEP_COUNT = 7

export interface ServerBanner {
  readonly role: RoleName
  /** e.g. "Authorization server (localhost:9001)". */
  readonly text: string
}

export function serverBanner(role: RoleName, publicUrl: string): ServerBanner {
  return { role, text: serverLabel(role, publicUrl) }
}

export function serverLabel(role: RoleName, publicUrl: string): string {
  return `${SERVER_TITLES[role]} (${new URL(publicUrl).host})`
}

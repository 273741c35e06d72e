// The lab's powers are for the person who runs it. Bound to loopback (the
// default) only this machine reaches them; bound beyond it (HOST=0.0.0.0 in a
// container, a LAN address for a workshop) anyone on the network can try. The
// start banner then says so, in one plain line.

import type { LabConfig } from './config.js'

/** Bind addresses that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '')
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
}

/** The lab powers that are on, in the words the warning uses. */
export function powersOn(config: LabConfig): string[] {
  const powers: string[] = []
  if (config.inspector.enabled) powers.push('the flow inspector')
  if (config.auth.labAdmin === true) powers.push('the scenarios (LAB_ADMIN)')
  if (config.auth.autoLogin !== undefined || config.auth.honourLoginHint) {
    powers.push('headless sign-in (AUTO_LOGIN/LOGIN_HINT: codes without a password)')
  }
  return powers
}

/** One warning line when the servers listen beyond loopback with lab powers on; otherwise nothing. */
export function exposureWarning(config: LabConfig): string | undefined {
  if (isLoopbackHost(config.host)) return undefined
  const powers = powersOn(config)
  if (powers.length === 0) return undefined
  return `oauth-lab warning: the servers listen on ${config.host}, reachable beyond this machine, with ${powers.join(', ')} on; keep the lab key to yourself, and see the README's "Security model"`
}

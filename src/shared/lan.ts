// LAN mode (`oauth-lab --lan`): the lab on the machine's LAN address for a
// workshop. Choosing the address is a pure function of the interface list, so
// tests feed a fake list and never touch the machine's real addresses.

import type { NetworkInterfaceInfo } from 'node:os'
import { ConfigError } from './config-error.js'
import type { SettingInput } from './settings.js'

/** What os.networkInterfaces() returns. */
export type InterfaceList = Readonly<Record<string, readonly NetworkInterfaceInfo[] | undefined>>

export interface LanAddress {
  readonly address: string
  readonly interfaceName: string
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/

/** RFC 1918 §3: the private IPv4 ranges 10/8, 172.16/12, 192.168/16. */
export function isPrivateIpv4(address: string): boolean {
  const m = IPV4.exec(address)
  if (m === null) return false
  const [a, b] = [Number(m[1]), Number(m[2])]
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)
}

/** Node 18.0-18.3 said `family: 4`; later versions 'IPv4'. */
function isIpv4(info: NetworkInterfaceInfo): boolean {
  return (info.family as string | number) === 'IPv4' || (info.family as string | number) === 4
}

function candidates(interfaces: InterfaceList): LanAddress[] {
  return Object.entries(interfaces).flatMap(([interfaceName, infos]) =>
    (infos ?? [])
      .filter((info) => isIpv4(info) && !info.internal)
      .map((info) => ({ address: info.address, interfaceName })),
  )
}

/**
 * The LAN address to serve on. `pick`: `on` (the first non-internal IPv4,
 * private ranges first), or an interface name or one of the machine's IPv4
 * addresses. Throws a ConfigError naming what was there when none fits.
 */
export function chooseLanAddress(interfaces: InterfaceList, pick = 'on'): LanAddress {
  const found = candidates(interfaces)
  const seen = found.map((c) => `${c.interfaceName} ${c.address}`).join(', ') || 'none'
  if (pick !== 'on') {
    const chosen = found.find((c) => c.address === pick) ?? found.find((c) => c.interfaceName === pick)
    if (chosen === undefined)
      throw new ConfigError(
        `--lan=${pick}: no non-internal IPv4 address or interface of that name on this machine (found: ${seen})`,
      )
    return chosen
  }
  const chosen = found.find((c) => isPrivateIpv4(c.address)) ?? found[0]
  if (chosen === undefined)
    throw new ConfigError(
      '--lan: this machine has no non-internal IPv4 address (is it on a network?); name one with --lan=<ip or interface>',
    )
  return chosen
}

/**
 * The settings LAN mode gives, beneath what the user set explicitly: each
 * server bound to the LAN address (not 0.0.0.0: only that network reaches
 * the lab, not every interface the machine has, such as a VPN), its public
 * and internal URLs on that address (loopback does not answer a server bound
 * elsewhere), each `<ip>:<port>` allowed as Host, and workshop mode on.
 */
export function lanSettings(address: string, given: SettingInput, ports: LanPorts): SettingInput {
  const url = (port: number) => `http://${address}:${port}`
  const hosts = [ports.auth, ports.resource, ports.client].map((port) => `${address}:${port}`)
  const extra = (given.allowedHosts ?? []).filter((host) => !hosts.includes(host))
  return {
    host: address,
    authPublicUrl: url(ports.auth),
    authInternalUrl: url(ports.auth),
    resourcePublicUrl: url(ports.resource),
    resourceInternalUrl: url(ports.resource),
    clientPublicUrl: url(ports.client),
    workshop: true,
    ...given,
    allowedHosts: [...hosts, ...extra],
  }
}

export interface LanPorts {
  readonly auth: number
  readonly resource: number
  readonly client: number
}

/** The merged settings with LAN mode applied when `lan` is on or names an address. */
export function applyLan(merged: SettingInput, interfaces: () => InterfaceList): SettingInput {
  const pick = merged.lan
  if (pick === undefined || pick === 'off') return merged
  const { address } = chooseLanAddress(interfaces(), pick)
  const ports = {
    auth: merged.authPort ?? 9001,
    resource: merged.resourcePort ?? 9002,
    client: merged.clientPort ?? 3000,
  }
  return lanSettings(address, merged, ports)
}

// What the launcher prints for a workshop (WORKSHOP=on, or --lan): where
// learners join, as a URL and as a QR code to scan from the teacher's screen,
// and the teacher's own page, whose lab key is the teacher's alone.

import type { LabConfig } from './shared/config.js'
import { qrTerminal } from './shared/qr.js'

export function joinUrl(config: Pick<LabConfig, 'client'>): string {
  return `${config.client.publicUrl}/join`
}

export function teacherUrl(config: Pick<LabConfig, 'client' | 'labKey'>): string {
  return `${config.client.publicUrl}/teacher?lab_key=${encodeURIComponent(config.labKey)}`
}

/** The banner's lines (ending in a newline), or nothing when workshop mode is off. */
export async function workshopBanner(
  config: Pick<LabConfig, 'client' | 'labKey' | 'workshop' | 'lanAddress'>,
): Promise<string> {
  if (config.workshop !== true) return ''
  const join = joinUrl(config)
  const where =
    config.lanAddress === undefined
      ? 'this machine only (loopback); --lan serves the lab to the network'
      : `the network of ${config.lanAddress}`
  return [
    `oauth-lab workshop on ${where}`,
    `oauth-lab learners join: ${join}`,
    (await qrTerminal(join)).trimEnd(),
    `oauth-lab teacher (keep it to yourself): ${teacherUrl(config)}`,
    '',
  ].join('\n')
}

// What the recorders masked in a flow, named with why: the page lists each
// masked name once, so a learner sees the cookie went there without its value.

import { MASKED } from '../../shared/flow-masking.js'
import type { Flow } from './types.js'

export interface MaskedNote {
  readonly name: string
  readonly why: string
}

const WHY: ReadonlyArray<[name: string, why: string]> = [
  [
    'oauth_lab_as_sid',
    'the authorization server\u2019s sign-in session: cookies ignore ports on localhost, so the browser sends the authorization server\u2019s cookie to the client app too, and its value would sign anyone in as this user.',
  ],
  [
    'oauth_lab_client_sid',
    'the client app\u2019s session, which holds the tokens: whoever had its value would be this user at the client app.',
  ],
  ['oauth_lab_key', 'the lab key (a cookie): whoever holds it sees every flow.'],
  ['lab_key', 'the lab key (in an address or a Bearer header): whoever holds it sees every flow.'],
  ['oauth_lab_browser', 'this browser\u2019s inspector id: it decides which flows this browser sees here.'],
]

function maskedNames(text: string): string[] {
  const names: string[] = []
  for (const [name] of WHY) if (text.includes(`${name}=${MASKED}`)) names.push(name)
  if (/^bearer\s+\(masked\)$/im.test(text)) names.push('lab_key')
  return names
}

/** Each name masked anywhere in the flow's requests and answers, once, in a fixed order. */
export function maskedNotes(flow: Flow): MaskedNote[] {
  const found = new Set<string>()
  for (const { exchange } of flow.entries) {
    const { request, response } = exchange
    const lines = [request.url, ...request.headers.map(([n, v]) => `${n}: ${v}`)]
    lines.push(...response.headers.map(([n, v]) => `${n}: ${v}`))
    for (const name of maskedNames(lines.join('\n'))) found.add(name)
  }
  return WHY.filter(([name]) => found.has(name)).map(([name, why]) => ({ name, why }))
}

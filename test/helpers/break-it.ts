// Playing a Break-it attack over real HTTP from the client app's /break page,
// as a browser would, and reading what came of it: the result page's fields,
// the inspector's verdict for its flow, and what each server recorded.

import { expect } from 'vitest'
import type { RecordedExchange } from '../../src/shared/flow-recorder.js'
import { httpBrowser } from './http-browser.js'
import { hiddenField } from './inject-browser.js'
import type { TestLab } from './lab.js'

export interface Verdict {
  readonly outcome: string
  readonly step: number
  readonly text: string
  readonly check?: { readonly id: string; readonly name: string; readonly rfc: string }
}

export interface Played {
  readonly html: string
  readonly flowId: string
  /** A field of the result page by its id (answer-status, answer-error, …), unescaped. */
  field(id: string): string | undefined
  /** The flow inspector's verdict for this run. */
  verdict(): Promise<Verdict>
  /** What a server recorded of this run (tagged with its flow id). */
  recorded(server: 'auth' | 'resource' | 'client'): RecordedExchange[]
}

const unescape = (text: string) =>
  text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')

export function breakIt(lab: () => TestLab) {
  const browser = httpBrowser()
  let csrf: string | undefined

  async function play(attack: string): Promise<Played> {
    const base = lab().config.client.publicUrl
    csrf ??= hiddenField((await browser.get(`${base}/break`)).body, '_csrf')
    const page = await browser.post(`${base}/break/${attack}`, { _csrf: csrf })
    expect(page.status, page.body).toBe(200)
    const field = (id: string) => {
      const raw = new RegExp(`id="${id}">([^<]*)<`).exec(page.body)?.[1]
      return raw === undefined ? undefined : unescape(raw)
    }
    const flowId = field('flow-id')!
    return {
      html: page.body,
      flowId,
      field,
      async verdict() {
        const json = await browser.get(`${base}/flow/${flowId}.json`)
        expect(json.status).toBe(200)
        return (JSON.parse(json.body) as { verdict: Verdict }).verdict
      },
      recorded(server) {
        const recorder = lab()[server].flowRecorder
        return recorder
          .since(0)
          .filter((e) => e.request.headers.some(([n, v]) => n.toLowerCase() === 'x-oauth-lab-flow' && v === flowId))
      },
    }
  }

  return { play, browser }
}

/** `METHOD /path STATUS` for each exchange, the query left out. */
export const calls = (list: readonly RecordedExchange[]) =>
  list.map((e) => `${e.request.method} ${e.request.url.split('?')[0]} ${e.response.status}`)

export const responseHeaderOf = (e: RecordedExchange, name: string) =>
  e.response.headers.find(([n]) => n.toLowerCase() === name)?.[1]

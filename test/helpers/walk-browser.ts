// A learner in a walk-through, over real HTTP: opens /walk/<name>, presses
// Start and then Next, one stop at a time, and reads the walk's flow in the
// inspector as this browser (so only what this browser may see).

import { hiddenField } from './inject-browser.js'
import { httpBrowser, type HttpResponse } from './http-browser.js'

export interface WalkFlowJson {
  readonly id: string
  readonly walk?: string
  readonly verdict: { readonly outcome: string; readonly step: number; readonly text: string }
  readonly checks: { readonly lines: ReadonlyArray<{ readonly ok: boolean; readonly text: string }> }
  readonly steps: ReadonlyArray<{
    readonly n: number
    readonly title: string
    readonly entries: ReadonlyArray<{
      readonly role: string
      readonly part: string
      readonly from: string
      readonly to: string
      readonly method: string
      readonly url: string
      readonly status: number
    }>
  }>
}

export function walkBrowser(clientUrl: string, name: string) {
  const browser = httpBrowser()
  const pageUrl = `${clientUrl}/walk/${name}`
  let tag: string | undefined

  async function post(action: 'start' | 'next'): Promise<HttpResponse> {
    const page = await browser.get(pageUrl)
    const res = await browser.post(`${pageUrl}/${action}`, { _csrf: hiddenField(page.body, '_csrf') })
    tag = res.headers.get('x-oauth-lab-flow') ?? tag
    return res
  }

  return {
    browser,
    page: () => browser.get(pageUrl),
    start: () => post('start'),
    /** Presses Next; answers the redirect (to the walk's page, or to the authorization server). */
    next: () => post('next'),
    /** The walk's flow id (its tag), known once started. */
    get flowId(): string | undefined {
      return tag
    },
    async flow(): Promise<WalkFlowJson> {
      if (tag === undefined) throw new Error('the walk has not started')
      const res = await browser.get(`${clientUrl}/flow/${tag}.json`)
      if (res.status !== 200) throw new Error(`GET /flow/${tag}.json: ${res.status}`)
      return JSON.parse(res.body) as WalkFlowJson
    },
  }
}

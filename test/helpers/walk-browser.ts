// A learner in a walk-through, over real HTTP: opens /walk/<name>, presses
// Start and then Next, one stop at a time, and reads the walk's flow in the
// inspector as this browser (so only what this browser may see).

import { expect } from 'vitest'
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

  /**
   * Follows a "Next" that sent the browser to the authorization server: signs
   * in, allows, and comes back to the client app's callback, which answers
   * with the walk's page (or wherever the walk goes next).
   */
  async function authorize(sentAway: HttpResponse, username = 'alice', password = `${username}-password`) {
    let page = await browser.get(browser.location(sentAway))
    for (let hops = 0; hops < 4; hops++) {
      if (page.body.includes('action="/login"')) {
        page = await browser.post(new URL('/login', page.url).href, {
          _csrf: hiddenField(page.body, '_csrf'),
          interaction: hiddenField(page.body, 'interaction'),
          username,
          password,
        })
      } else if (page.body.includes('action="/consent"')) {
        page = await browser.post(new URL('/consent', page.url).href, {
          _csrf: hiddenField(page.body, '_csrf'),
          interaction: hiddenField(page.body, 'interaction'),
          decision: 'allow',
        })
      } else if (page.status >= 300 && page.status < 400) {
        const next = browser.location(page)
        // Back at the client app: its callback answers with the walk's next page.
        if (next.startsWith(clientUrl)) return browser.get(next)
        page = await browser.get(next)
      } else {
        throw new Error(`the authorization server answered ${page.status} without a form to fill`)
      }
    }
    throw new Error('did not come back to the client app within four hops')
  }

  return {
    browser,
    authorize,
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
    /** Presses the last Next (alice's resource): the walk's page shows the answer and that the walk is finished. */
    async finish(): Promise<HttpResponse> {
      await post('next')
      const done = await browser.get(pageUrl)
      expect(done.body).toContain('The resource server answered')
      expect(done.body).toContain('Hello alice')
      expect(done.body).toContain('id="walk-finished"')
      return done
    },
    /** The walk's flow in the inspector, as this walk's seven steps; `at(n)`: step n's entries. */
    async sevenSteps() {
      const flow = await this.flow()
      expect(flow.walk).toBe(name)
      expect(flow.steps.map((s) => s.n)).toEqual([1, 2, 3, 4, 5, 6, 7])
      return { flow, at: (n: number) => flow.steps.find((s) => s.n === n)!.entries }
    },
  }
}

// Live updates pushed (flow/push.ts) over real HTTP between the three servers
// in workshop mode: an inspector page's stream (/flow/events?view=latest) is
// sent its own flow's section in the event itself, rendered for its own
// viewer; a learner never receives anything of another learner's flow, and
// the lab key's holder's stream gets every flow.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestLab, type TestLab } from '../../helpers/lab.js'
import { openSse, type SseEvent, type SseStream } from '../../helpers/sse.js'
import { hiddenField } from '../../helpers/inject-browser.js'
import { joinAs, walkSevenSteps, type JoinedLearner } from '../../helpers/workshop.js'

let lab: TestLab
let base: string
let ada: JoinedLearner
let grace: JoinedLearner

interface Section {
  readonly flow: string | null
  readonly exchanges: number
  readonly requests: string[]
  readonly html: string
}

const section = (e: SseEvent) => JSON.parse(e.data) as Section
/** The section event that shows the whole flow: the resource server answered (step 7, polled from its server). */
const showsStep7 = (e: SseEvent) =>
  e.event === 'section' && section(e).requests.includes('resource-server GET /resource 200')

beforeAll(async () => {
  lab = await startTestLab({ WORKSHOP: 'on' })
  base = lab.config.client.publicUrl
  ada = await joinAs(base, 'Ada')
  grace = await joinAs(base, 'Grace')
})
afterAll(() => lab.close())

function streamOf(headers: Record<string, string>): Promise<SseStream> {
  return openSse(`${base}/flow/events?view=latest`, headers)
}

describe('GET /flow/events?view=…', () => {
  it('pushes a learner\u2019s own flow section to its stream, nothing to another learner\u2019s, every flow to the lab key', async () => {
    const streams = await Promise.all([
      streamOf({ cookie: ada.browser.cookieFor(base) ?? '' }),
      streamOf({ cookie: grace.browser.cookieFor(base) ?? '' }),
      streamOf({ authorization: `Bearer ${lab.config.labKey}` }),
    ])
    const [adaStream, graceStream, keyStream] = streams
    try {
      expect(streams.map((s) => s.status)).toEqual([200, 200, 200])
      await walkSevenSteps(base, lab.config.auth.publicUrl, ada)

      const pushed = await adaStream.next(showsStep7, 5000)
      expect(pushed).toBeDefined()
      const own = section(pushed!)
      // The section itself, as /flow?fragment=1 renders it: no request needed.
      expect(own.html).toContain(`data-flow-id="${own.flow}"`)
      expect(own.html).toContain(`data-exchanges="${own.exchanges}"`)
      expect(own.html).toContain(ada.username)
      expect(own.requests).toEqual(
        expect.arrayContaining([
          'client GET /connect 302',
          'auth-server GET /authorize 200',
          'auth-server POST /login 303',
          'client GET /authenticated 200',
          'auth-server POST /token 200',
          'client POST /fetch-resource 200',
          'resource-server GET /resource 200',
        ]),
      )
      // What the inspector page itself shows this browser.
      const fragment = await ada.browser.get(`${base}/flow?fragment=1`)
      expect(fragment.body).toContain(`data-flow-id="${own.flow}" data-exchanges="${own.exchanges}"`)

      // The lab key's holder follows every flow: ada's too.
      const seen = await keyStream.next((e) => showsStep7(e) && section(e).flow === own.flow, 5000)
      expect(seen).toBeDefined()

      // Grace's stream: her flows did not change, so nothing at all, and never ada's flow or secrets.
      expect(graceStream.events.filter((e) => e.event === 'section')).toEqual([])
      for (const e of graceStream.events) {
        for (const secret of [ada.username, ada.password, own.flow ?? 'no flow']) expect(e.data).not.toContain(secret)
      }
    } finally {
      for (const s of streams) s.close()
    }
  })

  it('pushes grace her own flow only, never ada\u2019s', async () => {
    const graceStream = await streamOf({ cookie: grace.browser.cookieFor(base) ?? '' })
    try {
      await walkSevenSteps(base, lab.config.auth.publicUrl, grace)
      const pushed = await graceStream.next(showsStep7, 5000)
      expect(pushed).toBeDefined()
      expect(section(pushed!).html).toContain(grace.username)
      for (const e of graceStream.events) {
        expect(e.data).not.toContain(ada.username)
        expect(e.data).not.toContain(ada.password)
      }
    } finally {
      graceStream.close()
    }
  })

  it('refuses a view that is no flow id (400), and keeps `update` for a stream that names no view', async () => {
    const bad = await fetch(`${base}/flow/events?view=${encodeURIComponent('../x')}`, {
      headers: { cookie: ada.browser.cookieFor(base) ?? '' },
    })
    expect(bad.status).toBe(400)
    const plain = await openSse(`${base}/flow/events`, { cookie: ada.browser.cookieFor(base) ?? '' })
    try {
      await ada.browser.get(`${base}/connect`)
      const told = await plain.next((e) => e.event === 'update' || e.event === 'section', 5000)
      expect(told?.event).toBe('update')
    } finally {
      plain.close()
    }
  })

  it('sends the section in parts when the page asks (&parts=1): each event only the articles it lacks, put together as /flow?fragment=1 renders it', async () => {
    const katherine = await joinAs(base, 'Katherine')
    const cookie = { cookie: katherine.browser.cookieFor(base) ?? '' }
    const stream = await openSse(`${base}/flow/events?view=latest&parts=1`, cookie)
    try {
      const walked = await walkSevenSteps(base, lab.config.auth.publicUrl, katherine)
      const first = await stream.next(showsStep7, 5000)
      expect(first).toBeDefined()
      // Step 7 once more: the same flow gains a page of the client app and a resource call.
      const again = await katherine.browser.post(`${base}/fetch-resource`, {
        _csrf: hiddenField(walked.resourcePage.body, '_csrf'),
      })
      expect(again.status).toBe(200)
      const grown = (e: SseEvent) =>
        e.event === 'section' && section(e).requests.filter((r) => r === 'client POST /fetch-resource 200').length === 2
      const last = await stream.next(grown, 5000)
      expect(last).toBeDefined()
      // Put together as public/flow.js does: an article from this event, else from what the stream sent before.
      let have: Record<string, string> = {}
      let whole = ''
      const carried: number[] = []
      for (const e of stream.events.filter((x) => x.event === 'section')) {
        const parts = JSON.parse(e.data) as { html: string; articles: Record<string, string> }
        const next: Record<string, string> = {}
        whole = parts.html.replace(KEPT, (_, id: string) => {
          const article = parts.articles[id] ?? have[id]
          expect(article, id).toBeDefined()
          next[id] = article!
          return article!
        })
        have = next
        carried.push(Object.keys(parts.articles).length)
        if (e === last) break
      }
      // Later events carry fewer articles than the section holds: only what is new.
      expect(carried.length).toBeGreaterThan(1)
      expect(carried.at(-1)).toBeGreaterThan(0)
      expect(carried.at(-1)).toBeLessThan(Object.keys(have).length / 2)
      expect(carried.reduce((a, b) => a + b, 0)).toBeLessThan(carried.length * Object.keys(have).length)
      // Put together, it is the section the page fetches (the tokens' relative times aside).
      const fragment = (await katherine.browser.get(`${base}/flow?fragment=1`)).body
      expect(whole).not.toContain('data-keep=')
      expect(withoutTimes(whole)).toBe(withoutTimes(fragment))
    } finally {
      stream.close()
    }
  })
})

/** A placeholder of an article the stream was sent before (render-section.ts). */
const KEPT = /<article class="exchange" data-keep="([A-Za-z0-9_-]+)"><\/article>/g
/** "issued just now", "expires in 15 min": they move with the clock. */
const withoutTimes = (html: string) => html.replace(/just now|\d+ (s|min|h|days)( ago)?/g, '…')

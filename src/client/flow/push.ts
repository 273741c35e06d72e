// Live updates pushed, not refetched: the content a stream of flow/live.ts is
// sent on a change, worked out from what the inspector already collected. An
// inspector page's stream (/flow/events?view=<flow id or latest>) gets
// `event: section`: its flow section rendered as /flow?fragment=1 renders it,
// with the shown flow's id and its exchanges as one line each, so the page
// swaps it in with no request. It is rendered for the stream's own viewer
// only (flow/visibility.ts), so a learner never receives another learner's
// flow. "Show everything" is applied by flow.js after the swap, so one
// rendering serves both levels of detail.

import type { FastifyInstance } from 'fastify'
import type { LabConfig } from '../../shared/config.js'
import type { FlowRecorder } from '../../shared/flow-recorder.js'
import type { Fetch } from '../oauth-client.js'
import { pathOf } from './http.js'
import { createInspector, type Inspector } from './inspector.js'
import { createLiveHub, viewerKey, type LiveHub, type Push } from './live.js'
import { renderSection, renderSectionParts, type SentArticles } from './render-section.js'
import type { Flow } from './types.js'
import type { Viewer } from './visibility.js'

/** The client app's one inspector and live hub: /flow, /flow/events and /teacher share its collector. */
export interface LiveInspector {
  readonly inspector: Inspector
  readonly hub: LiveHub
}

export function createLiveInspector(
  app: FastifyInstance,
  config: LabConfig,
  fetchFn: Fetch,
  recorder: FlowRecorder,
): LiveInspector | undefined {
  // INSPECTOR=off: nothing is recorded, so there is nothing to collect.
  if (!config.inspector.enabled) return undefined
  const inspector = createInspector(config, fetchFn, recorder)
  const hub = createLiveHub(inspector.collector, (viewer) => inspector.fingerprint(viewer))
  // Open event streams would keep app.close() waiting: end them first.
  app.addHook('preClose', async () => hub.close())
  app.addHook('onClose', async () => inspector.collector.close())
  return { inspector, hub }
}

/** The flow's exchanges in order, one line each (`auth-server POST /login 302`): no query, no body. */
function requestLines(flow: Flow): string[] {
  const seen = new Set<Flow['entries'][number]['exchange']>()
  const lines: string[] = []
  for (const { exchange } of flow.entries) {
    if (seen.has(exchange)) continue
    seen.add(exchange)
    lines.push(`${exchange.role} ${exchange.request.method} ${pathOf(exchange)} ${exchange.response.status}`)
  }
  return lines
}

let streams = 0

/**
 * `view`: `latest` (the page follows new flows) or the id of the flow the page
 * shows. `parts`: the page puts the section together (public/flow.js): each
 * event carries the section with its articles as placeholders and only the
 * articles this stream was not sent before (render-section.ts); the push is
 * then this stream's own.
 */
export function sectionPush(
  app: FastifyInstance,
  inspector: Inspector,
  viewer: Viewer,
  view: string,
  parts = false,
): Push {
  const id = view === 'latest' ? undefined : view
  let sent: SentArticles = new Map()
  return {
    key: `section|${viewerKey(viewer)}|${view}${parts ? `|parts#${++streams}` : ''}`,
    async render() {
      const { model, flow } = await inspector.snapshot(id, viewer)
      const about = {
        flow: flow?.id ?? null,
        exchanges: model.flow?.exchangeCount ?? 0,
        requests: flow ? requestLines(flow) : [],
      }
      if (!parts) return { name: 'section', data: { ...about, html: await renderSection(app, model) } }
      const section = await renderSectionParts(app, model, sent)
      // What the stream has once this is sent (a section not sent because it is the same holds the same articles).
      sent = section.sent
      return {
        name: 'section',
        data: { ...about, html: section.html, articles: section.articles },
        digest: section.digest,
      }
    },
  }
}

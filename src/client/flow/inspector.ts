// The inspector as one object: collects, correlates and finds flows, and
// builds the page model. Used by src/client/flow-routes.ts.

import { labVersion } from '../../shared/version.js'
import type { LabConfig } from '../../shared/config.js'
import type { FlowRecorder } from '../../shared/flow-recorder.js'
import { createCollector, type Collector, type Unavailable } from './collect.js'
import type { ExportUrls } from './export.js'
import { createJwksSource, type Fetch, type JwksSource } from './jwks.js'
import { summarize, type FlowSummary } from './summary.js'
import type { Flow } from './types.js'
import { serverLabel } from '../../shared/server-banner.js'
import { flowView, SERVER_NAMES, type FlowView, type ServerLabels } from './view-model.js'
import { createFingerprints } from './fingerprints.js'
import { flowsFor, type Viewer } from './visibility.js'

export interface PageModel {
  readonly title: string
  /** Whose flows the page shows: this browser's, every browser's (lab key), or none (no flow started here). */
  readonly view: Viewer['kind']
  readonly flows: readonly FlowSummary[]
  readonly flow?: FlowView
  /** The flow shown is the latest one (the page follows new flows live). */
  readonly following: boolean
  readonly fragmentUrl: string
  /** The live stream that pushes this page's flow section (flow/push.ts). */
  readonly eventsUrl: string
  /** "Show everything": every header and body of every exchange, unfolded (works without script). */
  readonly everything: boolean
  /** This page with the other level of detail. */
  readonly toggleUrl: string
  readonly unavailable: ReadonlyArray<Unavailable & { readonly name: string }>
  readonly missingId?: string
}

export interface Inspector {
  readonly collector: Collector
  readonly jwks: JwksSource
  readonly urls: ExportUrls
  readonly version: string
  readonly labels: ServerLabels
  /** Fresh flows that `viewer` may see, oldest first. */
  flows(viewer: Viewer): Promise<Flow[]>
  /** `latest` names the newest flow. */
  find(flows: readonly Flow[], id: string): Flow | undefined
  page(id: string | undefined, viewer: Viewer, everything?: boolean): Promise<PageModel>
  /** The page's model and flow from what was already collected (no refresh): what a live stream pushes. */
  snapshot(id: string | undefined, viewer: Viewer): Promise<{ model: PageModel; flow?: Flow }>
  /** Changes when `viewer`'s flows change; from what was already collected (no refresh). */
  fingerprint(viewer: Viewer): string
  /** What `browser`'s inspector shows, from what was already collected: worked out again only when its flows changed. */
  browserFlows(browser: string): Flow[]
}

const RECENT = 20

export function createInspector(config: LabConfig, fetchFn: Fetch, recorder: FlowRecorder): Inspector {
  const collector = createCollector({
    fetch: fetchFn,
    clientRecorder: recorder,
    sources: [
      { role: 'auth-server', url: config.auth.internalUrl },
      { role: 'resource-server', url: config.resource.internalUrl },
    ],
    // Three servers' rings, merged: bounded like each of them.
    capacity: config.inspector.capacity * 3,
    labKey: config.labKey,
  })
  const jwks = createJwksSource(fetchFn, `${config.auth.internalUrl}/jwks`)
  const labels: ServerLabels = {
    client: serverLabel('client', config.client.publicUrl),
    'auth-server': serverLabel('auth-server', config.auth.publicUrl),
    'resource-server': serverLabel('resource-server', config.resource.publicUrl),
  }
  const fingerprints = createFingerprints()
  const inspector: Inspector = {
    collector,
    jwks,
    urls: {
      client: config.client.publicUrl,
      authPublic: config.auth.publicUrl,
      authInternal: config.auth.internalUrl,
      resourcePublic: config.resource.publicUrl,
      resourceInternal: config.resource.internalUrl,
    },
    version: labVersion(),
    labels,
    async flows(viewer) {
      await collector.refresh()
      return flowsFor(collector.exchanges(), viewer)
    },
    fingerprint(viewer) {
      return viewer.kind === 'browser' ? fingerprints.of(viewer.browser, collector.exchanges()) : ''
    },
    browserFlows: (browser) => fingerprints.flows(browser, collector.exchanges()),
    find(flows, id) {
      return id === 'latest' ? flows[flows.length - 1] : flows.find((f) => f.id === id)
    },
    async page(id, viewer, everything = false) {
      return (await model(await inspector.flows(viewer), id, viewer, everything)).model
    },
    // A live update: the browser's flows as its fingerprint just worked them out.
    snapshot: (id, viewer) =>
      model(
        viewer.kind === 'browser' ? inspector.browserFlows(viewer.browser) : flowsFor(collector.exchanges(), viewer),
        id,
        viewer,
        false,
      ),
  }

  async function model(flows: readonly Flow[], id: string | undefined, viewer: Viewer, everything: boolean) {
    const flow = inspector.find(flows, id ?? 'latest')
    const path = id === undefined ? '/flow' : `/flow/${encodeURIComponent(id)}`
    const page: PageModel = {
      title: 'Flow inspector',
      view: viewer.kind,
      flows: flows.slice(-RECENT).reverse().map(summarize),
      ...(flow ? { flow: await flowView(flow, jwks, labels) } : {}),
      following: id === undefined,
      fragmentUrl: `${path}?fragment=1${everything ? '&detail=all' : ''}`,
      // In parts: the page puts the section together from what the stream sent before (render-section.ts).
      eventsUrl: `/flow/events?view=${encodeURIComponent(id ?? 'latest')}&parts=1`,
      everything,
      toggleUrl: everything ? path : `${path}?detail=all`,
      unavailable: collector.unavailable().map((u) => ({ ...u, name: SERVER_NAMES[u.role] })),
      ...(id !== undefined && !flow ? { missingId: id } : {}),
    }
    return { model: page, ...(flow ? { flow } : {}) }
  }

  return inspector
}

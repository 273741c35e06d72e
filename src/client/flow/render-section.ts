// The inspector's flow section (views/client/flow-section.eta) as the page
// (/flow, /flow/:id), its fragment (?fragment=1) and the live stream
// (flow/push.ts) send it. A flow gains one or two exchanges per update and
// its other exchanges render to the same HTML as before: each exchange's
// <article> (views/client/flow-entry.eta) is rendered once per EntryView (the
// view model gives an unchanged entry the same object back) and level of
// detail, and the section template only puts the pieces together.

import { createHash } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { PageModel } from './inspector.js'
import type { EntryView, FlowView, StepView } from './view-model.js'

/** A step as views/client/flow-step.eta takes it: its entries' HTML beside them, in order. */
export type RenderedStep = StepView & { readonly entryHtml: readonly string[] }

interface EntryHtml {
  plain?: string
  everything?: string
}

/** Bounded by the view model's own cache: an EntryView no longer given out is collected with its HTML. */
const rendered = new WeakMap<EntryView, EntryHtml>()

async function entryHtml(app: FastifyInstance, entry: EntryView, everything: boolean): Promise<string> {
  let html = rendered.get(entry)
  if (html === undefined) rendered.set(entry, (html = {}))
  const level = everything ? 'everything' : 'plain'
  return (html[level] ??= await app.view('client/flow-entry', { entry, everything }))
}

/** An entry's <article> as it goes into the section: its HTML, or (in parts) a placeholder for it. */
type Piece = (entry: EntryView, html: string) => string

async function renderedStep(
  app: FastifyInstance,
  step: StepView,
  everything: boolean,
  piece: Piece,
): Promise<RenderedStep> {
  const pieces = await Promise.all(
    step.entries.map(async (entry) => piece(entry, await entryHtml(app, entry, everything))),
  )
  return { ...step, entryHtml: pieces }
}

async function render(app: FastifyInstance, model: PageModel, piece: Piece): Promise<string> {
  const { flow } = model
  if (flow === undefined) return app.view('client/flow-section', model)
  const steps = await Promise.all(flow.steps.map((step) => renderedStep(app, step, model.everything, piece)))
  const withHtml: PageModel & { readonly flow: FlowView } = { ...model, flow: { ...flow, steps } }
  return app.view('client/flow-section', withHtml)
}

/** The flow section's HTML for the page's model: byte for byte what flow-section.eta rendered in one piece. */
export function renderSection(app: FastifyInstance, model: PageModel): Promise<string> {
  return render(app, model, (_entry, html) => html)
}

/** Where an article goes in a section sent in parts: public/flow.js puts it back, from the event or from earlier ones. */
export const articlePlaceholder = (anchor: string) => `<article class="exchange" data-keep="${anchor}"></article>`

/** The articles a live stream was sent, by anchor: what it has. */
export type SentArticles = ReadonlyMap<string, string>

export interface SectionParts {
  /** The section with every article as a placeholder. */
  readonly html: string
  /** The articles the stream does not have yet (new, or changed since), by anchor. */
  readonly articles: Readonly<Record<string, string>>
  /** Every article of this section: what the stream has once it got this. */
  readonly sent: SentArticles
  /** Of the whole section: the same digest means the same section. */
  readonly digest: string
}

/**
 * The section in parts, for a live stream (`/flow/events?view=…&parts=1`): a
 * flow gains one or two exchanges per update, so each event carries only the
 * articles the stream was not sent before, a few KiB instead of the whole
 * section; the page puts the section together again.
 */
export async function renderSectionParts(
  app: FastifyInstance,
  model: PageModel,
  before: SentArticles,
): Promise<SectionParts> {
  const sent = new Map<string, string>()
  const articles: Record<string, string> = {}
  const html = await render(app, model, (entry, article) => {
    sent.set(entry.anchor, article)
    if (before.get(entry.anchor) !== article) articles[entry.anchor] = article
    return articlePlaceholder(entry.anchor)
  })
  const hash = createHash('sha256').update(html)
  // In anchor order: the articles are rendered concurrently, so the map's own order may vary.
  for (const [, article] of [...sent].sort(([a], [b]) => a.localeCompare(b))) hash.update(article)
  return { html, articles, sent, digest: hash.digest('base64url') }
}

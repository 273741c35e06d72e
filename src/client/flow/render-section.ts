// The inspector's flow section (views/client/flow-section.eta) as the page
// (/flow, /flow/:id), its fragment (?fragment=1) and the live stream
// (flow/push.ts) send it. A flow gains one or two exchanges per update and
// its other exchanges render to the same HTML as before: each exchange's
// <article> (views/client/flow-entry.eta) is rendered once per EntryView (the
// view model gives an unchanged entry the same object back) and level of
// detail, and the section template only puts the pieces together.

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

async function renderedStep(app: FastifyInstance, step: StepView, everything: boolean): Promise<RenderedStep> {
  return { ...step, entryHtml: await Promise.all(step.entries.map((entry) => entryHtml(app, entry, everything))) }
}

/** The flow section's HTML for the page's model: byte for byte what flow-section.eta rendered in one piece. */
export async function renderSection(app: FastifyInstance, model: PageModel): Promise<string> {
  const { flow } = model
  if (flow === undefined) return app.view('client/flow-section', model)
  const steps = await Promise.all(flow.steps.map((step) => renderedStep(app, step, model.everything)))
  const withHtml: PageModel & { readonly flow: FlowView } = { ...model, flow: { ...flow, steps } }
  return app.view('client/flow-section', withHtml)
}

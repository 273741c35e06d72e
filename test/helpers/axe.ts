// axe-core run inside a Chromium page: the serious and critical violations of
// what the page shows now. One copy of axe's source is read per process.

import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { Page } from 'playwright-core'

export interface Violation {
  id: string
  impact: string | null
  help: string
  nodes: Array<{ target: unknown }>
}

let axeSource: Promise<string> | undefined

/** The page's serious and critical axe violations (page.evaluate runs outside the page's CSP). */
export async function seriousViolations(page: Page): Promise<Violation[]> {
  axeSource ??= readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
  await page.evaluate(await axeSource)
  const result = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: Violation[] }> } }
    ).axe
    return axe.run(document, { resultTypes: ['violations'] })
  })
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
}

/** One line per violation, for an assertion message that says what is wrong and where. */
export function describeViolations(violations: readonly Violation[]): string[] {
  return violations.map((v) => `${v.id} (${v.help}) at ${JSON.stringify(v.nodes.map((n) => n.target))}`)
}

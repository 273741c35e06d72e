// What each figure is compared with, and the issue's targets. Every target is
// a ratio of figures from the same run (or a bound of this machine class), so
// a slow or busy machine moves both sides together.

import type { MemoryCurve } from './memory.js'
import type { Measurement } from './measure.js'
import { ratio } from './stats.js'

export interface Comparison {
  /** The bare-Fastify ceiling doing the same unavoidable work. */
  readonly ceiling?: string
  /** oidc-provider doing the same job, configured like oauth-lab. */
  readonly anchor?: string
  /** oauth2-mock-server doing the same job (while checking nothing). */
  readonly mock?: string
}

export const COMPARE: Readonly<Record<string, Comparison>> = {
  'ceiling.sign': { ceiling: 'ceiling.form' },
  'lab.token.cc': { ceiling: 'ceiling.sign', anchor: 'oidc.token.cc', mock: 'mock.token.cc' },
  // Its own sign ceiling, measured interleaved with it (the codes are made just before, so it cannot join the group above).
  'lab.token.ac': { ceiling: 'ceiling.sign.ac', anchor: 'oidc.token.cc', mock: 'mock.token.cc' },
  'lab.resource': { ceiling: 'ceiling.verify' },
  // RFC 9449: a DPoP request costs its server one more ES256 verification (the proof); its ceiling does it too.
  'ceiling.sign.verify': { ceiling: 'ceiling.sign' },
  'lab.token.cc.dpop': { ceiling: 'ceiling.sign.verify' },
  'ceiling.verify.proof': { ceiling: 'ceiling.verify' },
  'lab.resource.dpop': { ceiling: 'ceiling.verify.proof' },
  'lab.introspect': { ceiling: 'ceiling.verify' },
  'lab.flow': { anchor: 'oidc.flow.remembered', mock: 'mock.flow' },
  'lab.authflow': { anchor: 'oidc.flow.remembered', mock: 'mock.flow' },
  'oidc.flow.consent': { anchor: 'oidc.flow.remembered' },
}

export interface Facts {
  readonly measurements: readonly Measurement[]
  /** From spawning `node dist/start.js` until all three /healthz answer 200, as the bench saw it. */
  readonly healthyMs: number
  readonly idleRssMb: Readonly<Record<string, number>>
  readonly memory?: MemoryCurve
  readonly benchSeconds?: number
}

export interface TargetResult {
  readonly target: string
  readonly value: string
  readonly holds: boolean | undefined
}

export function rateOf(measurements: readonly Measurement[], id: string): number | undefined {
  return measurements.find((m) => m.id === id)?.rate
}

const fmt = (value: number | undefined, digits = 2) => (value === undefined ? 'n/a' : value.toFixed(digits))

function find(measurements: readonly Measurement[], id: string): Measurement | undefined {
  return measurements.find((m) => m.id === id)
}

/**
 * `a` against `b` as the ratio of their rates. When either window was noisy,
 * the verdict comes from the ratio of server CPU per operation instead (b's
 * cost over a's: how many times fewer CPU-seconds a needs), which other
 * processes on the machine barely move; the value shows both.
 */
export function compareRates(
  measurements: readonly Measurement[],
  a: string,
  b: string,
): { rate?: number; cpu?: number; noisy: boolean } {
  const ma = find(measurements, a)
  const mb = find(measurements, b)
  return {
    rate: ratio(ma?.rate, mb?.rate),
    cpu: ratio(mb?.serverCpuUs, ma?.serverCpuUs),
    noisy: Boolean(ma?.noisy || mb?.noisy),
  }
}

function atLeast(
  target: string,
  measurements: readonly Measurement[],
  a: string,
  b: string,
  bound: number,
): TargetResult {
  const { rate, cpu, noisy } = compareRates(measurements, a, b)
  const verdict = noisy ? cpu : rate
  const value = `${fmt(rate)} (≥ ${bound}); by CPU cost ${fmt(cpu)}${noisy ? ', used: noisy window' : ''}`
  return { target, value, holds: verdict === undefined ? undefined : verdict >= bound }
}

/** Memory is flat when the later figure sits within 10% (or 8 MB) of the earlier one: a leak keeps climbing. */
export function isFlat(firstHalfMb: number, secondHalfMb: number): boolean {
  return secondHalfMb <= Math.max(firstHalfMb * 1.1, firstHalfMb + 8)
}

export function evaluateTargets(facts: Facts): TargetResult[] {
  const m = facts.measurements
  const results: TargetResult[] = [
    atLeast('token endpoint (client_credentials) ≥ 0.70 × ES256-sign ceiling', m, 'lab.token.cc', 'ceiling.sign', 0.7),
    atLeast(
      'token endpoint (authorization_code) ≥ 0.70 × ES256-sign ceiling',
      m,
      'lab.token.ac',
      'ceiling.sign.ac',
      0.7,
    ),
    atLeast('token endpoint (client_credentials) ≥ 2 × oidc-provider', m, 'lab.token.cc', 'oidc.token.cc', 2),
    atLeast('resource endpoint ≥ 0.80 × ES256-verify ceiling', m, 'lab.resource', 'ceiling.verify', 0.8),
    atLeast('full flow ≥ 3 × oidc-provider flow (remembered consent)', m, 'lab.flow', 'oidc.flow.remembered', 3),
    atLeast(
      "AS flow, like for like (the anchor's steps) ≥ 3 × oidc-provider",
      m,
      'lab.authflow',
      'oidc.flow.remembered',
      3,
    ),
    {
      target: 'three servers healthy ≤ 1 s after npm start (median of 3 starts)',
      value: `${Math.round(facts.healthyMs)} ms (≤ 1000)`,
      holds: facts.healthyMs <= 1000,
    },
  ]
  const rss = Object.entries(facts.idleRssMb)
  if (rss.length > 0) {
    const worst = Math.max(...rss.map(([, mb]) => mb))
    results.push({
      target: 'each process ≤ 80 MB RSS when idle',
      value: `${rss.map(([name, mb]) => `${name} ${mb.toFixed(0)}`).join(', ')} MB`,
      holds: worst <= 80,
    })
  }
  if (find(m, 'lab.token.cc.inspector-on') && find(m, 'lab.token.cc.inspector-off')) {
    const { rate, cpu, noisy } = compareRates(m, 'lab.token.cc.inspector-on', 'lab.token.cc.inspector-off')
    const cost = (r: number | undefined) => (r === undefined ? undefined : 1 - r)
    const pct = (c: number | undefined) => (c === undefined ? 'n/a' : `${(c * 100).toFixed(1)}%`)
    const verdict = cost(noisy ? cpu : rate)
    results.push({
      target: 'flow inspector costs ≤ 10% of the token endpoint rate',
      value: `${pct(cost(rate))} (≤ 10%); by CPU cost ${pct(cost(cpu))}${noisy ? ', used: noisy window' : ''}`,
      holds: verdict === undefined ? undefined : verdict <= 0.1,
    })
  }
  if (facts.memory) {
    const curve = facts.memory
    // The live heap after a forced full collection is what purging controls;
    // RSS also holds pages V8 keeps for reuse. Once every lifetime has passed,
    // the heap must be back where it started: whatever stayed, leaked.
    const purged = isFlat(curve.startHeapMb, curve.endHeapMb)
    results.push({
      target: 'memory flat over 100,000 flows (live heap back to its start once lifetimes pass)',
      value: `${curve.flows.toLocaleString('en-US')} flows; live heap ${curve.startHeapMb.toFixed(0)} MB before, median ${curve.firstHalfMedianHeapMb.toFixed(0)} → ${curve.secondHalfMedianHeapMb.toFixed(0)} MB (first → second half, peak ${curve.peakHeapMb.toFixed(0)}), ${curve.endHeapMb.toFixed(0)} MB after`,
      holds: curve.flows >= 100_000 && curve.failed === 0 && purged,
    })
  }
  if (facts.benchSeconds !== undefined) {
    results.push({
      target: '`npm run bench` under 5 minutes',
      value: `${facts.benchSeconds.toFixed(0)} s (< 300)`,
      holds: facts.benchSeconds < 300,
    })
  }
  return results
}

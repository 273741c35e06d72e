// Reading a V8 .cpuprofile (what --cpu-prof writes): where the samples fell,
// by function and by owner (a package, a file of the lab, node, V8), and what
// was on the stack, so that a slow endpoint is explained by evidence.

export interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly children?: readonly number[]
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[]
  readonly samples: readonly number[]
  readonly timeDeltas: readonly number[]
}

/** Where a frame's code lives: a package, a file of the lab, node's internals, or V8 itself. */
export function owner(url: string): string {
  if (url === '') return '(v8 / native)'
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1]
  if (pkg !== undefined) return pkg
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0]
  const lab = /\/dist\/(.+)$/.exec(url)
  return lab ? `oauth-lab ${lab[1]}` : url
}

/** Self time per function and per owner, as shares of all samples. */
export function selfTimes(profile: CpuProfile): {
  byFunction: Array<[string, number]>
  byOwner: Array<[string, number]>
} {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const counts = new Map<number, number>()
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1)
  const total = profile.samples.length
  const fn = new Map<string, number>()
  const own = new Map<string, number>()
  for (const [id, count] of counts) {
    const frame = byId.get(id)!.callFrame
    const file = frame.url.replace(/^.*\/(node_modules|dist)\//, '$1/')
    const name = `${frame.functionName || '(anonymous)'} ${file ? `${file}:${frame.lineNumber + 1}` : ''}`.trim()
    fn.set(name, (fn.get(name) ?? 0) + count / total)
    own.set(owner(frame.url), (own.get(owner(frame.url)) ?? 0) + count / total)
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1])
  return { byFunction: sorted(fn), byOwner: sorted(own) }
}

/**
 * Share of samples with each owner anywhere on the stack: the time spent in a
 * package including what it calls (helmet building its headers, a plugin's
 * hooks, the recorder's copies), which self time scatters across node internals.
 */
export function stackShares(profile: CpuProfile): Array<[string, number]> {
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const shares = new Map<string, number>()
  const ownersOf = new Map<number, Set<string>>()
  for (const id of profile.samples) {
    let owners = ownersOf.get(id)
    if (!owners) {
      owners = new Set<string>()
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const frame = byId.get(at)!.callFrame
        if (frame.url !== '') owners.add(owner(frame.url))
        else if (frame.functionName.startsWith('(')) owners.add(frame.functionName)
      }
      ownersOf.set(id, owners)
    }
    for (const o of owners) shares.set(o, (shares.get(o) ?? 0) + 1 / profile.samples.length)
  }
  return [...shares].sort((a, b) => b[1] - a[1])
}

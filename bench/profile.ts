// `node dist-bench/profile.js [token|tokenac|resource|introspect|flow|authflow|startup] [seconds]`:
// a V8 CPU profile (--cpu-prof) of the server behind one endpoint while
// autocannon (or the flow loop) loads it, then where the time went, by
// function and by package, so a fix starts from evidence. The .cpuprofile
// file opens in Chrome DevTools (Performance tab) for the full picture.

import { readdirSync, readFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import {
  CLIENT_ID,
  CLIENT_SECRET,
  RESOURCE_CLIENT_ID,
  RESOURCE_CLIENT_SECRET,
  codeGrant,
  labAuthFlow,
  labBrowserFlow,
  labUrls,
  mintCodes,
  redirectUri,
  rememberConsent,
  userAccessToken,
} from './flows.js'
import { basic, createAgent, form } from './http.js'
import { measureFlows, measureRequests, type Measurement } from './measure.js'
import { freePorts, ROOT, serverEnv, spawnNode, stopAll, waitHealthy, watchedProcesses } from './procs.js'
import { selfTimes, stackShares, type CpuProfile } from './cpuprofile.js'
import { table } from './report.js'

async function main(): Promise<void> {
  const what = process.argv[2] ?? 'token'
  const seconds = Number(process.argv[3] ?? 8)
  const dir = join(ROOT, 'bench-results', 'profiles', `${what}-${Date.now()}`)
  mkdirSync(dir, { recursive: true })
  const [auth, resource, client] = (await freePorts(3)) as [number, number, number]
  const env = serverEnv({ AUTH_PORT: String(auth), RESOURCE_PORT: String(resource), CLIENT_PORT: String(client) })
  const all = what === 'flow' || what === 'startup'
  const profiled = what === 'resource' ? 'resource-server' : all ? 'all three' : 'auth-server'
  const cpuProf = ['--cpu-prof', `--cpu-prof-dir=${dir}`]
  const servers = [
    { port: auth, ...spawnNode('auth-server', 'dist/auth-server/server.js', env, what === 'resource' ? [] : cpuProf) },
    {
      port: resource,
      ...spawnNode('resource-server', 'dist/resource-server/server.js', env, what === 'resource' || all ? cpuProf : []),
    },
    { port: client, ...spawnNode('client', 'dist/client/server.js', env, all ? cpuProf : []) },
  ]
  const healthy = (s: (typeof servers)[number]) => waitHealthy(`http://127.0.0.1:${s.port}/healthz`, s.startedAt)
  if (what !== 'startup') await Promise.all(servers.map(healthy))
  if (what === 'startup') {
    // Each role from spawn until its /healthz answers, then stopped: the profile is its start-up alone.
    for (const [s, ms] of await Promise.all(servers.map(async (s) => [s, await healthy(s)] as const))) {
      process.stdout.write(`${s.name} healthy ${Math.round(ms)} ms after spawn\n`)
    }
    await stopAll()
    return report(dir)
  }
  const agent = createAgent(64)
  const lab = labUrls({ auth, resource, client })
  const signedIn = await rememberConsent(agent, lab)
  const token = await userAccessToken(signedIn, lab)
  const window = { seconds, warmupSeconds: 1, watched: watchedProcesses }
  const local = (url: string) => url.replace('//localhost:', '//127.0.0.1:')
  let m: Measurement
  if (what === 'resource') {
    m = await measureRequests(
      {
        id: what,
        label: what,
        url: local(`${lab.resource}/resource`),
        headers: { authorization: `Bearer ${token}` },
        connections: 50,
      },
      window,
    )
  } else if (what === 'introspect') {
    const headers = {
      authorization: basic(RESOURCE_CLIENT_ID, RESOURCE_CLIENT_SECRET),
      'content-type': 'application/x-www-form-urlencoded',
    }
    m = await measureRequests(
      {
        id: what,
        label: what,
        url: local(`${lab.auth}/introspect`),
        method: 'POST',
        headers,
        body: form({ token }),
        connections: 50,
      },
      window,
    )
  } else if (what === 'flow') {
    m = await measureFlows({ id: what, label: what, workers: 50, flow: () => labBrowserFlow(agent, lab) }, window)
  } else if (what === 'tokenac') {
    // Single-use codes, made first (the profile covers the minting too: look at the token route's share).
    const codes = await mintCodes(signedIn, lab, 6000 * seconds)
    const headers = {
      authorization: basic(CLIENT_ID, CLIENT_SECRET),
      'content-type': 'application/x-www-form-urlencoded',
    }
    const next = () => form(codeGrant(codes.pop() ?? 'exhausted', redirectUri(lab)))
    m = await measureRequests(
      {
        id: what,
        label: what,
        url: local(`${lab.auth}/token`),
        method: 'POST',
        headers,
        nextBody: next,
        maxRequests: codes.length,
        noWarmup: true,
        connections: 50,
      },
      window,
    )
  } else if (what === 'authflow') {
    m = await measureFlows({ id: what, label: what, workers: 32, flow: () => labAuthFlow(agent, lab) }, window)
  } else {
    const headers = {
      authorization: basic(CLIENT_ID, CLIENT_SECRET),
      'content-type': 'application/x-www-form-urlencoded',
    }
    m = await measureRequests(
      {
        id: what,
        label: what,
        url: local(`${lab.auth}/token`),
        method: 'POST',
        headers,
        body: form({ grant_type: 'client_credentials', scope: 'foo bar' }),
        connections: 50,
      },
      window,
    )
  }
  process.stdout.write(
    `${what}: ${Math.round(m.rate)} ${m.unit} (p50 ${m.p50Ms} ms, p99 ${m.p99Ms} ms), other processes ${m.cpu.otherCores} cores; profiled: ${profiled}\n`,
  )
  await stopAll()
  await agent.close()
  report(dir)
}

function report(dir: string): void {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile
    const { byFunction, byOwner } = selfTimes(profile)
    const pct = (share: number) => `${(share * 100).toFixed(1)}%`
    process.stdout.write(`\n${join(dir, file)}\n`)
    process.stdout.write(
      `${table(
        ['self time by owner', 'share'],
        byOwner.slice(0, 15).map(([name, share]) => [name, pct(share)]),
        new Set([1]),
      )}\n\n`,
    )
    process.stdout.write(
      `${table(
        ['on the stack (inclusive)', 'share'],
        stackShares(profile)
          .slice(0, 30)
          .map(([name, share]) => [name, pct(share)]),
        new Set([1]),
      )}\n\n`,
    )
    process.stdout.write(
      `${table(
        ['self time by function', 'share'],
        byFunction.slice(0, 25).map(([name, share]) => [name, pct(share)]),
        new Set([1]),
      )}\n`,
    )
  }
}

try {
  await main()
} finally {
  await stopAll()
}

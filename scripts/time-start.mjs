// `node scripts/time-start.mjs [runs] [command...]`: how long the lab takes
// from spawn to all three /healthz answering 200, `runs` times (default 5),
// on free ports of 127.0.0.1. The command defaults to `node dist/start.js`
// (what `npm start` runs, without npm's own start-up). Prints each run and
// the median and the fastest (the least disturbed by other load), for the README's Performance figures and release notes.

import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { performance } from 'node:perf_hooks'
import process from 'node:process'
import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'node:http'

const [runsArg, ...commandArgs] = process.argv.slice(2)
const runs = Number(runsArg ?? 5)
const command = commandArgs.length > 0 ? commandArgs : [process.execPath, 'dist/start.js']

/** Ports the OS calls free, held together so none repeats. */
async function freePorts(count) {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise((resolve, reject) => {
          const server = createServer().on('error', reject)
          server.listen(0, '127.0.0.1', () => resolve(server))
        }),
    ),
  )
  const ports = servers.map((server) => server.address().port)
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
  return ports
}

/** node:http, not fetch: this script's own start-up should not load undici. */
function healthy(port) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', timeout: 1000 }, (response) => {
      response.resume()
      resolve(response.statusCode === 200)
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(false))
    req.end()
  })
}

async function once() {
  const ports = await freePorts(3)
  const flags = ['--port-auth', '--port-resource', '--port-client'].flatMap((flag, i) => [flag, String(ports[i])])
  const started = performance.now()
  const child = spawn(command[0], [...command.slice(1), ...flags], {
    env: { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  try {
    // 10 ms polls, at most 30 s.
    for (let i = 0; i < 3000; i++) {
      if ((await Promise.all(ports.map(healthy))).every(Boolean)) return Math.round(performance.now() - started)
      if (child.exitCode !== null) throw new Error(`the lab exited with ${child.exitCode}`)
      await sleep(10)
    }
    throw new Error('the lab was not healthy within 30 s')
  } finally {
    child.kill('SIGTERM')
    await Promise.race([exited, sleep(10_000).then(() => child.kill('SIGKILL'))])
  }
}

const times = []
for (let i = 0; i < runs; i++) {
  times.push(await once())
  process.stdout.write(`run ${i + 1}: ${times.at(-1)} ms\n`)
}
const sorted = [...times].sort((a, b) => a - b)
process.stdout.write(`median of ${runs}: ${sorted[Math.floor((runs - 1) / 2)]} ms, fastest: ${sorted[0]} ms\n`)

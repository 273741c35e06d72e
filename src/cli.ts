#!/usr/bin/env node
// `oauth-lab`, the package's bin: all three roles (the launcher, as `npm
// start`), or one role in this process (`oauth-lab auth`). See cli-main.ts.

import { runCli } from './cli-main.js'

await runCli(process.argv.slice(2))

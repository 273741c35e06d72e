// `npm start`: the three roles as child processes (see launcher.ts). Flags
// such as `--config <file>` are checked here and handed on to each child.

import { launch } from './launcher.js'
import { flagArgv, parseLabFlags } from './shared/args.js'
import { loadConfigOrExit } from './shared/config.js'

// loadConfigOrExit exits 2 on a bad flag, so parsing again cannot fail.
const config = loadConfigOrExit()
await launch(config, flagArgv(parseLabFlags(process.argv.slice(2))))

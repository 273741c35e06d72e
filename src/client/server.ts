// Entry file of the client app: `node dist/client/server.js`.

import { runServer } from '../shared/run.js'
import { roleNamed } from '../shared/roles.js'
import { buildClientApp } from './app.js'

await runServer(roleNamed('client'), (config) => buildClientApp(config))

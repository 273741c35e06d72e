// Entry file of the client app: `node dist/client/server.js`.

import { runServer } from '../shared/run.js'
import { roleNamed } from '../shared/roles.js'
import { buildClientApp } from './app.js'

const { name, section } = roleNamed('client')
await runServer(
  name,
  (config) => buildClientApp(config),
  (c) => c[section].port,
  (c) => c[section].publicUrl,
)

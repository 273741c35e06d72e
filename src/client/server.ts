// Entry file of the client app: `node dist/client/server.js`.

import { runServer } from '../shared/run.js'
import { buildClientApp } from './app.js'

await runServer(
  'client',
  buildClientApp,
  (c) => c.client.port,
  (c) => c.client.publicUrl,
)

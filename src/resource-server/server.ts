// Entry point of the resource server: `npm run start:resource`.

import { runServer } from '../shared/run.js'
import { buildResourceServer } from './app.js'

await runServer(
  'resource-server',
  buildResourceServer,
  (c) => c.resource.port,
  (c) => c.resource.publicUrl,
)

import { runServer } from '../shared/run.js'
import { buildAuthServer } from './app.js'

await runServer(
  'auth-server',
  (config) => buildAuthServer(config),
  (c) => c.auth.port,
  (c) => c.auth.publicUrl,
)

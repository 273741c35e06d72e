// Entry file of the authorization server: `node dist/auth-server/server.js`.

import { runServer } from '../shared/run.js'
import { roleNamed } from '../shared/roles.js'
import { buildAuthServer } from './app.js'

const { name, section } = roleNamed('auth-server')
await runServer(
  name,
  (config) => buildAuthServer(config),
  (c) => c[section].port,
  (c) => c[section].publicUrl,
)

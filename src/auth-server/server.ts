// Entry file of the authorization server: `node dist/auth-server/server.js`.

import { runServer } from '../shared/run.js'
import { roleNamed } from '../shared/roles.js'
import { buildAuthServer } from './app.js'

await runServer(roleNamed('auth-server'), (config) => buildAuthServer(config))

// Entry file of the resource server: `npm run start:resource`.

import { runServer } from '../shared/run.js'
import { roleNamed } from '../shared/roles.js'
import { buildResourceServer } from './app.js'

await runServer(roleNamed('resource-server'), (config) => buildResourceServer(config))

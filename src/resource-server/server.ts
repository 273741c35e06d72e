// Entry file of the resource server: `npm run start:resource`.

import { runServer } from '../shared/run.js'
import { roleNamed } from '../shared/roles.js'
import { buildResourceServer } from './app.js'

const { name, section } = roleNamed('resource-server')
await runServer(
  name,
  (config) => buildResourceServer(config),
  (c) => c[section].port,
  (c) => c[section].publicUrl,
)

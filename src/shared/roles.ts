// The lab's three roles, listed once: the launcher starts one process per row,
// the CLI takes `command` as its first argument, each entry file looks up its
// port and URL here, and the bundler (scripts/bundle-roles.mjs, which imports
// the compiled table) builds one file per row. Plain data only: this module is
// in every bundle.

export interface RoleInfo {
  /** The role's name in logs, in the flow recorder and in `ready at` lines. */
  readonly name: string
  /** `oauth-lab <command>` runs this role alone; also the launcher's log tag. */
  readonly command: string
  readonly label: string
  /** The part of LabConfig holding its port and public URL. */
  readonly section: 'auth' | 'resource' | 'client'
  /** The settings row (src/shared/settings.ts) of its port. */
  readonly portSetting: 'authPort' | 'resourcePort' | 'clientPort'
  readonly defaultPort: number
  /** Its compiled entry file, relative to dist/. */
  readonly entry: string
  /** Its one-file bundle, relative to dist/. */
  readonly bundle: string
}

export const ROLES = [
  {
    name: 'auth-server',
    command: 'auth',
    label: 'authorization server',
    section: 'auth',
    portSetting: 'authPort',
    defaultPort: 9001,
    entry: 'auth-server/server.js',
    bundle: 'bundle/auth-server.js',
  },
  {
    name: 'resource-server',
    command: 'resource',
    label: 'resource server',
    section: 'resource',
    portSetting: 'resourcePort',
    defaultPort: 9002,
    entry: 'resource-server/server.js',
    bundle: 'bundle/resource-server.js',
  },
  {
    name: 'client',
    command: 'client',
    label: 'client app',
    section: 'client',
    portSetting: 'clientPort',
    defaultPort: 3000,
    entry: 'client/server.js',
    bundle: 'bundle/client.js',
  },
] as const satisfies readonly RoleInfo[]

export type Role = (typeof ROLES)[number]
export type RoleName = Role['name']
export type Command = Role['command']
export const COMMANDS: readonly Command[] = ROLES.map((role) => role.command)

export function roleNamed(name: RoleName): Role {
  return ROLES.find((role) => role.name === name) ?? ROLES[0]
}

export function roleOfCommand(command: Command): Role {
  return ROLES.find((role) => role.command === command) ?? ROLES[0]
}

// The errors of loading a configuration: own module so that config.ts and
// config-file.ts can both use them without importing each other.

/** A bad setting: the process stops with one line naming it. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

export interface ConfigIssue {
  /** A JSON pointer into the file (`/clients/0/redirectUris/0`), or `line 3, column 5` for a syntax error. */
  readonly path?: string
  readonly problem: string
}

/** Problems in a config file: each names the file, where in it, and what is wrong. */
export class ConfigFileError extends ConfigError {
  override name = 'ConfigFileError'
  constructor(
    readonly file: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(issues.map((issue) => formatIssue(file, issue)).join('\n'))
  }
}

/** `in ./lab.json at /clients/0/redirectUris/0: must be a string` */
export function formatIssue(file: string, issue: ConfigIssue): string {
  return `in ${file}${issue.path === undefined ? '' : ` at ${issue.path === '' ? '/' : issue.path}`}: ${issue.problem}`
}

/** The lines loadConfigOrExit prints: one per problem. */
export function configErrorLines(error: ConfigError): string[] {
  if (error instanceof ConfigFileError)
    return error.issues.map((issue) => `oauth-lab: configuration error ${formatIssue(error.file, issue)}`)
  return [`oauth-lab: configuration error: ${error.message}`]
}

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

/**
 * Problems in a config file, or in startLab options: each names the source,
 * where in it (a JSON pointer), and what is wrong.
 */
export class ConfigFileError extends ConfigError {
  override name = 'ConfigFileError'
  constructor(
    readonly file: string,
    readonly issues: readonly ConfigIssue[],
    /** How the lines name the source: `in ./lab.json`, or `startLab options`. */
    readonly source = `in ${file}`,
  ) {
    super(issues.map((issue) => formatIssue(source, issue)).join('\n'))
  }
}

/** `in ./lab.json at /clients/0/redirectUris/0: must be a string` */
export function formatIssue(source: string, issue: ConfigIssue): string {
  return `${source}${issue.path === undefined ? '' : ` at ${issue.path === '' ? '/' : issue.path}`}: ${issue.problem}`
}

/** The lines loadConfigOrExit prints: one per problem. */
export function configErrorLines(error: ConfigError): string[] {
  if (error instanceof ConfigFileError)
    return error.issues.map((issue) => `oauth-lab: configuration error ${formatIssue(error.source, issue)}`)
  return [`oauth-lab: configuration error: ${error.message}`]
}

/** One problem found in a configuration, located as precisely as the source allows. */
export interface ConfigIssue {
  /** The key path, e.g. `server.workers`. */
  path: string;
  message: string;
  /** The file the value came from, or the environment variable that set it. */
  source: string;
  /** 1-based line and column in `source` when it is a file. */
  line?: number;
  column?: number;
}

/**
 * Thrown for an unreadable, unparsable or invalid configuration. Its message lists every issue as
 * `file:line:column key.path: message`, so an editor can jump to each.
 */
export class ConfigError extends Error {
  readonly code = 'ZEPHYR_ERR_CONFIG';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(`Invalid Zephyr configuration:\n${issues.map((issue) => `  ${formatIssue(issue)}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

function formatIssue(issue: ConfigIssue): string {
  const where =
    issue.line === undefined ? issue.source : `${issue.source}:${issue.line}:${issue.column ?? 1}`;
  return `${where} ${issue.path || '(root)'}: ${issue.message}`;
}

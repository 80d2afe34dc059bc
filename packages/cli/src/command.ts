/** Where a command writes and what it sees of the process: injected, so commands run in tests. */
export interface CommandContext {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Writes to standard output (results a script may read). */
  out(text: string): void;
  /** Writes to standard error (progress, what was read, problems). */
  err(text: string): void;
  /** Whether a person is at the terminal (prompts are allowed). */
  readonly interactive: boolean;
}

/** A CLI command: arguments in, an exit code out. */
export interface Command {
  summary: string;
  usage: string;
  /** The command prints its own `--help` (a fuller text than `usage`). */
  handlesHelp?: boolean;
  run(args: readonly string[], context: CommandContext): Promise<number> | number;
}

/** Bad arguments: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'ZEPHYR_ERR_INVALID_ARGUMENT';
  readonly expose = true;
}

import { ConfigError, closestName } from '@zephyr/config';
import { type CommandContext, UsageError } from './command.js';
import { commands } from './commands.js';

function help(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(
    ([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`,
  );
  return `Usage: zephyr <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nzephyr <command> --help shows a command's usage.\n`;
}

/** An error of Zephyr's shared shape whose message is meant for the person running the command. */
function isExposedZephyrError(err: unknown): err is Error & { code: string } {
  return (
    err instanceof Error &&
    typeof (err as { code?: unknown }).code === 'string' &&
    (err as unknown as { code: string }).code.startsWith('ZEPHYR_ERR_')
  );
}

/**
 * Runs the CLI on `argv` (without `node` and the script) and resolves to the exit code: 0 done,
 * 1 the command failed (invalid config, a refused migration, …), 2 bad usage.
 *
 * @example
 * ```ts
 * const code = await runCli(['config'], { cwd: process.cwd(), env: process.env, interactive: false,
 *   out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }, '0.1.0');
 * ```
 */
export async function runCli(
  argv: readonly string[],
  context: CommandContext,
  version: string,
): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? context.err : context.out)(help());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    context.out(`${version}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    const hint = closestName(name, Object.keys(commands));
    context.err(`zephyr: unknown command "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}\n\n${help()}`);
    return 2;
  }
  if (!command.handlesHelp && (args.includes('--help') || args.includes('-h'))) {
    context.out(`Usage: ${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(args, context);
  } catch (err) {
    if (
      err instanceof UsageError ||
      (isExposedZephyrError(err) && err.code === 'ZEPHYR_ERR_INVALID_ARGUMENT')
    ) {
      context.err(`zephyr ${name}: ${err.message}\n\nUsage: ${command.usage}\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      context.err(`${err.message}\n`);
      return 1;
    }
    if (isExposedZephyrError(err)) {
      context.err(`zephyr ${name}: ${err.message} (${err.code})\n`);
      return 1;
    }
    throw err;
  }
}

import { closestName } from '@zephyr/config';
import { type CommandResult, commands } from './commands.js';

function help(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(
    ([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`,
  );
  return `Usage: zephyr <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nzephyr <command> --help shows a command's usage.\n`;
}

/**
 * Runs the CLI on `argv` (without `node` and the script) and returns what to print.
 *
 * @example runCli(['config', '--file', 'zephyr.config.yaml'], process.cwd(), process.env)
 */
export function runCli(
  argv: readonly string[],
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
  version: string,
): CommandResult {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    return { stdout: help(), stderr: '', code: name === undefined ? 2 : 0 };
  }
  if (name === '--version' || name === '-v') return { stdout: `${version}\n`, stderr: '', code: 0 };
  const command = commands[name];
  if (!command) {
    const hint = closestName(name, Object.keys(commands));
    return {
      stdout: '',
      stderr: `zephyr: unknown command "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}\n\n${help()}`,
      code: 2,
    };
  }
  if (args.includes('--help') || args.includes('-h'))
    return { stdout: `Usage: ${command.usage}\n`, stderr: '', code: 0 };
  return command.run(args, cwd, env);
}

import type { CommandContext } from './command.js';
import { loadZephyrConfig } from './config-sections.js';
import { parseCommandArgs } from './parse-command-args.js';

/** `zephyr config`: validates the configuration and prints it resolved, saying which file it read. */
export function runConfig(args: readonly string[], context: CommandContext): number {
  const { values } = parseCommandArgs(args, { file: { type: 'string' } }, 0);
  if (values.file !== undefined && values.file.trim() === '') return usageFail(context);
  const { config, file } = loadZephyrConfig(context.cwd, context.env, values.file);
  context.err(
    file
      ? `zephyr config: read ${file}\n`
      : `zephyr config: no zephyr.config.yaml (or .yml) in ${context.cwd} or any parent: defaults, with ZEPHYR_* overrides\n`,
  );
  context.out(`${JSON.stringify(config, null, 2)}\n`);
  return 0;
}

function usageFail(context: { err(text: string): void }): number {
  context.err('zephyr config: --file needs a path\n');
  return 2;
}

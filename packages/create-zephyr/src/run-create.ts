import { createUsage, parseCreateArgs } from './create-options.js';
import { CANCELLED, resolveOptions } from './prompt-options.js';
import { nextSteps, scaffold } from './scaffold.js';

/** What the scaffolder sees of the process (the same shape as @zephyr/cli's command context). */
export interface CreateContext {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly interactive: boolean;
  out(text: string): void;
  err(text: string): void;
}

/**
 * Runs the scaffolder on `argv` (the flags of `create-zephyr`), asking for what is missing when a
 * person is at the terminal. Resolves to the exit code: 0 created, 1 cancelled.
 *
 * @throws CreateError for bad flags, a non-empty directory, missing tarballs or a failed install.
 */
export async function runCreate(
  argv: readonly string[],
  context: CreateContext,
  command = 'create-zephyr',
): Promise<number> {
  const args = parseCreateArgs(argv);
  if (args.help) {
    context.out(createUsage(command));
    return 0;
  }
  const options = await resolveOptions(args, context);
  if (options === CANCELLED) return 1;
  const result = await scaffold(options, context, (step, total, text) =>
    context.out(`[${step}/${total}] ${text}\n`),
  );
  context.out(
    `\nCreated ${options.template} app in ${result.dir}\n${nextSteps(options, result, context.cwd)}`,
  );
  return 0;
}

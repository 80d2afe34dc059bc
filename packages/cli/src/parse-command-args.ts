import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './command.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** What {@link parseCommandArgs} returns: flag values by name, and the positional arguments. */
export interface ParsedCommandArgs<O extends Options> {
  values: ReturnType<
    typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>
  >['values'];
  positionals: string[];
}

/**
 * Strict argument parsing shared by every command: an unknown flag, a missing flag value or more
 * positional arguments than the command takes is a {@link UsageError}, never ignored.
 */
export function parseCommandArgs<const O extends Options>(
  args: readonly string[],
  options: O,
  maxPositionals: number,
): ParsedCommandArgs<O> {
  let parsed: ParsedCommandArgs<O>;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err });
  }
  if (parsed.positionals.length > maxPositionals) {
    const stray = parsed.positionals.slice(maxPositionals).map((p) => `"${p}"`);
    throw new UsageError(`unexpected argument${stray.length > 1 ? 's' : ''}: ${stray.join(' ')}`);
  }
  return parsed;
}

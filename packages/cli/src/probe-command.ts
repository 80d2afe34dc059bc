import { ioUringSupported } from '@zephyr/uring';
import type { CommandContext } from './command.js';
import { parseCommandArgs } from './parse-command-args.js';

/** `zephyr probe`: whether io_uring can be used here, and why not (exit 1 when not). */
export function runProbe(args: readonly string[], context: CommandContext): number {
  parseCommandArgs(args, {}, 0);
  const probe = ioUringSupported();
  if (probe.supported) {
    context.out(`io_uring: supported (features 0x${probe.features.toString(16)})\n`);
    return 0;
  }
  context.out(`io_uring: not supported: ${probe.reason}\n`);
  return 1;
}

import { ioUringSupported } from '@zephyr/uring';
import type { Command } from './command.js';
import { configCommand } from './config-command.js';
import { dbCommand } from './db-command.js';
import { newCommand } from './new-command.js';
import { parseCommandArgs } from './parse-command-args.js';
import { startCommand } from './start-command.js';

const probeCommand: Command = {
  summary: 'tell whether io_uring can be used here, and why not',
  usage: 'zephyr probe',
  run(args, context) {
    parseCommandArgs(args, {}, 0);
    const probe = ioUringSupported();
    if (probe.supported) {
      context.out(`io_uring: supported (features 0x${probe.features.toString(16)})\n`);
      return 0;
    }
    context.out(`io_uring: not supported: ${probe.reason}\n`);
    return 1;
  },
};

/** Every command `zephyr` runs, by name; `zephyr --help` lists them in this order. */
export const commands: Record<string, Command> = {
  new: newCommand,
  start: startCommand,
  db: dbCommand,
  config: configCommand,
  probe: probeCommand,
};

/**
 * Commands with a name and a home but no code yet: `zephyr dev` says where it is coming from
 * instead of "unknown command". Each moves to {@link commands} when it is built.
 */
export const plannedCommands: Record<string, string> = {
  dev: 'hot reload arrives with @zephyr/devtools; until then `npm run dev` builds and starts the app',
  repl: 'a REPL into a running app arrives with @zephyr/devtools',
  profile: 'the CPU and heap profilers arrive with @zephyr/devtools',
};

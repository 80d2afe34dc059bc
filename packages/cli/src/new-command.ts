import { createUsage, runCreate } from 'create-zephyr';
import type { Command } from './command.js';

/** `zephyr new <dir>`: the create-zephyr scaffolder, the same as `npm create zephyr`. */
export const newCommand: Command = {
  summary: 'create an app: zephyr new <dir> [--template minimal|api|full] [--yes] …',
  usage: createUsage('zephyr new').replace(/^Usage: /, ''),
  run(args, context) {
    return runCreate(args, context);
  },
};

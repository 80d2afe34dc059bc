export type { Command, CommandResult } from './commands.js';
export { runCli } from './main.js';

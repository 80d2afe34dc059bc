// The public API of @zephyr/cli: the command runner, and what an app's entry module uses with `zephyr start`.

export {
  DEFAULT_ENTRY,
  DEFAULT_MIGRATIONS_DIR,
  DEFAULT_SCHEMA_MODULE,
  PGLITE_DATA_DIR,
} from './app-layout.js';
export type { AppEntry, StartContext, StartedApp } from './app-module.js';
export type { Command, CommandContext } from './command.js';
export { type LoadedConfig, loadZephyrConfig, type ZephyrConfig } from './config-sections.js';
export { runCli } from './main.js';
export { describeDatabase, openDatabase } from './open-database.js';

import {
  DEFAULT_DEV_ENTRY,
  DEFAULT_ENTRY,
  DEFAULT_MIGRATIONS_DIR,
  DEFAULT_SCHEMA_MODULE,
} from './app-layout.js';
import type { Command, CommandContext } from './command.js';

type Run = (args: readonly string[], context: CommandContext) => Promise<number> | number;

/**
 * A command whose code loads when it runs: `zephyr --help` or `zephyr config` should not wait for
 * the database engine, the HTTP engine and the prompt library to load.
 */
function lazy(summary: string, usage: string, load: () => Promise<Run>, handlesHelp = false): Command {
  return { summary, usage, handlesHelp, run: async (args, context) => (await load())(args, context) };
}

const CONFIG_FLAG =
  '--config <file>  the config file (default: zephyr.config.yaml here or in a parent directory)';

/** Every command `zephyr` runs, by name; `zephyr --help` lists them in this order. */
export const commands: Record<string, Command> = {
  new: lazy(
    'create an app: zephyr new <dir> [--template minimal|api|full] [--yes] …',
    'zephyr new [dir] [options]   (zephyr new --help lists them)',
    async () => {
      const { runCreate } = await import('create-zephyr');
      return (args, context) => runCreate(args, context, 'zephyr new');
    },
    true,
  ),
  start: lazy(
    'serve the built app with the workers and engine of zephyr.config.yaml',
    `zephyr start [--entry <file>] [--config <file>]

  --entry <file>   the built module whose default export is the app (default ${DEFAULT_ENTRY})
  ${CONFIG_FLAG}`,
    async () => (await import('./start-command.js')).runStart,
  ),
  dev: lazy(
    'serve the app from its TypeScript sources and reload it on every change, dropping no request',
    `zephyr dev [entry] [--port <n>] [--config <file>]

  entry            the TypeScript module whose default export is the app (default ${DEFAULT_DEV_ENTRY})
  --port <n>       the port (default server.port of the config; 0 picks a free one)
  ${CONFIG_FLAG}

Watches the app's directory (not node_modules, dist, .git, .zephyr). On a change a new generation
starts beside the serving one, and the old one drains once the new one listens. A change that
does not compile or throws at startup is shown with a code frame; the old generation serves on.`,
    async () => (await import('./dev-command.js')).runDev,
  ),
  db: lazy(
    'schema migrations: generate <name> | migrate | rollback | status',
    `zephyr db <generate <name> | migrate | rollback | status> [options]

  generate <name>      write migrations/<timestamp>_<name>.sql: the diff from the migrations to the schema
  migrate              show, then apply, every pending migration
  rollback [--steps n] show, then run, the down SQL of the last n applied migrations (default 1)
  status               each migration's state, and whether the schema has changes no migration holds

  --allow-destructive  allow steps that lose data: dropped tables or columns (refused otherwise)
  --schema <file>      the built module exporting \`schema\` (default ${DEFAULT_SCHEMA_MODULE})
  --migrations <dir>   the migrations directory (default ${DEFAULT_MIGRATIONS_DIR})
  ${CONFIG_FLAG}

The database is database.url from the config (or ZEPHYR_DATABASE__URL), else the app's PGlite directory.`,
    async () => (await import('./db-command.js')).runDb,
  ),
  config: lazy(
    'validate zephyr.config.yaml (with ZEPHYR_* overrides) and print the resolved configuration',
    `zephyr config [--file <path>]

  --file <path>  the file to read (default: zephyr.config.yaml or .yml in this directory or the nearest parent)

Prints the resolved configuration as JSON on stdout; which file was read goes to stderr.
Exits 1 listing every problem as file:line:column key.path: message.`,
    async () => (await import('./config-command.js')).runConfig,
  ),
  probe: lazy(
    'tell whether io_uring can be used here, and why not',
    'zephyr probe',
    async () => (await import('./probe-command.js')).runProbe,
  ),
};

/**
 * Commands with a name and a home but no code yet: `zephyr repl` says where it is coming from
 * instead of "unknown command". Each moves to {@link commands} when it is built.
 */
export const plannedCommands: Record<string, string> = {
  repl: 'a REPL into a running app arrives with @zephyr/devtools',
  profile: 'the CPU and heap profilers arrive with @zephyr/devtools',
};

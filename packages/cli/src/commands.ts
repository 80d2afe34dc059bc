import {
  DEFAULT_DEV_ENTRY,
  DEFAULT_ENTRY,
  DEFAULT_MIGRATIONS_DIR,
  DEFAULT_SCHEMA_MODULE,
} from './app-layout.js';
import type { Command, CommandContext } from './command.js';
import { APP_FLAGS_USAGE } from './commands/running-app.js';

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
    'schema migrations and seeds: generate <name> | migrate | rollback | status | seed <file>',
    `zephyr db <generate <name> | migrate | rollback | status | seed <file>> [options]

  generate <name>      write migrations/<timestamp>_<name>.sql: the diff from the migrations to the schema
  migrate              show, then apply, every pending migration
  rollback [--steps n] show, then run, the down SQL of the last n applied migrations (default 1)
  status               each migration's state, and whether the schema has changes no migration holds
  seed <file>          run the seed the built module <file> default-exports, in one transaction

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
  repl: lazy(
    'a REPL inside the running app: app, db, system and config in scope',
    `zephyr repl [--socket <path> | --pid <pid>] [--history <file>]

${APP_FLAGS_USAGE}
  --history <file> the history file (default ~/.zephyr_repl_history)

The app opens its control socket with attachDevtools (on in development).`,
    async () => (await import('./commands/repl-command.js')).runRepl,
  ),
  profile: lazy(
    'a CPU profile of the running app: a .cpuprofile and its top functions by self time',
    `zephyr profile cpu [--seconds <n>] [--out <file>] [--top <n>] [--socket <path> | --pid <pid>]

  --seconds <n>    how long to profile (default 10)
  --out <file>     where to write the .cpuprofile (default cpu-<pid>-<time>.cpuprofile here)
  --top <n>        functions listed (default 15)
${APP_FLAGS_USAGE}`,
    async () => (await import('./commands/profile-command.js')).runProfile,
  ),
  heap: lazy(
    'heap snapshots of the running app, summed by constructor, and what grew between two',
    `zephyr heap snapshot [--out <file>] [--top <n>] [--socket <path> | --pid <pid>]
zephyr heap diff <before.heapsnapshot> <after.heapsnapshot> [--top <n>]

  --out <file>     where to write the .heapsnapshot (default heap-<pid>-<time>.heapsnapshot here)
  --top <n>        constructors listed (default 20)
${APP_FLAGS_USAGE}`,
    async () => (await import('./commands/heap-command.js')).runHeap,
  ),
  probe: lazy(
    'tell whether io_uring can be used here, and why not',
    'zephyr probe',
    async () => (await import('./probe-command.js')).runProbe,
  ),
};

import { parseArgs } from 'node:util';
import { CreateError, INVALID_ARGUMENT } from './create-error.js';

/** The templates shipped in this package. */
export const TEMPLATES = ['minimal', 'api', 'full'] as const;
/** Where an app with a database keeps it. */
export const DATABASES = ['pglite', 'postgres'] as const;
/** The I/O engine written to `server.io_engine`. */
export const ENGINES = ['auto', 'io_uring', 'node'] as const;
/** The package managers the scaffolder installs with. */
export const PACKAGE_MANAGERS = ['npm', 'pnpm'] as const;

export type Template = (typeof TEMPLATES)[number];
export type DatabaseKind = (typeof DATABASES)[number];
export type Engine = (typeof ENGINES)[number];
export type PackageManager = (typeof PACKAGE_MANAGERS)[number];

/** Everything that decides what gets written; every field is also a flag. */
export interface CreateOptions {
  /** The directory to create the app in (relative to the working directory). */
  dir: string;
  template: Template;
  /** Only for `api` and `full`; `minimal` has no database. */
  db: DatabaseKind;
  engine: Engine;
  pm: PackageManager;
  /** Write into a non-empty directory, replacing files of the same name. */
  force: boolean;
  /** Run the package manager's install after writing (default true). */
  install: boolean;
  /** A directory of packed `@zephyr/*` tarballs to install from instead of the registry. */
  from?: string;
}

/** The flags as given: what is missing is asked for, or defaulted with `--yes`. */
export interface CreateArgs {
  options: Partial<CreateOptions>;
  yes: boolean;
  help: boolean;
}

/** The usage text of `create-zephyr` and `zephyr new`. */
export function createUsage(command: string): string {
  return `Usage: ${command} [dir] [options]

Creates a Zephyr app in <dir>. Missing choices are asked for; with --yes they take the defaults.

Options:
  --template <name>   ${TEMPLATES.join(' | ')}  (default api)
                        minimal: one route and its test
                        api:     routes, zod validation, @zephyr/db with a migration, tests
                        full:    api + an actor (@zephyr/runtime)
  --db <kind>         ${DATABASES.join(' | ')}  (default pglite: embedded, no server needed)
  --engine <name>     ${ENGINES.join(' | ')}  (default auto: io_uring where the kernel allows it)
  --pm <name>         ${PACKAGE_MANAGERS.join(' | ')}  (default: the one running this command)
  --from <dir>        install @zephyr/* from the packed tarballs in <dir> (pnpm -r pack)
  --no-install        write the files only
  --force             write into a non-empty directory
  -y, --yes           take the default for every choice not given
  -h, --help          show this help
`;
}

function oneOf<T extends string>(
  flag: string,
  value: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new CreateError(INVALID_ARGUMENT, `--${flag} must be one of ${allowed.join(', ')} (got "${value}")`);
}

/**
 * Parses `create-zephyr` / `zephyr new` arguments. Unknown flags, a flag without its value, a
 * value outside its choices and more than one directory are each refused with the reason.
 *
 * @throws CreateError with code `ZEPHYR_ERR_INVALID_ARGUMENT`.
 */
export function parseCreateArgs(argv: readonly string[]): CreateArgs {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    throw new CreateError(INVALID_ARGUMENT, (err as Error).message, { cause: err });
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) {
    throw new CreateError(
      INVALID_ARGUMENT,
      `expected one directory, got ${positionals.length}: ${positionals.map((p) => `"${p}"`).join(' ')}`,
    );
  }
  const options: Partial<CreateOptions> = {};
  const dir = positionals[0];
  if (dir !== undefined) {
    if (dir.trim() === '') throw new CreateError(INVALID_ARGUMENT, 'the directory name is empty');
    options.dir = dir;
  }
  const template = oneOf('template', values.template, TEMPLATES);
  if (template) options.template = template;
  const db = oneOf('db', values.db, DATABASES);
  if (db) options.db = db;
  const engine = oneOf('engine', values.engine, ENGINES);
  if (engine) options.engine = engine;
  const pm = oneOf('pm', values.pm, PACKAGE_MANAGERS);
  if (pm) options.pm = pm;
  if (values.from !== undefined) {
    if (values.from.trim() === '') throw new CreateError(INVALID_ARGUMENT, '--from needs a directory');
    options.from = values.from;
  }
  if (values.force) options.force = true;
  if (values['no-install']) options.install = false;
  if (options.template === 'minimal' && options.db !== undefined) {
    throw new CreateError(
      INVALID_ARGUMENT,
      '--db applies to the api and full templates; minimal has no database',
    );
  }
  return { options, yes: values.yes === true, help: values.help === true };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      template: { type: 'string', short: 't' },
      db: { type: 'string' },
      engine: { type: 'string' },
      pm: { type: 'string' },
      from: { type: 'string' },
      'no-install': { type: 'boolean' },
      force: { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** The package manager that launched this process (`npm create`, `pnpm create`), from its user agent. */
export function detectPackageManager(env: Readonly<Record<string, string | undefined>>): PackageManager {
  return env.npm_config_user_agent?.startsWith('pnpm/') ? 'pnpm' : 'npm';
}

/** The defaults `--yes` takes. */
export function defaultOptions(
  env: Readonly<Record<string, string | undefined>>,
): Omit<CreateOptions, 'from'> {
  return {
    dir: 'zephyr-app',
    template: 'api',
    db: 'pglite',
    engine: 'auto',
    pm: detectPackageManager(env),
    force: false,
    install: true,
  };
}

import cluster from 'node:cluster';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '@zephyr/config';
import {
  createDatabase,
  type Database,
  type DbConfig,
  pglite,
  poolOptionsFromConfig,
  postgres,
} from '@zephyr/db';
import { PGLITE_DATA_DIR } from './app-layout.js';

/** Schemas as `createDatabase` takes them. */
type AnySchema = Parameters<typeof createDatabase>[0]['schema'];

/**
 * Opens the app's database as configured: PostgreSQL at `database.url` (with the `database.pool`
 * limits), else embedded PGlite in `<root>/.zephyr/pglite`.
 *
 * @throws ConfigError for PGlite in a worker process: PGlite is embedded in one process, and two
 *   processes writing one data directory would corrupt it.
 *
 * @example
 * ```ts
 * export default function start({ config, root }: StartContext): StartedApp {
 *   const db = openDatabase(schema, config.database, root);
 *   return { app: buildApp(db), close: () => db.destroy() };
 * }
 * ```
 */
export function openDatabase<S extends AnySchema>(schema: S, config: DbConfig, root: string): Database<S> {
  if (config.url !== undefined) {
    return createDatabase({
      schema,
      dialect: postgres({ connectionString: config.url, pool: poolOptionsFromConfig(config) }),
    });
  }
  if (cluster.isWorker) {
    throw new ConfigError([
      {
        path: 'server.workers',
        source: 'this worker process:',
        message:
          'PGlite is embedded in one process and cannot be shared by several workers: set server.workers: 1, or database.url for PostgreSQL',
      },
    ]);
  }
  const dataDir = resolve(root, PGLITE_DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  return createDatabase({ schema, dialect: pglite({ dataDir }) });
}

/** The database `openDatabase` opens, for a person to read (the URL without its password). */
export function describeDatabase(config: DbConfig, root: string): string {
  if (config.url === undefined) return `PGlite in ${resolve(root, PGLITE_DATA_DIR)}`;
  try {
    const url = new URL(config.url);
    if (url.password) url.password = '***';
    return `PostgreSQL at ${url.toString()}`;
  } catch {
    return 'PostgreSQL (database.url is not a URL)';
  }
}

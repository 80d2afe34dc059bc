// Where a Zephyr app keeps things, by convention, relative to its root (the directory of its
// zephyr.config.yaml). Each command's flag overrides its default; the templates follow these.

/** The built module `zephyr start` serves (`--entry`). */
export const DEFAULT_ENTRY = 'dist/app.js';
/** The built module `zephyr db` reads the declared schema from (`--schema`). */
export const DEFAULT_SCHEMA_MODULE = 'dist/schema.js';
/** Where migration files live (`--migrations`). */
export const DEFAULT_MIGRATIONS_DIR = 'migrations';
/**
 * Where an app without `database.url` keeps its embedded PGlite data: one place for the rule, so
 * `zephyr db migrate` and the running app open the same database.
 */
export const PGLITE_DATA_DIR = '.zephyr/pglite';
/** The TypeScript source `zephyr dev` serves (its `[entry]` argument). */
export const DEFAULT_DEV_ENTRY = 'src/app.ts';

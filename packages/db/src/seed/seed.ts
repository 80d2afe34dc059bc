import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Database } from '../database/database.js';
import { DatabaseArgumentError } from '../errors/zephyr-db-error.js';
import type { AnySchema } from '../schema/schema.js';

/** A seed: fills a database with the data development and tests start from. */
export type Seed<S extends AnySchema = AnySchema> = (db: Database<S>) => Promise<void>;

/** What {@link runSeed} reports. */
export interface SeedResult {
  readonly durationMs: number;
}

/**
 * Declares a seed, typed by the schema of the database it receives. A seed file default-exports one.
 *
 * @example
 * ```ts
 * // db/seed.ts
 * export default defineSeed<typeof schema>(async (db) => {
 *   await db.models.users.createMany([{ email: 'ada@example.com' }]);
 * });
 * ```
 */
export function defineSeed<S extends AnySchema>(seed: Seed<S>): Seed<S> {
  if (typeof seed !== 'function')
    throw new DatabaseArgumentError('defineSeed needs a function (db) => Promise<void>');
  return seed;
}

/**
 * Runs a seed in one transaction: all its rows or none, so a failing seed leaves the database as it
 * was. `db` inside the seed is the transaction.
 */
export async function runSeed<S extends AnySchema>(db: Database<S>, seed: Seed<S>): Promise<SeedResult> {
  if (typeof seed !== 'function') throw new DatabaseArgumentError('runSeed needs a seed function');
  const started = performance.now();
  await db.transaction(async (tx) => {
    await seed(tx);
  });
  return { durationMs: performance.now() - started };
}

/**
 * Imports a seed file (relative paths resolve from `cwd`) and returns its default export, checked to
 * be a function. `zephyr db seed` is `runSeed(db, await loadSeed(file))`.
 */
export async function loadSeed<S extends AnySchema = AnySchema>(
  file: string,
  cwd = process.cwd(),
): Promise<Seed<S>> {
  if (typeof file !== 'string' || file === '') throw new DatabaseArgumentError('loadSeed needs a file path');
  const path = isAbsolute(file) ? file : resolve(cwd, file);
  const module = (await import(pathToFileURL(path).href)) as { default?: unknown };
  if (typeof module.default !== 'function') {
    throw new DatabaseArgumentError(`seed file ${file} must default-export a function (db) => Promise<void>`);
  }
  return module.default as Seed<S>;
}

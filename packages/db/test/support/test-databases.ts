import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import {
  type AnySchema,
  createDatabase,
  createMigrator,
  type Database,
  type DatabaseOptions,
  type PoolOptions,
  pglite,
  postgres,
} from '../../src/index.js';

/** The real PostgreSQL every run needs; missing is a failure, never a skip (CI always provides it). */
export function postgresUrl(): string {
  const url = process.env.ZEPHYR_TEST_PG_URL;
  if (url === undefined || url === '') {
    throw new Error(
      'ZEPHYR_TEST_PG_URL is not set: run `eval "$(bash .ci/services.sh)"` from the repository root',
    );
  }
  return url;
}

/** Runs one statement on a short-lived admin connection (schema setup, pg_stat_activity checks). */
export async function adminQuery<R extends pg.QueryResultRow>(
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: postgresUrl() });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** A database opened for one test file, isolated, with a way to throw it away. */
export interface TestDatabase<S extends AnySchema> {
  readonly db: Database<S>;
  /** The schema holding this test database's tables (on the shared PGlite or PostgreSQL). */
  readonly schemaName: string;
  /** `application_name` of its sessions, to find them in `pg_stat_activity`. */
  readonly applicationName: string;
  /** Another `Database` over the same storage with a different declared schema (schema evolution). */
  readonly reopen: <S2 extends AnySchema>(schema: S2) => Database<S2>;
  /** Drops and recreates the schema: an empty database again, much cheaper than a new one. */
  readonly reset: () => Promise<void>;
  readonly close: () => Promise<void>;
}

/** Extra options for {@link openTestDatabase}. */
export interface OpenOptions {
  readonly pool?: PoolOptions;
  readonly onQuery?: DatabaseOptions<AnySchema>['onQuery'];
  /** Create the declared tables (default true). */
  readonly push?: boolean;
}

/** The PGlite instance shared by the whole run. */
// Booting PGlite (WebAssembly compile + initdb) costs seconds. Test files share one worker (vitest
// `isolate: false`), so one instance serves the whole run, each test database in its own schema.
let sharedPGlite: Promise<PGlite> | undefined;
export function pgliteInstance(): Promise<PGlite> {
  sharedPGlite ??= PGlite.create();
  return sharedPGlite;
}

/** The dialects every shared suite runs against. */
export const DIALECTS = ['pglite', 'postgres'] as const;
export type DialectName = (typeof DIALECTS)[number];

/**
 * A fresh, isolated database: PGlite in memory, or a new schema on the shared PostgreSQL (selected
 * through the sessions' `search_path`), dropped again by `close`.
 */
export async function openTestDatabase<S extends AnySchema>(
  kind: DialectName,
  schema: S,
  options: OpenOptions = {},
): Promise<TestDatabase<S>> {
  const suffix = randomBytes(4).toString('hex');
  const schemaName = `zt_${suffix}`;
  const applicationName = `zephyr_test_${suffix}`;
  const instance = kind === 'pglite' ? await pgliteInstance() : undefined;
  if (instance === undefined) await adminQuery(`create schema ${schemaName}`);
  else await instance.exec(`create schema ${schemaName}`);
  const reopened: Database<AnySchema>[] = [];
  const open = <S2 extends AnySchema>(s2: S2) =>
    createDatabase({
      schema: s2,
      dialect:
        instance !== undefined
          ? pglite({ instance, searchPath: schemaName })
          : postgres({
              connectionString: postgresUrl(),
              searchPath: schemaName,
              applicationName,
              ...(options.pool === undefined ? {} : { pool: options.pool }),
            }),
      ...(options.onQuery === undefined ? {} : { onQuery: options.onQuery }),
    });
  const db = open(schema);
  if (options.push !== false) await createMigrator(db, { directory: '/nonexistent' }).push();
  return {
    db,
    schemaName,
    applicationName,
    reopen: (s2) => {
      const other = open(s2);
      reopened.push(other as unknown as Database<AnySchema>);
      return other;
    },
    reset: async () => {
      const { sql } = await import('../../src/index.js');
      await sql
        .raw(`drop schema if exists ${schemaName} cascade; create schema ${schemaName}`)
        .execute(db.kysely);
    },
    close: async () => {
      for (const other of reopened) await other.destroy();
      await db.destroy();
      if (instance === undefined) await adminQuery(`drop schema ${schemaName} cascade`);
      else await instance.exec(`drop schema ${schemaName} cascade`);
    },
  };
}

/** Empties every table of the schema between tests (identities restart, so ids are predictable). */
export async function truncateAll<S extends AnySchema>(db: Database<S>): Promise<void> {
  const names = Object.keys(db.schema.tables).map((n) => `"${n}"`);
  const { sql } = await import('../../src/index.js');
  await sql.raw(`truncate ${names.join(', ')} restart identity cascade`).execute(db.kysely);
}

/**
 * The database of one `describe` block: opened before its tests, emptied before each test, closed
 * after them. Its fields are read inside tests (the database opens in `beforeAll`).
 */
export function useTestDatabase<S extends AnySchema>(kind: DialectName, schema: S): TestDatabase<S> {
  let current: TestDatabase<S> | undefined;
  beforeAll(async () => {
    current = await openTestDatabase(kind, schema);
  });
  afterAll(async () => {
    await current?.close();
  });
  beforeEach(async () => {
    await truncateAll(open().db);
  });
  const open = (): TestDatabase<S> => {
    if (current === undefined) throw new Error('the test database is open only while its tests run');
    return current;
  };
  return {
    get db() {
      return open().db;
    },
    get schemaName() {
      return open().schemaName;
    },
    get applicationName() {
      return open().applicationName;
    },
    reopen: (other) => open().reopen(other),
    reset: () => open().reset(),
    close: () => open().close(),
  };
}

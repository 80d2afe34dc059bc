import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CompiledQuery, sql } from 'kysely';
import type { Database } from '../database/database.js';
import {
  DestructiveChangeError,
  MigrationChecksumError,
  MigrationMissingError,
  MigrationPendingError,
} from '../errors/migration-errors.js';
import { DatabaseArgumentError } from '../errors/zephyr-db-error.js';
import type { UntypedKysely } from '../model/untyped-kysely.js';
import type { AnySchema } from '../schema/schema.js';
import { canonicalSnapshot } from './canonical-snapshot.js';
import { diffSchemas, type SchemaChange } from './diff-schemas.js';
import { HISTORY_TABLE, introspectDatabase } from './introspect-database.js';
import { type MigrationFile, readMigrations, renderMigrationFile } from './migration-file.js';
import { type SchemaSnapshot, snapshotFromSchema } from './schema-snapshot.js';

/** Options of {@link Migrator}. */
export interface MigratorOptions {
  /** Where migration `.sql` files live. */
  readonly directory: string;
  /** Longest wait for another process's migration lock before failing. Default 60000 ms. */
  readonly lockTimeoutMs?: number;
}

/** A migration's state, as `status()` reports it. */
export interface MigrationStatus {
  readonly name: string;
  /** `changed`: applied, but the file was edited since; `missing`: applied, file gone. */
  readonly state: 'applied' | 'pending' | 'changed' | 'missing';
  readonly appliedAt: Date | undefined;
}

interface HistoryRow {
  name: string;
  checksum: string;
  down_sql: string;
  applied_at: Date;
}

// An arbitrary constant shared by every Zephyr process: the advisory lock that serialises migrations.
const LOCK_KEY = 7_215_041_123_884_417n;

/**
 * The schema manager: compares the declared schema with the live database, writes reviewed migration
 * files, applies and rolls them back under a PostgreSQL advisory lock, and keeps a history table
 * with checksums so an edited, already-applied migration is refused.
 */
export class Migrator<S extends AnySchema> {
  readonly #db: Database<S>;
  readonly #directory: string;
  readonly #lockTimeoutMs: number;

  constructor(db: Database<S>, options: MigratorOptions) {
    this.#db = db;
    this.#directory = options.directory;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 60_000;
  }

  /** The changes that would bring the live database to the declared schema (nothing is written). */
  async diff(): Promise<SchemaChange[]> {
    const declared = await this.#declared();
    const live = await introspectDatabase(this.#db.kysely as UntypedKysely);
    return diffSchemas(live, declared);
  }

  /** The declared schema, its defaults and checks in PostgreSQL's own form. */
  #declared(): Promise<SchemaSnapshot> {
    return canonicalSnapshot(this.#db.kysely as UntypedKysely, snapshotFromSchema(this.#db.schema));
  }

  /**
   * Writes a migration file for the current diff, for review before `migrate()`. Returns `undefined`
   * when the database already matches. Refuses while migrations are pending (the diff would repeat
   * them) and, unless `allowDestructive`, when a change drops data.
   */
  async generate(
    name: string,
    options: { allowDestructive?: boolean } = {},
  ): Promise<{ file: string; name: string; changes: SchemaChange[] } | undefined> {
    if (!/^[a-z0-9_]+$/.test(name))
      throw new DatabaseArgumentError('migration name must match /^[a-z0-9_]+$/');
    const files = await readMigrations(this.#directory);
    const pending = (await this.status(files)).filter((s) => s.state === 'pending');
    if (pending.length > 0) throw new MigrationPendingError(pending.map((p) => p.name));
    const changes = await this.diff();
    if (changes.length === 0) return undefined;
    const destructive = changes.filter((c) => c.destructive).map((c) => c.description);
    if (destructive.length > 0 && options.allowDestructive !== true)
      throw new DestructiveChangeError(destructive);
    const fullName = `${nextTimestamp(files)}_${name}`;
    await mkdir(this.#directory, { recursive: true });
    const file = join(this.#directory, `${fullName}.sql`);
    await writeFile(file, renderMigrationFile(fullName, changes), { flag: 'wx' });
    return { file, name: fullName, changes };
  }

  /**
   * Applies every pending migration in name order, all in one transaction under the advisory lock:
   * a second process waits, then finds nothing left to do. Returns the names applied.
   */
  async migrate(options: { allowDestructive?: boolean } = {}): Promise<string[]> {
    const files = await readMigrations(this.#directory);
    return this.#locked(async (tx) => {
      const history = await this.#history(tx);
      verify(files, history);
      const applied = new Set(history.map((h) => h.name));
      const pending = files.filter((f) => !applied.has(f.name));
      const destructive = pending.filter((f) => f.destructive).map((f) => f.name);
      if (destructive.length > 0 && options.allowDestructive !== true) {
        throw new DestructiveChangeError(destructive.map((n) => `migration ${n}`));
      }
      for (const f of pending) {
        if (f.up !== '') await tx.executeQuery(CompiledQuery.raw(f.up));
        await tx
          .insertInto(HISTORY_TABLE)
          .values({ name: f.name, checksum: f.checksum, down_sql: f.down })
          .execute();
      }
      return pending.map((f) => f.name);
    });
  }

  /**
   * Applies the current diff directly, without a migration file: for prototypes and tests. Production
   * schemas should go through reviewed files (`generate` + `migrate`). Returns the changes applied.
   */
  async push(options: { allowDestructive?: boolean } = {}): Promise<SchemaChange[]> {
    const declared = await this.#declared();
    return this.#locked(async (tx) => {
      const changes = diffSchemas(await introspectDatabase(tx), declared);
      const destructive = changes.filter((c) => c.destructive).map((c) => c.description);
      if (destructive.length > 0 && options.allowDestructive !== true)
        throw new DestructiveChangeError(destructive);
      for (const statement of changes.flatMap((c) => c.up))
        await tx.executeQuery(CompiledQuery.raw(statement));
      return changes;
    });
  }

  /** Rolls back the last `steps` applied migrations (default 1), newest first, with their down SQL. */
  async rollback(options: { steps?: number } = {}): Promise<string[]> {
    const steps = options.steps ?? 1;
    if (!Number.isInteger(steps) || steps < 1)
      throw new DatabaseArgumentError('rollback steps must be a positive integer');
    const files = await readMigrations(this.#directory);
    return this.#locked(async (tx) => {
      const history = await this.#history(tx);
      verify(files, history);
      const targets = history.slice(-steps).reverse();
      for (const h of targets) {
        if (h.down_sql !== '') await tx.executeQuery(CompiledQuery.raw(h.down_sql));
        await tx.deleteFrom(HISTORY_TABLE).where('name', '=', h.name).execute();
      }
      return targets.map((h) => h.name);
    });
  }

  /** Every migration, from files and history, with its state. */
  async status(files?: MigrationFile[]): Promise<MigrationStatus[]> {
    const list = files ?? (await readMigrations(this.#directory));
    const kysely = this.#db.kysely as UntypedKysely;
    const exists = await sql<{
      exists: boolean;
    }>`select to_regclass(${HISTORY_TABLE}) is not null as exists`.execute(kysely);
    const history: HistoryRow[] = exists.rows[0]?.exists
      ? ((await kysely.selectFrom(HISTORY_TABLE).selectAll().orderBy('name').execute()) as HistoryRow[])
      : [];
    const byName = new Map(history.map((h) => [h.name, h]));
    const result: MigrationStatus[] = list.map((f) => {
      const h = byName.get(f.name);
      if (h === undefined) return { name: f.name, state: 'pending', appliedAt: undefined };
      return {
        name: f.name,
        state: h.checksum === f.checksum ? 'applied' : 'changed',
        appliedAt: h.applied_at,
      };
    });
    const fileNames = new Set(list.map((f) => f.name));
    for (const h of history) {
      if (!fileNames.has(h.name)) result.push({ name: h.name, state: 'missing', appliedAt: h.applied_at });
    }
    return result.sort((a, b) => a.name.localeCompare(b.name));
  }

  async #locked<T>(fn: (tx: UntypedKysely) => Promise<T>): Promise<T> {
    return this.#db.transaction(async (txDb) => {
      const tx = txDb.kysely as UntypedKysely;
      await tx.executeQuery(CompiledQuery.raw(`set local lock_timeout = ${Math.trunc(this.#lockTimeoutMs)}`));
      // Transaction-scoped: released by commit or rollback, even if this process dies mid-way.
      await sql`select pg_advisory_xact_lock(${sql.lit(LOCK_KEY.toString())}::bigint)`.execute(tx);
      await tx.executeQuery(
        CompiledQuery.raw(
          `create table if not exists ${HISTORY_TABLE} (name text primary key, checksum text not null, down_sql text not null, applied_at timestamptz not null default now())`,
        ),
      );
      return fn(tx);
    });
  }

  async #history(tx: UntypedKysely): Promise<HistoryRow[]> {
    return (await tx.selectFrom(HISTORY_TABLE).selectAll().orderBy('name').execute()) as HistoryRow[];
  }
}

function verify(files: readonly MigrationFile[], history: readonly HistoryRow[]): void {
  const byName = new Map(files.map((f) => [f.name, f]));
  for (const h of history) {
    const f = byName.get(h.name);
    if (f === undefined) throw new MigrationMissingError(h.name);
    if (f.checksum !== h.checksum) throw new MigrationChecksumError(h.name);
  }
}

/** `YYYYMMDDHHMMSS`, bumped past the newest existing file so names always sort in creation order. */
function nextTimestamp(files: readonly MigrationFile[]): string {
  const now = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const newest = files
    .map((f) => f.name.slice(0, 14))
    .filter((p) => /^\d{14}$/.test(p))
    .sort()
    .pop();
  if (newest === undefined || now > newest) return now;
  return (BigInt(newest) + 1n).toString();
}

/**
 * Creates the schema manager for a database.
 *
 * @example
 * ```ts
 * const migrator = createMigrator(db, { directory: './migrations' });
 * await migrator.generate('add_posts');   // writes migrations/<timestamp>_add_posts.sql — review it
 * await migrator.migrate();
 * ```
 */
export function createMigrator<S extends AnySchema>(db: Database<S>, options: MigratorOptions): Migrator<S> {
  return new Migrator(db, options);
}

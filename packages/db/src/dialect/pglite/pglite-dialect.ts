/// <reference types="emscripten" preserve="true" />
// PGlite's own declarations use the Emscripten globals without referencing them: this keeps consumers
// that check library types (skipLibCheck: false) compiling.
import { PGlite, type PGliteInterface } from '@electric-sql/pglite';
import {
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type DialectAdapter,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryCompiler,
  type TransactionSettings,
} from 'kysely';
import { transactionScope } from '../../database/transaction-scope.js';
import type { ConstraintColumns } from '../../errors/map-database-error.js';
import { PoolClosedError } from '../../errors/pool-errors.js';
import { TransactionMisuseError } from '../../errors/validation-error.js';
import { DatabaseArgumentError } from '../../errors/zephyr-db-error.js';
import { runTransactionControl, transactionBeginSql } from '../transaction-sql.js';
import type { ZephyrDialect } from '../zephyr-dialect.js';
import { ConnectionMutex } from './connection-mutex.js';
import { PGliteConnection } from './pglite-connection.js';
import { PGLITE_MAX_PARAMETERS } from './pglite-limits.js';

/** Options of the PGlite dialect. */
export interface PGliteDialectOptions {
  /** Where to keep the data (`./data/app`, `idb://...`); in memory when omitted. Ignored with `instance`. */
  readonly dataDir?: string;
  /** Use an existing PGlite instance (it is then not closed by `destroy`). */
  readonly instance?: PGliteInterface;
  /**
   * `search_path` for this database's statements. Several databases may share one instance with
   * different schemas: the path is switched whenever the session passes from one to another.
   */
  readonly searchPath?: string;
}

/** What every driver on one PGlite instance shares: its single session. */
interface SessionState {
  readonly mutex: ConnectionMutex;
  /** The search_path last set on the session (`undefined`: the one the session started with). */
  searchPath: string | undefined;
  /** The session's search_path before any database switched it, to restore for databases without one. */
  original: string | undefined;
}

/**
 * One lock per PGlite instance, not per driver: two databases opened on the same instance must still
 * take turns, or one's statements would land inside the other's transaction.
 */
const sessions = new WeakMap<PGliteInterface, SessionState>();
function sessionOf(db: PGliteInterface): SessionState {
  let state = sessions.get(db);
  if (state === undefined) {
    state = { mutex: new ConnectionMutex(), searchPath: undefined, original: undefined };
    sessions.set(db, state);
  }
  return state;
}

/** Kysely driver for PGlite: one embedded backend, shared through a FIFO lock. */
class PGliteDriver implements Driver {
  readonly #options: PGliteDialectOptions;
  #session: SessionState | undefined;
  #closed = false;
  readonly #constraints: () => ConstraintColumns | undefined;
  #db: PGliteInterface | undefined;
  #connection: PGliteConnection | undefined;

  constructor(options: PGliteDialectOptions, constraints: () => ConstraintColumns | undefined) {
    this.#options = options;
    this.#constraints = constraints;
  }

  /** The session this driver's statements run on (after init). */
  get session(): SessionState | undefined {
    return this.#session;
  }

  async init(): Promise<void> {
    this.#db =
      this.#options.instance ??
      (await PGlite.create(this.#options.dataDir === undefined ? {} : { dataDir: this.#options.dataDir }));
    this.#session = sessionOf(this.#db);
    this.#connection = new PGliteConnection(this.#db, this.#constraints);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.#closed) throw new PoolClosedError();
    const session = this.#session!;
    // Inside a transaction callback on this very session, waiting for the session would never end.
    for (const open of transactionScope.getStore() ?? []) {
      if (open.active && open.dialect instanceof PGliteDialect && open.dialect.holds(session)) {
        throw new TransactionMisuseError(
          'a statement outside the transaction was started inside its callback: PGlite has one session, ' +
            'which the transaction holds, so it would wait forever. Use the `tx` passed to the callback.',
        );
      }
    }
    await session.mutex.lock();
    if (this.#closed) {
      session.mutex.unlock();
      throw new PoolClosedError();
    }
    const wanted = this.#options.searchPath;
    if (session.searchPath !== wanted) {
      try {
        // `reset` would not do: PGlite's configured default is pg_catalog, not what the session began with.
        if (session.original === undefined) {
          const shown = await this.#connection!.executeQuery<{ search_path: string }>(
            CompiledQuery.raw('show search_path'),
          );
          session.original = shown.rows[0]?.search_path ?? 'public';
        }
        await this.#connection!.execute(
          `set search_path to ${wanted === undefined ? session.original : `"${wanted.replaceAll('"', '""')}"`}`,
        );
      } catch (error) {
        session.mutex.unlock();
        throw error;
      }
      session.searchPath = wanted;
    }
    return this.#connection!;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    await (connection as PGliteConnection).execute(transactionBeginSql(settings));
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PGliteConnection).execute('commit');
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PGliteConnection).execute('rollback');
  }
  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await runTransactionControl(connection, 'savepoint', name);
  }
  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await runTransactionControl(connection, 'rollback to savepoint', name);
  }
  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await runTransactionControl(connection, 'release savepoint', name);
  }
  async releaseConnection(): Promise<void> {
    this.#session!.mutex.unlock();
  }
  async destroy(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const session = this.#session;
    if (session === undefined) return;
    // Work in flight holds the session: wait for it, so closing never cuts a statement off.
    await session.mutex.lock();
    try {
      if (this.#options.instance === undefined) await this.#db?.close();
    } finally {
      session.mutex.unlock();
    }
  }
}

const PGLITE_OPTIONS = new Set(['dataDir', 'instance', 'searchPath']);

/** PGlite (embedded PostgreSQL in WebAssembly): no server, same SQL, same schema and migrations. */
export class PGliteDialect implements ZephyrDialect {
  readonly kind = 'pglite';
  readonly maxParameters = PGLITE_MAX_PARAMETERS;
  readonly #options: PGliteDialectOptions;
  readonly #drivers: PGliteDriver[] = [];
  #constraints: ConstraintColumns | undefined;

  constructor(options: PGliteDialectOptions = {}) {
    if (typeof options !== 'object' || options === null)
      throw new DatabaseArgumentError('pglite options must be an object');
    for (const key of Object.keys(options)) {
      if (!PGLITE_OPTIONS.has(key)) {
        throw new DatabaseArgumentError(
          `pglite has no option "${key}"${key === 'pool' || key === 'queryTimeoutMs' ? ' (PostgreSQL only)' : ''}`,
        );
      }
    }
    this.#options = options;
  }
  /** @internal Whether one of this dialect's drivers runs on `session`. */
  holds(session: unknown): boolean {
    return this.#drivers.some((d) => d.session === session);
  }
  async close(): Promise<void> {
    await Promise.all(this.#drivers.map((d) => d.destroy()));
  }
  setConstraintColumns(constraints: ConstraintColumns): void {
    this.#constraints = constraints;
  }
  createDriver(): Driver {
    const driver = new PGliteDriver(this.#options, () => this.#constraints);
    this.#drivers.push(driver);
    return driver;
  }
  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }
  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
  poolMetrics(): undefined {
    return undefined;
  }
}

/**
 * The embedded PGlite dialect (the default for development and tests: no server to run).
 *
 * @example
 * ```ts
 * const db = createDatabase({ schema, dialect: pglite() }); // in memory
 * const onDisk = createDatabase({ schema, dialect: pglite({ dataDir: './data/dev' }) });
 * ```
 */
export function pglite(options: PGliteDialectOptions = {}): PGliteDialect {
  return new PGliteDialect(options);
}

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
import type { ConstraintColumns } from '../../errors/map-database-error.js';
import { runTransactionControl, transactionBeginSql } from '../transaction-sql.js';
import type { ZephyrDialect } from '../zephyr-dialect.js';
import { ConnectionMutex } from './connection-mutex.js';
import { PGliteConnection } from './pglite-connection.js';

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
  readonly #constraints: () => ConstraintColumns | undefined;
  #db: PGliteInterface | undefined;
  #connection: PGliteConnection | undefined;

  constructor(options: PGliteDialectOptions, constraints: () => ConstraintColumns | undefined) {
    this.#options = options;
    this.#constraints = constraints;
  }

  async init(): Promise<void> {
    this.#db =
      this.#options.instance ??
      (await PGlite.create(this.#options.dataDir === undefined ? {} : { dataDir: this.#options.dataDir }));
    this.#session = sessionOf(this.#db);
    this.#connection = new PGliteConnection(this.#db, this.#constraints);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const session = this.#session!;
    await session.mutex.lock();
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
    if (this.#options.instance === undefined) await this.#db?.close();
  }
}

/** PGlite (embedded PostgreSQL in WebAssembly): no server, same SQL, same schema and migrations. */
export class PGliteDialect implements ZephyrDialect {
  readonly kind = 'pglite';
  readonly #options: PGliteDialectOptions;
  #constraints: ConstraintColumns | undefined;

  constructor(options: PGliteDialectOptions = {}) {
    this.#options = options;
  }
  setConstraintColumns(constraints: ConstraintColumns): void {
    this.#constraints = constraints;
  }
  createDriver(): Driver {
    return new PGliteDriver(this.#options, () => this.#constraints);
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

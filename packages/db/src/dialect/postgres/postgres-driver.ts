import type { DatabaseConnection, Driver, TransactionSettings } from 'kysely';
import pg from 'pg';
import type { ConstraintColumns } from '../../errors/map-database-error.js';
import { DatabaseArgumentError } from '../../errors/zephyr-db-error.js';
import { ConnectionPool, type PoolMetrics, type PoolOptions } from '../../pool/connection-pool.js';
import { runTransactionControl, transactionBeginSql } from '../transaction-sql.js';
import { PostgresConnection } from './postgres-connection.js';
import { StatementNames } from './statement-names.js';
import { postgresTypes } from './type-parsers.js';

/** Options of the PostgreSQL dialect. */
export interface PostgresDialectOptions {
  /** `postgres://user:pass@host:port/db`. */
  readonly connectionString: string;
  /** Pool limits; see {@link PoolOptions}. */
  readonly pool?: PoolOptions;
  /** Sets `search_path` on every session, e.g. to isolate tests in their own schema. */
  readonly searchPath?: string;
  /** Shown in `pg_stat_activity.application_name`. Default `zephyr`. */
  readonly applicationName?: string;
  /** Timeout for opening one connection. Default: the pool's `acquireTimeoutMs` (5000 ms). */
  readonly connectTimeoutMs?: number;
  /** Most distinct statements prepared per session. Default 500. */
  readonly maxPreparedStatements?: number;
  /**
   * Default statement timeout of every session, in milliseconds (PostgreSQL's `statement_timeout`);
   * a statement running longer is cancelled with `QueryTimeoutError`. Default 0: none.
   * `db.withTimeout(ms, fn)` sets another for the statements of `fn`.
   */
  readonly queryTimeoutMs?: number;
}

const POSTGRES_OPTIONS = new Set([
  'connectionString',
  'pool',
  'searchPath',
  'applicationName',
  'connectTimeoutMs',
  'maxPreparedStatements',
  'queryTimeoutMs',
]);
const POOL_OPTIONS = new Set(['max', 'queue', 'acquireTimeoutMs', 'idleTimeoutMs']);

/** Refuses unknown keys: an option that is silently ignored is a bug waiting to happen. */
function checkOptions(options: PostgresDialectOptions): void {
  if (typeof options !== 'object' || options === null)
    throw new DatabaseArgumentError('postgres options must be an object');
  for (const key of Object.keys(options)) {
    if (!POSTGRES_OPTIONS.has(key)) throw new DatabaseArgumentError(`postgres has no option "${key}"`);
  }
  if (typeof options.connectionString !== 'string' || options.connectionString === '')
    throw new DatabaseArgumentError('postgres needs a connectionString');
  for (const key of Object.keys(options.pool ?? {})) {
    if (!POOL_OPTIONS.has(key)) throw new DatabaseArgumentError(`postgres pool has no option "${key}"`);
  }
  const timeout = options.queryTimeoutMs;
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 0 || timeout > 2_147_483_647))
    throw new DatabaseArgumentError('queryTimeoutMs must be a non-negative integer of milliseconds');
  if (
    options.searchPath !== undefined &&
    !/^[A-Za-z_][A-Za-z0-9_$]*(,\s*[A-Za-z_][A-Za-z0-9_$]*)*$/.test(options.searchPath)
  )
    throw new DatabaseArgumentError('searchPath must be a comma-separated list of plain schema names');
}

/** Kysely driver for node-postgres over Zephyr's backpressured {@link ConnectionPool}. */
export class PostgresDriver implements Driver {
  readonly #options: PostgresDialectOptions;
  readonly #names: StatementNames;
  /** Constraint name → columns of the declared schema, for error messages. */
  constraints: ConstraintColumns | undefined;
  readonly #pool: ConnectionPool<PostgresConnection>;

  constructor(options: PostgresDialectOptions) {
    checkOptions(options);
    this.#options = options;
    this.#names = new StatementNames(options.maxPreparedStatements ?? 500);
    // Created (and its limits validated) at once; connections themselves open lazily, on demand.
    this.#pool = this.#createPool();
  }

  /** The pool. */
  get pool(): ConnectionPool<PostgresConnection> {
    return this.#pool;
  }

  #createPool(): ConnectionPool<PostgresConnection> {
    const o = this.#options;
    const pool: ConnectionPool<PostgresConnection> = new ConnectionPool<PostgresConnection>(
      {
        create: async () => {
          const client = new pg.Client({
            connectionString: o.connectionString,
            application_name: o.applicationName ?? 'zephyr',
            // Opening a connection is bounded like waiting for one, so no caller waits past its acquire timeout.
            connectionTimeoutMillis: o.connectTimeoutMs ?? o.pool?.acquireTimeoutMs ?? 5000,
            keepAlive: true,
            types: postgresTypes,
            ...(startupOptions(o) === '' ? {} : { options: startupOptions(o) }),
          });
          const connection = new PostgresConnection(
            client,
            this.#names,
            () => this.constraints,
            o.queryTimeoutMs ?? 0,
          );
          // An idle session killed by a server restart is evicted at once, not on next use.
          client.on('error', () => pool.evictIdle(connection));
          try {
            await client.connect();
          } catch (error) {
            client.removeAllListeners('error');
            client.on('error', () => undefined);
            await client.end().catch(() => undefined);
            throw error;
          }
          return connection;
        },
        destroy: async (c) => {
          c.client.removeAllListeners('error');
          c.client.on('error', () => undefined);
          await c.client.end();
        },
        isBroken: (c) => c.broken,
      },
      o.pool,
    );
    return pool;
  }

  async init(): Promise<void> {
    // Nothing to do: the pool exists and opens connections on demand.
  }

  acquireConnection(): Promise<DatabaseConnection> {
    return this.pool.acquire();
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    await (connection as PostgresConnection).execute(transactionBeginSql(settings));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PostgresConnection).execute('commit');
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as PostgresConnection;
    c.forgetTimeout();
    // A dead session has already been rolled back by the server; the original error is what matters.
    if (c.broken) return;
    await c.execute('rollback').catch((error: unknown) => {
      if (!c.broken) throw error;
    });
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await runTransactionControl(connection, 'savepoint', name);
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    (connection as PostgresConnection).forgetTimeout();
    await runTransactionControl(connection, 'rollback to savepoint', name);
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await runTransactionControl(connection, 'release savepoint', name);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    this.pool.release(connection as PostgresConnection);
  }

  async destroy(): Promise<void> {
    await this.#pool.drain();
  }

  /** Pool metrics. */
  metrics(): PoolMetrics {
    return this.#pool.metrics();
  }
}

/** `-c name=value` settings every session starts with. */
function startupOptions(o: PostgresDialectOptions): string {
  const parts: string[] = [];
  if (o.searchPath !== undefined) parts.push(`-c search_path=${o.searchPath.replaceAll(' ', '')}`);
  if (o.queryTimeoutMs !== undefined && o.queryTimeoutMs > 0)
    parts.push(`-c statement_timeout=${o.queryTimeoutMs}`);
  return parts.join(' ');
}

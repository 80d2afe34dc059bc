import {
  type CompiledQuery,
  type DatabaseIntrospector,
  type DialectAdapter,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryCompiler,
  type QueryResult,
} from 'kysely';
import type { ConstraintColumns } from '../../errors/map-database-error.js';
import type { ConnectionPool, PoolMetrics } from '../../pool/connection-pool.js';
import type { ZephyrDialect } from '../zephyr-dialect.js';
import { PostgresConnection } from './postgres-connection.js';
import { type PostgresDialectOptions, PostgresDriver } from './postgres-driver.js';
import { POSTGRES_MAX_PARAMETERS } from './postgres-limits.js';

const runStatement = PostgresConnection.prototype.executeQuery;

/** PostgreSQL over node-postgres with Zephyr's pool and per-session prepared statements. */
export class PostgresDialect implements ZephyrDialect {
  readonly kind = 'postgres';
  readonly maxParameters = POSTGRES_MAX_PARAMETERS;
  readonly #driver: PostgresDriver;

  constructor(options: PostgresDialectOptions) {
    this.#driver = new PostgresDriver(options);
  }

  createDriver(): Driver {
    return this.#driver;
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
  poolMetrics(): PoolMetrics | undefined {
    return this.#driver.metrics();
  }
  setConstraintColumns(constraints: ConstraintColumns): void {
    this.#driver.constraints = constraints;
  }
  async close(): Promise<void> {
    await this.#driver.destroy();
  }
  executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>> {
    const pool = this.#driver.pool;
    // A free connection is taken synchronously: no promise for the checkout on the hot path.
    const idle = pool.takeIdle();
    if (idle !== undefined) return runOn(pool, idle, query);
    return pool.acquire().then((connection) => runOn(pool, connection, query));
  }
}

/** Runs one statement on a checked-out connection and gives the connection back, whatever happens. */
function runOn<R>(
  pool: ConnectionPool<PostgresConnection>,
  connection: PostgresConnection,
  query: CompiledQuery<R>,
): Promise<QueryResult<R>> {
  let running: Promise<QueryResult<R>>;
  try {
    // The class's own method: Kysely patches a logging wrapper onto connections it has handed
    // out, and the database reports this path to onQuery itself.
    running = runStatement.call(connection, query) as Promise<QueryResult<R>>;
  } catch (error) {
    pool.release(connection);
    return Promise.reject(error);
  }
  return running.then(
    (result) => {
      pool.release(connection);
      return result;
    },
    (error: unknown) => {
      pool.release(connection);
      throw error;
    },
  );
}

/**
 * The PostgreSQL dialect.
 *
 * @example
 * ```ts
 * const db = createDatabase({ schema, dialect: postgres({ connectionString: process.env.DATABASE_URL!, pool: { max: 20 } }) });
 * ```
 */
export function postgres(options: PostgresDialectOptions): PostgresDialect {
  return new PostgresDialect(options);
}

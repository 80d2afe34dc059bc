import type { CompiledQuery, Dialect, QueryResult } from 'kysely';
import type { ConstraintColumns } from '../errors/map-database-error.js';
import type { PoolMetrics } from '../pool/connection-pool.js';

/** A Kysely dialect that `@zephyr/db` knows how to drive: PostgreSQL or PGlite. */
export interface ZephyrDialect extends Dialect {
  /** Which engine; both speak PostgreSQL's SQL, so schema, migrations and queries are shared. */
  readonly kind: 'postgres' | 'pglite';
  /**
   * Most bind parameters one statement may carry: 65,535 on PostgreSQL (the protocol counts them in
   * 16 bits), 32,767 on PGlite (its protocol parser breaks, silently, beyond). Beyond it a statement
   * is refused with `InvalidQueryError`; `createMany` splits below it.
   */
  readonly maxParameters: number;
  /** Pool metrics where there is a pool (PostgreSQL); `undefined` otherwise. */
  poolMetrics(): PoolMetrics | undefined;
  /** Lets constraint errors name the columns PostgreSQL leaves out (checks); set by `createDatabase`. */
  setConstraintColumns(constraints: ConstraintColumns): void;
  /**
   * Graceful shutdown: refuses new work with `PoolClosedError`, lets work in flight finish, closes
   * connections. Called by `Database.destroy`.
   */
  close(): Promise<void>;
  /**
   * Runs one compiled statement on a pooled connection, without Kysely's per-query machinery (the
   * models' hot path). Dialects without it run model queries through Kysely.
   */
  executeQuery?<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
}

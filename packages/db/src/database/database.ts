import {
  type AccessMode,
  type Compilable,
  CompiledQuery,
  type IsolationLevel,
  Kysely,
  type QueryResult,
} from 'kysely';
import type { ZephyrDialect } from '../dialect/zephyr-dialect.js';
import { PoolClosedError } from '../errors/pool-errors.js';
import { TransactionMisuseError } from '../errors/validation-error.js';
import { DatabaseArgumentError, DatabaseUnsupportedOptionError } from '../errors/zephyr-db-error.js';
import { FilterTables } from '../model/filter-tables.js';
import { Model } from '../model/model.js';
import type { ModelContext, ModelRunner } from '../model/model-context.js';
import type { TableName } from '../model/model-types.js';
import type { UntypedKysely } from '../model/untyped-kysely.js';
import type { PoolMetrics } from '../pool/connection-pool.js';
import { type ParameterFactory, type PreparedQuery, prepareQuery } from '../query-compiler/prepared-query.js';
import { TemplateCache } from '../query-compiler/template-cache.js';
import type { AnySchema, DatabaseTypes } from '../schema/schema.js';
import { type OpenTransaction, queryTimeoutScope, transactionScope } from './transaction-scope.js';

/** One executed statement, reported to `onQuery`. */
export interface QueryEvent {
  readonly sql: string;
  readonly durationMs: number;
  /** The error, when the statement failed. */
  readonly error?: unknown;
}

/** Options of {@link createDatabase}. */
export interface DatabaseOptions<S extends AnySchema> {
  readonly schema: S;
  /** `postgres({...})` or `pglite()`. */
  readonly dialect: ZephyrDialect;
  /** Called after every statement (logging, metrics, counting queries in tests). */
  readonly onQuery?: (event: QueryEvent) => void;
  /** Most compiled query shapes kept. Default 1000. */
  readonly compiledQueryCacheSize?: number;
  /**
   * Read replicas (`postgres({...})` each, PostgreSQL only): model reads outside a transaction go
   * to them in turn; writes, transactions and `db.kysely` go to the primary (`dialect`).
   */
  readonly replicas?: readonly ZephyrDialect[];
}

const DATABASE_OPTIONS = new Set(['schema', 'dialect', 'onQuery', 'compiledQueryCacheSize', 'replicas']);

/** Transaction settings. */
export interface TransactionOptions {
  readonly isolationLevel?: IsolationLevel;
  readonly accessMode?: AccessMode;
}

/** One model per table. */
export type Models<S extends AnySchema> = { readonly [N in TableName<S>]: Model<S, N> };

interface Scope {
  readonly templates: TemplateCache;
  readonly filters: FilterTables;
  readonly depth: number;
  /** The replicas (empty: reads go to the primary). */
  readonly replicas: readonly { readonly kysely: UntypedKysely; readonly dialect: ZephyrDialect }[];
  readonly onQuery: ((event: QueryEvent) => void) | undefined;
  /** Round-robin position over the replicas, shared by the database and its transactions. */
  readonly turn: { next: number };
  /** Closed by `destroy()`: shared, so transactions and models see it too. */
  readonly state: { closed: boolean };
  /** The dialects (primary and replicas), closed by `destroy()`. */
  readonly dialects: readonly ZephyrDialect[];
}

/** One open savepoint per transaction level at a time: the savepoint in use, if any. */
interface SavepointState {
  active: boolean;
}

/**
 * A database: typed models per table, transactions with nested savepoints, prepared queries, and
 * Kysely itself (`db.kysely`) for anything the models do not cover. Inside `transaction()` the
 * callback receives a `Database` bound to the transaction, with the same API.
 */
export class Database<S extends AnySchema> {
  /** The declared schema. */
  readonly schema: S;
  /** The dialect (kind, pool metrics). */
  readonly dialect: ZephyrDialect;
  /** Kysely, typed from the schema; inside a transaction, bound to it. */
  readonly kysely: Kysely<DatabaseTypes<S>>;
  /** `db.models.users.find(1)`. */
  readonly models: Models<S>;
  readonly #scope: Scope;
  readonly #savepoint: SavepointState = { active: false };
  readonly #ctx: ModelContext;

  /** @internal Use {@link createDatabase}. */
  constructor(schema: S, dialect: ZephyrDialect, kysely: Kysely<DatabaseTypes<S>>, scope: Scope) {
    this.schema = schema;
    this.dialect = dialect;
    this.kysely = kysely;
    this.#scope = scope;
    const state = scope.state;
    const untyped = kysely as unknown as UntypedKysely;
    // Model queries pass through here: after destroy() they fail typed, before reaching a driver.
    const runner: ModelRunner =
      scope.depth > 0
        ? { kysely: untyped, execute: (q) => untyped.executeQuery(q) }
        : directRunner(untyped, dialect, state, scope.onQuery);
    const replicaRunners = scope.replicas.map((r) => directRunner(r.kysely, r.dialect, state, scope.onQuery));
    const reader =
      replicaRunners.length === 0 || scope.depth > 0
        ? () => runner
        : () => replicaRunners[scope.turn.next++ % replicaRunners.length] as ModelRunner;
    this.#ctx = {
      schema,
      runner,
      reader,
      templates: scope.templates,
      filters: scope.filters,
      maxParameters: dialect.maxParameters,
      atomic: (fn) => (scope.depth > 0 ? fn(this.#ctx) : this.transaction(async (tx) => fn(tx.#ctx))),
    };
    const models: Record<string, Model<S, TableName<S>>> = {};
    for (const [name, table] of Object.entries(schema.tables)) {
      models[name] = new Model<S, TableName<S>>(this.#ctx, table as S['tables'][TableName<S>]);
    }
    this.models = models as unknown as Models<S>;
  }

  /** `true` inside `transaction()`. */
  get inTransaction(): boolean {
    return this.#scope.depth > 0;
  }

  /**
   * Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. Called inside
   * a transaction it opens a savepoint, so an inner failure rolls back only the inner work. The
   * statements of one transaction run on one connection, one at a time: await them in sequence.
   *
   * @example
   * ```ts
   * await db.transaction(async (tx) => {
   *   const user = await tx.models.users.create({ email });
   *   await tx.transaction(async (inner) => inner.models.audit.create({ user_id: user.id })).catch(() => {});
   * });
   * ```
   */
  async transaction<T>(fn: (tx: Database<S>) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    if (this.#scope.state.closed) throw new PoolClosedError();
    if (typeof fn !== 'function') throw new DatabaseArgumentError('transaction needs a callback');
    if (this.#scope.depth === 0) {
      let builder = this.kysely.transaction();
      if (options.isolationLevel !== undefined) builder = builder.setIsolationLevel(options.isolationLevel);
      if (options.accessMode !== undefined) builder = builder.setAccessMode(options.accessMode);
      if (this.dialect.kind !== 'pglite') return builder.execute((trx) => fn(this.#bound(trx, 1)));
      // Only PGlite needs to know, inside the callback, that its one session is taken. (An
      // AsyncLocalStorage costs every promise of the process on Node 20 once used: not on PostgreSQL.)
      const open: OpenTransaction = { dialect: this.dialect, active: true };
      const inside = [...(transactionScope.getStore() ?? []), open];
      try {
        return await builder.execute((trx) => transactionScope.run(inside, () => fn(this.#bound(trx, 1))));
      } finally {
        open.active = false;
      }
    }
    if (options.isolationLevel !== undefined || options.accessMode !== undefined) {
      throw new DatabaseArgumentError(
        'a nested transaction (a savepoint) takes no isolationLevel or accessMode',
      );
    }
    // Two savepoints of one transaction open at once would share the session's statement stream:
    // rolling one back would undo the other's work after it reported success.
    if (this.#savepoint.active) {
      throw new TransactionMisuseError(
        'a savepoint is already open on this transaction: await each nested transaction() before the next',
      );
    }
    this.#savepoint.active = true;
    const name = `zephyr_sp_${this.#scope.depth}`;
    try {
      await this.kysely.executeQuery(CompiledQuery.raw(`savepoint ${name}`));
      let result: T;
      try {
        result = await fn(this.#bound(this.kysely, this.#scope.depth + 1));
      } catch (error) {
        await this.kysely.executeQuery(CompiledQuery.raw(`rollback to savepoint ${name}`));
        throw error;
      }
      await this.kysely.executeQuery(CompiledQuery.raw(`release savepoint ${name}`));
      return result;
    } finally {
      this.#savepoint.active = false;
    }
  }

  /**
   * Runs `fn` with a statement timeout of `ms` milliseconds (PostgreSQL): each of its statements
   * that runs longer is cancelled and fails with `QueryTimeoutError`. The dialect's
   * `queryTimeoutMs` is the default elsewhere. PGlite runs statements on the calling thread and
   * cannot cancel them: `DatabaseUnsupportedOptionError` there. (It rides on an AsyncLocalStorage, which on
   * Node 20 makes every later promise a little dearer: prefer the dialect default for hot paths.)
   *
   * @example
   * ```ts
   * const rows = await db.withTimeout(500, () => db.models.reports.findMany({ where }));
   * ```
   */
  withTimeout<T>(ms: number, fn: () => Promise<T>): Promise<T> {
    if (!Number.isInteger(ms) || ms < 1 || ms > 2_147_483_647)
      throw new DatabaseArgumentError('withTimeout needs a positive integer of milliseconds');
    if (this.dialect.kind !== 'postgres')
      throw new DatabaseUnsupportedOptionError(
        'query timeouts need PostgreSQL: PGlite cannot cancel a statement',
      );
    return queryTimeoutScope.run(ms, fn);
  }

  /**
   * Compiles a query once, with named parameters, for hot paths. On PostgreSQL it runs as a named
   * prepared statement (parsed and planned once per connection).
   *
   * @example
   * ```ts
   * const byEmail = db.prepare<{ email: string }, User>((q, p) =>
   *   q.selectFrom('users').selectAll().where('email', '=', p('email')));
   * const [user] = await byEmail.execute({ email: 'a@example.com' });
   * ```
   */
  prepare<P extends Record<string, unknown>, R>(
    build: (db: Kysely<DatabaseTypes<S>>, param: ParameterFactory<P>) => Compilable<R>,
  ): PreparedQuery<P, R> {
    return prepareQuery<DatabaseTypes<S>, P, R>(this, build);
  }

  /** Pool metrics (PostgreSQL); `undefined` on PGlite or before the first query. */
  poolMetrics(): PoolMetrics | undefined {
    return this.dialect.poolMetrics();
  }

  /** Compiled-query cache statistics: shapes compiled (misses) versus reused (hits). */
  compiledQueryStats(): { size: number; hits: number; misses: number } {
    return this.#scope.templates.stats();
  }

  /**
   * Graceful shutdown: new work is refused (`PoolClosedError`), work in flight finishes, then every
   * connection (primary and replicas) closes.
   */
  async destroy(): Promise<void> {
    this.#scope.state.closed = true;
    await Promise.all(this.#scope.dialects.map((d) => d.close()));
  }

  #bound(kysely: Kysely<DatabaseTypes<S>>, depth: number): Database<S> {
    return new Database(this.schema, this.dialect, kysely, { ...this.#scope, depth });
  }
}

/**
 * Opens a database for a schema on a dialect. Connections are opened lazily, on first query.
 *
 * @example
 * ```ts
 * import { createDatabase, pglite } from '@zephyr/db';
 * const db = createDatabase({ schema, dialect: pglite() });
 * ```
 */
export function createDatabase<S extends AnySchema>(options: DatabaseOptions<S>): Database<S> {
  if (typeof options !== 'object' || options === null)
    throw new DatabaseArgumentError('createDatabase needs an options object');
  for (const key of Object.keys(options)) {
    if (!DATABASE_OPTIONS.has(key)) throw new DatabaseArgumentError(`createDatabase has no option "${key}"`);
  }
  const size = options.compiledQueryCacheSize ?? 1000;
  if (!Number.isInteger(size) || size < 1)
    throw new DatabaseArgumentError('compiledQueryCacheSize must be a positive integer');
  const replicas = options.replicas ?? [];
  if (!Array.isArray(replicas)) throw new DatabaseArgumentError('replicas must be an array of dialects');
  if (
    replicas.length > 0 &&
    (options.dialect.kind !== 'postgres' || replicas.some((r) => r.kind !== 'postgres'))
  )
    throw new DatabaseUnsupportedOptionError(
      'read replicas need PostgreSQL, for the primary and every replica',
    );
  const onQuery = options.onQuery;
  const open = (dialect: ZephyrDialect) => {
    dialect.setConstraintColumns(options.schema.constraintColumns);
    return new Kysely<DatabaseTypes<S>>({
      dialect,
      ...(onQuery === undefined
        ? {}
        : {
            log: (event) =>
              onQuery({
                sql: event.query.sql,
                durationMs: event.queryDurationMillis,
                ...(event.level === 'error' ? { error: event.error } : {}),
              }),
          }),
    });
  };
  return new Database(options.schema, options.dialect, open(options.dialect), {
    templates: new TemplateCache(size),
    filters: new FilterTables(options.schema),
    depth: 0,
    replicas: replicas.map((r) => ({ kysely: open(r) as unknown as UntypedKysely, dialect: r })),
    onQuery,
    turn: { next: 0 },
    state: { closed: false },
    dialects: [options.dialect, ...replicas],
  });
}

/**
 * The runner of model queries outside transactions: straight on the dialect's pool when it offers
 * that (no Kysely executor, plugins or connection provider per query), reporting to `onQuery` as
 * Kysely would; otherwise through Kysely.
 */
function directRunner(
  kysely: UntypedKysely,
  dialect: ZephyrDialect,
  state: { closed: boolean },
  onQuery: ((event: QueryEvent) => void) | undefined,
): ModelRunner {
  const direct = dialect.executeQuery?.bind(dialect);
  const run = direct ?? ((q: CompiledQuery) => kysely.executeQuery(q));
  const execute =
    onQuery === undefined || direct === undefined
      ? run
      : async <R>(q: CompiledQuery<R>) => {
          const started = performance.now();
          try {
            const result = await direct(q);
            onQuery({ sql: q.sql, durationMs: performance.now() - started });
            return result;
          } catch (error) {
            onQuery({ sql: q.sql, durationMs: performance.now() - started, error });
            throw error;
          }
        };
  return {
    kysely,
    execute: <R>(q: CompiledQuery<R>) => {
      if (state.closed) return Promise.reject(new PoolClosedError());
      return execute(q) as Promise<QueryResult<R>>;
    },
  };
}

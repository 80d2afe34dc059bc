import { type AccessMode, type Compilable, CompiledQuery, type IsolationLevel, Kysely } from 'kysely';
import type { ZephyrDialect } from '../dialect/zephyr-dialect.js';
import { Model } from '../model/model.js';
import type { ModelContext } from '../model/model-context.js';
import type { TableName } from '../model/model-types.js';
import type { PoolMetrics } from '../pool/connection-pool.js';
import { type ParameterFactory, type PreparedQuery, prepareQuery } from '../query-compiler/prepared-query.js';
import { TemplateCache } from '../query-compiler/template-cache.js';
import type { AnySchema, DatabaseTypes } from '../schema/schema.js';

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
}

/** Transaction settings. */
export interface TransactionOptions {
  readonly isolationLevel?: IsolationLevel;
  readonly accessMode?: AccessMode;
}

/** One model per table. */
export type Models<S extends AnySchema> = { readonly [N in TableName<S>]: Model<S, N> };

interface Scope {
  readonly templates: TemplateCache;
  readonly depth: number;
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

  /** @internal Use {@link createDatabase}. */
  constructor(schema: S, dialect: ZephyrDialect, kysely: Kysely<DatabaseTypes<S>>, scope: Scope) {
    this.schema = schema;
    this.dialect = dialect;
    this.kysely = kysely;
    this.#scope = scope;
    const ctx: ModelContext = { schema, runner: this, templates: scope.templates };
    const models: Record<string, Model<S, TableName<S>>> = {};
    for (const [name, table] of Object.entries(schema.tables)) {
      models[name] = new Model<S, TableName<S>>(ctx, table as S['tables'][TableName<S>]);
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
    if (this.#scope.depth === 0) {
      let builder = this.kysely.transaction();
      if (options.isolationLevel !== undefined) builder = builder.setIsolationLevel(options.isolationLevel);
      if (options.accessMode !== undefined) builder = builder.setAccessMode(options.accessMode);
      return builder.execute((trx) => fn(this.#bound(trx, 1)));
    }
    const name = `zephyr_sp_${this.#scope.depth}`;
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

  /** Graceful shutdown: waits for work in flight, then closes every connection. */
  async destroy(): Promise<void> {
    await this.kysely.destroy();
  }

  #bound(kysely: Kysely<DatabaseTypes<S>>, depth: number): Database<S> {
    return new Database(this.schema, this.dialect, kysely, { templates: this.#scope.templates, depth });
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
  options.dialect.setConstraintColumns(options.schema.constraintColumns);
  const onQuery = options.onQuery;
  const kysely = new Kysely<DatabaseTypes<S>>({
    dialect: options.dialect,
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
  return new Database(options.schema, options.dialect, kysely, {
    templates: new TemplateCache(options.compiledQueryCacheSize ?? 1000),
    depth: 0,
  });
}

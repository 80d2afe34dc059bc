import type { CompiledQuery, DatabaseConnection, QueryResult } from 'kysely';
import type pg from 'pg';
import Cursor from 'pg-cursor';
import { queryTimeoutScope } from '../../database/transaction-scope.js';
import { type ConstraintColumns, mapDatabaseError } from '../../errors/map-database-error.js';
import { ConnectionError, QueryTimeoutError } from '../../errors/pool-errors.js';
import { tooManyParameters } from '../../errors/validation-error.js';
import type { ArrayRowsQuery } from '../../query-compiler/compiled-template.js';
import { type QueryTraceContext, queryChannel, traceQuery } from '../../tracing-channels.js';
import { queryDescribedOnce, type StatementDescriptions } from './described-query.js';
import { POSTGRES_MAX_PARAMETERS } from './postgres-limits.js';
import type { StatementNames } from './statement-names.js';

interface PgError {
  code?: unknown;
  message?: unknown;
}

const LOST_CONNECTION = /connection|terminated|not queryable|socket|ECONN|EPIPE|timeout expired/i;

/**
 * An error that means the session is gone or unusable: class 08 (connection exception), 57P01-03
 * (server shutting down / restarting), a socket errno (`ECONNRESET`), or node-postgres' own
 * code-less errors for a lost connection ("Connection terminated unexpectedly", "not queryable").
 */
export function isConnectionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as PgError).code;
  if (typeof code === 'string' && code !== '') {
    return code.startsWith('08') || /^57P0[1-3]$/.test(code) || /^E[A-Z]+$/.test(code);
  }
  const message = (error as PgError).message;
  return typeof message === 'string' && LOST_CONNECTION.test(message);
}

const QUERY_CANCELED = '57014';

const CACHED_PLAN_CHANGED = '0A000';

/** Kysely's result of a node-postgres result: rows, and the count a write affected. */
function toQueryResult<R>(result: pg.QueryResult): QueryResult<R> {
  const command = result.command;
  if (
    result.rowCount !== null &&
    (command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE')
  )
    return { rows: result.rows as R[], numAffectedRows: BigInt(result.rowCount) };
  return { rows: result.rows as R[] };
}

/**
 * One PostgreSQL session. Data statements run as named prepared statements (parsed once per
 * session, then only bound and executed); anything else runs unnamed.
 */
export class PostgresConnection implements DatabaseConnection {
  readonly client: pg.Client;
  readonly #names: StatementNames;
  /** Statement names retired on this session after their cached plan went stale (DDL changed a table). */
  readonly #retired = new Map<string, number>();
  /** Result columns of the statements this session has described: each is described once. */
  readonly #descriptions: StatementDescriptions = new Map();
  #broken = false;
  /** The session's statement_timeout as set at connect (0: none). */
  readonly #defaultTimeoutMs: number;
  /** The statement_timeout in effect now; `NaN` when unknown (after a rollback undid a `set`). */
  #timeoutMs: number;

  readonly #constraints: () => ConstraintColumns | undefined;

  constructor(
    client: pg.Client,
    names: StatementNames,
    constraints: () => ConstraintColumns | undefined,
    defaultTimeoutMs = 0,
  ) {
    this.client = client;
    this.#names = names;
    this.#constraints = constraints;
    this.#defaultTimeoutMs = defaultTimeoutMs;
    this.#timeoutMs = defaultTimeoutMs;
    const markBroken = () => {
      this.#broken = true;
    };
    client.on('error', markBroken);
    client.on('end', markBroken);
  }

  /** `true` once the session failed at the connection level; the pool then replaces it. */
  get broken(): boolean {
    return this.#broken;
  }

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    if (!queryChannel.hasSubscribers) return this.#executeQuery(compiledQuery, undefined);
    return traceQuery('postgres', compiledQuery, (trace) => this.#executeQuery<R>(compiledQuery, trace));
  }

  /** Not `async`: on the hot path the statement's own promise is shaped once, one hop fewer. */
  #executeQuery<R>(
    compiledQuery: CompiledQuery,
    trace: QueryTraceContext | undefined,
  ): Promise<QueryResult<R>> {
    const text = trace === undefined ? compiledQuery.sql : trace.sql;
    const values = compiledQuery.parameters as unknown[];
    // Sent anyway, the statement would fail with a protocol error that costs the connection.
    if (values.length > POSTGRES_MAX_PARAMETERS)
      return Promise.reject(tooManyParameters(values.length, POSTGRES_MAX_PARAMETERS));
    // Only parameterised data statements are prepared: a parameterless text may hold several
    // statements (a migration), which only the simple protocol accepts. A text a tracer rewrote
    // (a sqlcommenter comment) differs per request: preparing it would only churn names.
    const name = values.length > 0 && text === compiledQuery.sql ? this.#names.nameFor(text) : undefined;
    if (trace !== undefined) trace.statementName = name;
    const rowMode = (compiledQuery as ArrayRowsQuery).rowMode;
    const wanted = queryTimeoutScope.getStore() ?? this.#defaultTimeoutMs;
    if (wanted !== this.#timeoutMs)
      return this.#setTimeout(wanted).then(() => this.#send<R>(text, values, name, rowMode));
    return this.#send<R>(text, values, name, rowMode);
  }

  #send<R>(
    text: string,
    values: unknown[],
    name: string | undefined,
    rowMode: 'array' | undefined,
  ): Promise<QueryResult<R>> {
    return this.#run(text, values, name, rowMode).then(toQueryResult<R>, (error: unknown) => {
      // After DDL changed a table, a prepared `select *` may no longer match its result type; PostgreSQL
      // refuses it until re-prepared, so the statement is re-prepared once under a fresh name.
      if (name === undefined || (error as PgError).code !== CACHED_PLAN_CHANGED) throw this.#map(error);
      this.#retired.set(text, (this.#retired.get(text) ?? 0) + 1);
      return this.#run(text, values, name, rowMode).then(toQueryResult<R>, (retryError: unknown) => {
        throw this.#map(retryError);
      });
    });
  }

  /**
   * Sends one statement. Not wrapped in `#guard`: the caller's `#map` marks a lost session broken,
   * and the hot path is one promise shorter.
   */
  #run(
    text: string,
    values: unknown[],
    name: string | undefined,
    rowMode: 'array' | undefined,
  ): Promise<pg.QueryResult> {
    if (name === undefined) {
      // Text and values rather than a config object, which node-postgres would copy per query.
      if (rowMode === undefined) return this.client.query(text, values);
      const config: pg.QueryConfig & { rowMode?: 'array' | undefined } = { text, values, rowMode };
      return this.client.query(config);
    }
    const generation = this.#retired.get(text);
    return queryDescribedOnce(
      this.client,
      { name: generation === undefined ? name : `${name}_${generation}`, text, values, rowMode },
      this.#descriptions,
    );
  }

  /** Runs a statement directly (transaction control), outside the prepared-statement path. */
  async execute(text: string): Promise<void> {
    try {
      await this.#guard(this.client.query(text));
    } catch (error) {
      throw this.#map(error);
    }
  }

  /** A rollback undoes a `set` made inside the transaction: the timeout in effect is unknown again. */
  forgetTimeout(): void {
    this.#timeoutMs = Number.NaN;
  }

  async #setTimeout(ms: number): Promise<void> {
    try {
      await this.#guard(this.client.query(`set statement_timeout = ${Math.trunc(ms)}`));
    } catch (error) {
      throw this.#map(error);
    }
    this.#timeoutMs = ms;
  }

  /** The typed error for a failure: constraint violations, a lost connection, a timeout. */
  #map(error: unknown): unknown {
    if (isConnectionError(error)) {
      this.#broken = true;
      return new ConnectionError(error instanceof Error ? error.message : String(error), error);
    }
    if ((error as PgError).code === QUERY_CANCELED && this.#timeoutMs > 0) {
      return new QueryTimeoutError(this.#timeoutMs, error);
    }
    return mapDatabaseError(error, this.#constraints());
  }

  async #guard<T>(promise: Promise<T>): Promise<T> {
    try {
      return await promise;
    } catch (error) {
      if (isConnectionError(error)) this.#broken = true;
      throw error;
    }
  }

  /** Server-side streaming through a cursor: at most `chunkSize` rows in memory at a time. */
  async *streamQuery<R>(
    compiledQuery: CompiledQuery,
    chunkSize: number,
  ): AsyncIterableIterator<QueryResult<R>> {
    const cursor = this.client.query(
      new Cursor<R & pg.QueryResultRow>(compiledQuery.sql, compiledQuery.parameters as unknown[]),
    );
    try {
      for (;;) {
        let rows: R[];
        try {
          rows = await this.#guard(cursor.read(Math.max(1, chunkSize)));
        } catch (error) {
          throw this.#map(error);
        }
        if (rows.length === 0) return;
        yield { rows };
      }
    } finally {
      await cursor.close().catch(() => undefined);
    }
  }
}

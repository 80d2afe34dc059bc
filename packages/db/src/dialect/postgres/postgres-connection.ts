import type { CompiledQuery, DatabaseConnection, QueryResult } from 'kysely';
import type pg from 'pg';
import Cursor from 'pg-cursor';
import { type ConstraintColumns, mapDatabaseError } from '../../errors/map-database-error.js';
import { type QueryTraceContext, queryChannel, traceQuery } from '../../tracing-channels.js';
import type { StatementNames } from './statement-names.js';

interface PgError {
  code?: unknown;
  message?: unknown;
}

/**
 * An error that means the session is gone or unusable: no SQLSTATE (socket error, "Connection
 * terminated"), class 08 (connection exception) or 57P0x (server shutting down / restarting).
 */
export function isConnectionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return true;
  const code = (error as PgError).code;
  if (typeof code !== 'string' || code === '') return true;
  return code.startsWith('08') || code.startsWith('57P') || /^E[A-Z]+$/.test(code);
}

const PREPARABLE = /^\s*(select|insert|update|delete|with)\b/i;
const CACHED_PLAN_CHANGED = '0A000';

/**
 * One PostgreSQL session. Data statements run as named prepared statements (parsed once per
 * session, then only bound and executed); anything else runs unnamed.
 */
export class PostgresConnection implements DatabaseConnection {
  readonly client: pg.Client;
  readonly #names: StatementNames;
  /** Statement names retired on this session after their cached plan went stale (DDL changed a table). */
  readonly #retired = new Map<string, number>();
  #broken = false;

  readonly #constraints: () => ConstraintColumns | undefined;

  constructor(client: pg.Client, names: StatementNames, constraints: () => ConstraintColumns | undefined) {
    this.client = client;
    this.#names = names;
    this.#constraints = constraints;
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

  async #executeQuery<R>(
    compiledQuery: CompiledQuery,
    trace: QueryTraceContext | undefined,
  ): Promise<QueryResult<R>> {
    const text = trace === undefined ? compiledQuery.sql : trace.sql;
    const values = compiledQuery.parameters as unknown[];
    // Only parameterised data statements are prepared: a parameterless text may hold several
    // statements (a migration), which only the simple protocol accepts.
    const name =
      values.length > 0 && text === compiledQuery.sql && PREPARABLE.test(text)
        ? this.#names.nameFor(text)
        : undefined;
    if (trace !== undefined) trace.statementName = name;
    let result: pg.QueryResult;
    try {
      result = await this.#run(text, values, name);
    } catch (error) {
      // After DDL changed a table, a prepared `select *` may no longer match its result type; PostgreSQL
      // refuses it until re-prepared, so the statement is re-prepared once under a fresh name.
      if (name === undefined || (error as PgError).code !== CACHED_PLAN_CHANGED) {
        throw mapDatabaseError(error, this.#constraints());
      }
      this.#retired.set(text, (this.#retired.get(text) ?? 0) + 1);
      try {
        result = await this.#run(text, values, name);
      } catch (retryError) {
        throw mapDatabaseError(retryError, this.#constraints());
      }
    }
    const affects =
      result.command === 'INSERT' ||
      result.command === 'UPDATE' ||
      result.command === 'DELETE' ||
      result.command === 'MERGE';
    return {
      rows: result.rows as R[],
      ...(affects && result.rowCount !== null ? { numAffectedRows: BigInt(result.rowCount) } : {}),
    };
  }

  #run(text: string, values: unknown[], name: string | undefined): Promise<pg.QueryResult> {
    if (name === undefined) return this.#guard(this.client.query({ text, values }));
    const generation = this.#retired.get(text);
    return this.#guard(
      this.client.query({ name: generation === undefined ? name : `${name}_${generation}`, text, values }),
    );
  }

  /** Runs a statement directly (transaction control), outside the prepared-statement path. */
  async execute(text: string): Promise<void> {
    try {
      await this.#guard(this.client.query(text));
    } catch (error) {
      throw mapDatabaseError(error, this.#constraints());
    }
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
          throw mapDatabaseError(error, this.#constraints());
        }
        if (rows.length === 0) return;
        yield { rows };
      }
    } finally {
      await cursor.close().catch(() => undefined);
    }
  }
}

import type { PGliteInterface, PGliteOptions } from '@electric-sql/pglite';
import type { CompiledQuery, DatabaseConnection, QueryResult } from 'kysely';
import { type ConstraintColumns, mapDatabaseError } from '../../errors/map-database-error.js';
import { tooManyParameters } from '../../errors/validation-error.js';
import type { ArrayRowsQuery } from '../../query-compiler/compiled-template.js';
import { queryChannel, traceQuery } from '../../tracing-channels.js';
import { PGLITE_MAX_PARAMETERS } from './pglite-limits.js';

const INT8 = 20;
const DATE = 1082;
const NUMERIC = 1700;

/**
 * The same value mapping as the PostgreSQL dialect, so results are identical on both. Passed per
 * query, so it applies to instances the application created itself too.
 */
const parsers: NonNullable<PGliteOptions['parsers']> = {
  [INT8]: (value: string) => BigInt(value),
  [DATE]: (value: string) => value,
  [NUMERIC]: (value: string) => value,
};

/** The one session of a PGlite database. */
export class PGliteConnection implements DatabaseConnection {
  readonly #db: PGliteInterface;
  readonly #constraints: () => ConstraintColumns | undefined;

  constructor(db: PGliteInterface, constraints: () => ConstraintColumns | undefined) {
    this.#db = db;
    this.#constraints = constraints;
  }

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    if (!queryChannel.hasSubscribers) return this.#executeQuery(compiledQuery, compiledQuery.sql);
    return traceQuery('pglite', compiledQuery, (trace) => this.#executeQuery<R>(compiledQuery, trace.sql));
  }

  async #executeQuery<R>(compiledQuery: CompiledQuery, sql: string): Promise<QueryResult<R>> {
    let result: Awaited<ReturnType<PGliteInterface['query']>>;
    const params = compiledQuery.parameters as unknown[];
    if (params.length > PGLITE_MAX_PARAMETERS) throw tooManyParameters(params.length, PGLITE_MAX_PARAMETERS);
    try {
      if (params.length === 0 && /;\s*\S/.test(sql)) {
        // Several statements (a migration): only the simple protocol accepts them.
        const results = await this.#db.exec(sql, { rowMode: 'object', parsers });
        return { rows: (results[results.length - 1]?.rows ?? []) as R[] };
      }
      result = await this.#db.query<R>(sql, params, {
        rowMode: (compiledQuery as ArrayRowsQuery).rowMode ?? 'object',
        parsers,
      });
    } catch (error) {
      throw mapDatabaseError(error, this.#constraints());
    }
    const affects = /^\s*(insert|update|delete|merge|with)\b/i.test(compiledQuery.sql);
    return {
      rows: result.rows as R[],
      ...(affects && result.affectedRows !== undefined
        ? { numAffectedRows: BigInt(result.affectedRows) }
        : {}),
    };
  }

  async execute(text: string): Promise<void> {
    try {
      await this.#db.exec(text);
    } catch (error) {
      throw mapDatabaseError(error, this.#constraints());
    }
  }

  async *streamQuery<R>(
    compiledQuery: CompiledQuery,
    chunkSize: number,
  ): AsyncIterableIterator<QueryResult<R>> {
    // PGlite materialises results in memory anyway; hand them out in the requested chunk size.
    const { rows } = await this.executeQuery<R>(compiledQuery);
    const size = Math.max(1, chunkSize);
    for (let i = 0; i < rows.length; i += size) yield { rows: rows.slice(i, i + size) };
  }
}

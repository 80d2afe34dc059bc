import { tracingChannel } from 'node:diagnostics_channel';
import type { CompiledQuery, QueryResult } from 'kysely';

/**
 * What `zephyr:db:query` publishes for one statement; the same object on every event, so a
 * subscriber may keep its own state on it from `start` to `asyncEnd`.
 */
export interface QueryTraceContext {
  /** The engine: `postgres` (a server) or `pglite` (embedded); both are PostgreSQL. */
  readonly dialect: 'postgres' | 'pglite';
  /**
   * The SQL text. A `start` subscriber may rewrite it (a sqlcommenter comment); a rewritten
   * statement runs unprepared, because a prepared statement's text is fixed per session.
   */
  sql: string;
  /** The SQL as compiled, before any rewrite. */
  readonly compiledSql: string;
  /** Number of bound parameters (their values are never published). */
  readonly parameterCount: number;
  /** `SELECT`, `INSERT`, `UPDATE`, `DELETE`, or `undefined` for raw SQL. */
  readonly operation: string | undefined;
  /** The first table the statement names, or `undefined` (raw SQL). */
  readonly table: string | undefined;
  /** The prepared statement's name on PostgreSQL, once known; `undefined` when it runs unnamed. */
  statementName?: string | undefined;
  /** Rows returned, or rows affected by a write; set before `asyncStart`. */
  rows?: number;
  /** The error the statement failed with (already mapped to a `ZEPHYR_ERR_DB_*` error). */
  error?: unknown;
}

/** What `zephyr:db:pool:acquire` publishes for one connection checkout. */
export interface AcquireTraceContext {
  /** The pool's `max` connections. */
  readonly max: number;
  /** Callers already queued when this one arrived. */
  readonly waiting: number;
  /** Milliseconds from asking to getting a connection (or failing); set before `asyncStart`. */
  waitMs?: number;
  /** Why no connection was handed out (`PoolTimeoutError`, `PoolOverloadedError`...). */
  error?: unknown;
}

/** The tracing channel around each statement a connection executes. */
export const queryChannel = tracingChannel<unknown, QueryTraceContext>('zephyr:db:query');

/** The tracing channel around each connection checkout from the PostgreSQL pool. */
export const acquireChannel = tracingChannel<unknown, AcquireTraceContext>('zephyr:db:pool:acquire');

/** Runs one statement inside the query channel; called only when it has subscribers. */
export function traceQuery<R>(
  dialect: QueryTraceContext['dialect'],
  compiledQuery: CompiledQuery,
  run: (trace: QueryTraceContext) => Promise<QueryResult<R>>,
): Promise<QueryResult<R>> {
  const [operation, table] = describe(compiledQuery.query);
  const trace: QueryTraceContext = {
    dialect,
    sql: compiledQuery.sql,
    compiledSql: compiledQuery.sql,
    parameterCount: compiledQuery.parameters.length,
    operation,
    table,
  };
  return queryChannel.tracePromise(
    () =>
      run(trace).then((result) => {
        trace.rows =
          result.numAffectedRows === undefined ? result.rows.length : Number(result.numAffectedRows);
        return result;
      }),
    trace,
  );
}

/** Runs one checkout inside the acquire channel; called only when it has subscribers. */
export function traceAcquire<C>(max: number, waiting: number, acquire: () => Promise<C>): Promise<C> {
  const trace: AcquireTraceContext = { max, waiting };
  const start = performance.now();
  const waited = (): void => {
    trace.waitMs = performance.now() - start;
  };
  return acquireChannel.tracePromise(
    () =>
      acquire().then(
        (connection) => {
          waited();
          return connection;
        },
        (error: unknown) => {
          waited();
          throw error;
        },
      ),
    trace,
  );
}

interface Node {
  readonly kind: string;
  readonly [key: string]: unknown;
}

const OPERATIONS: Readonly<Record<string, [string, string]>> = {
  SelectQueryNode: ['SELECT', 'from'],
  InsertQueryNode: ['INSERT', 'into'],
  UpdateQueryNode: ['UPDATE', 'table'],
  DeleteQueryNode: ['DELETE', 'from'],
};

/** The operation and first table of a Kysely query tree (raw SQL has neither). */
function describe(query: { readonly kind: string }): [string | undefined, string | undefined] {
  const entry = OPERATIONS[query.kind];
  if (entry === undefined) return [undefined, undefined];
  return [entry[0], tableOf((query as Node)[entry[1]] as Node | undefined)];
}

function tableOf(node: Node | undefined): string | undefined {
  if (node === undefined) return undefined;
  switch (node.kind) {
    case 'FromNode':
      return tableOf((node.froms as Node[])[0]);
    case 'AliasNode':
      return tableOf(node.node as Node);
    case 'TableNode': {
      const id = node.table as { identifier: { name: string }; schema?: { name: string } };
      return id.schema === undefined ? id.identifier.name : `${id.schema.name}.${id.identifier.name}`;
    }
    default:
      return undefined;
  }
}

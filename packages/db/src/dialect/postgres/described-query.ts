import { createRequire } from 'node:module';
import type pg from 'pg';

/** The part of node-postgres' protocol connection a query writes to. */
interface ProtocolConnection {
  bind(message: {
    portal: string;
    statement: string;
    values: unknown[];
    binary: boolean | undefined;
    valueMapper: unknown;
  }): void;
  execute(message: { portal: string; rows: number | undefined }): void;
  sync(): void;
  parsedStatements: Record<string, string>;
}

/** node-postgres' result under construction: the fields and per-column parsers rows are read with. */
interface PgResult {
  fields: readonly pg.FieldDef[];
  _parsers: unknown[] | undefined;
  _prebuiltEmptyResultObject: object | null;
}

/** node-postgres' own query class, whose protocol steps this extends (pg-cursor builds on the same). */
interface PgQuery {
  name: string | undefined;
  values: unknown[];
  portal: string;
  binary: boolean | undefined;
  rows: number | undefined;
  _rowMode: 'array' | undefined;
  _result: PgResult;
  _results: PgResult;
  _accumulateRows: boolean;
  prepare(connection: ProtocolConnection): void;
  handleRowDescription(message: { fields: pg.FieldDef[] }): void;
  handleError(error: unknown, connection: ProtocolConnection): void;
}

const require = createRequire(import.meta.url);
const Query = require('pg/lib/query.js') as new (
  text: string,
  values: unknown[],
  callback: (error: Error | null, result: pg.QueryResult) => void,
) => PgQuery;
const Result = require('pg/lib/result.js') as new (
  rowMode: 'array' | undefined,
  types: undefined,
) => PgResult;
const { prepareValue } = require('pg/lib/utils.js') as { prepareValue: unknown };

/** What one description of a statement's result gives every later execution on the session. */
export interface StatementDescription {
  readonly fields: readonly pg.FieldDef[];
  /** The session's parser for each column, looked up once rather than per execution. */
  readonly parsers: unknown[] | undefined;
  /** The row object every row of the result starts as a copy of. */
  readonly emptyRow: object | null;
}

/**
 * The result columns of each named statement one session has described: PostgreSQL never lets a
 * prepared statement's result type change (it fails with 0A000 instead), so one description holds
 * for the statement's life on that session.
 */
export type StatementDescriptions = Map<string, StatementDescription>;

/** A named statement as {@link queryDescribedOnce} runs it. */
export interface DescribedQueryConfig {
  readonly name: string;
  readonly text: string;
  readonly values: unknown[];
  readonly rowMode?: 'array' | undefined;
}

/**
 * A named statement executed without asking the server to describe its result again: Bind, Execute,
 * Sync instead of Bind, Describe, Execute, Sync. The server builds no RowDescription and the client
 * parses none; the columns (and their parsers) come from the first execution on this session.
 */
class DescribedOnceQuery extends Query {
  readonly #descriptions: StatementDescriptions;

  constructor(
    config: DescribedQueryConfig,
    descriptions: StatementDescriptions,
    callback: (error: Error | null, result: pg.QueryResult) => void,
  ) {
    // The text, not the config object: node-postgres copies a config object through its property
    // descriptors on every query, a measurable share of a primary-key select's CPU.
    super(config.text, config.values, callback);
    this.name = config.name;
    if (config.rowMode === 'array') {
      this._rowMode = 'array';
      this._result = new Result('array', undefined);
      this._results = this._result;
    }
    this.#descriptions = descriptions;
  }

  override prepare(connection: ProtocolConnection): void {
    const name = this.name as string;
    const described =
      connection.parsedStatements[name] !== undefined ? this.#descriptions.get(name) : undefined;
    if (described === undefined) {
      super.prepare(connection);
      return;
    }
    try {
      connection.bind({
        portal: this.portal,
        statement: name,
        values: this.values,
        binary: this.binary,
        valueMapper: prepareValue,
      });
    } catch (error) {
      // Nothing was written (the values are serialised before sending): sync, and fail this query
      // only. Unlike node-postgres, keep the statement: it is still valid for the next values.
      connection.sync();
      this.handleError(error, connection);
      return;
    }
    // What `addFields` would compute from the description, taken as computed the first time.
    const result = this._result;
    result.fields = described.fields;
    result._parsers = described.parsers;
    result._prebuiltEmptyResultObject = described.emptyRow;
    this._accumulateRows = true;
    connection.execute({ portal: this.portal, rows: this.rows });
    connection.sync();
  }

  override handleRowDescription(message: { fields: pg.FieldDef[] }): void {
    super.handleRowDescription(message);
    const result = this._result;
    this.#descriptions.set(this.name as string, {
      fields: message.fields,
      parsers: result._parsers,
      emptyRow: result._prebuiltEmptyResultObject,
    });
  }
}

/** Runs a named statement on `client`, describing its result only on the session's first execution. */
export function queryDescribedOnce(
  client: pg.Client,
  config: DescribedQueryConfig,
  descriptions: StatementDescriptions,
): Promise<pg.QueryResult> {
  return new Promise((resolve, reject) => {
    client.query(
      new DescribedOnceQuery(config, descriptions, (error, result) =>
        error === null ? resolve(result) : reject(error),
      ) as unknown as pg.Submittable,
    );
  });
}

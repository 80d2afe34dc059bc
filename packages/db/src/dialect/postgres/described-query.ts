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

/** node-postgres' own query class, whose protocol steps this extends (pg-cursor builds on the same). */
interface PgQuery {
  name: string | undefined;
  values: unknown[];
  portal: string;
  binary: boolean | undefined;
  rows: number | undefined;
  _result: { addFields(fields: readonly pg.FieldDef[]): void };
  _accumulateRows: boolean;
  prepare(connection: ProtocolConnection): void;
  handleRowDescription(message: { fields: pg.FieldDef[] }): void;
  handleError(error: unknown, connection: ProtocolConnection): void;
}

const require = createRequire(import.meta.url);
const Query = require('pg/lib/query.js') as new (
  config: pg.QueryConfig & { rowMode?: 'array' | undefined },
  values: undefined,
  callback: (error: Error | null, result: pg.QueryResult) => void,
) => PgQuery;
const { prepareValue } = require('pg/lib/utils.js') as { prepareValue: unknown };

/**
 * The result columns of each named statement one session has described: PostgreSQL never lets a
 * prepared statement's result type change (it fails with 0A000 instead), so one description holds
 * for the statement's life on that session.
 */
export type StatementDescriptions = Map<string, readonly pg.FieldDef[]>;

/**
 * A named statement executed without asking the server to describe its result again: Bind, Execute,
 * Sync instead of Bind, Describe, Execute, Sync. The server builds no RowDescription and the client
 * parses none; the columns come from the first execution on this session.
 */
class DescribedOnceQuery extends Query {
  readonly #descriptions: StatementDescriptions;

  constructor(
    config: pg.QueryConfig & { rowMode?: 'array' | undefined },
    descriptions: StatementDescriptions,
    callback: (error: Error | null, result: pg.QueryResult) => void,
  ) {
    super(config, undefined, callback);
    this.#descriptions = descriptions;
  }

  override prepare(connection: ProtocolConnection): void {
    const name = this.name;
    const fields =
      name !== undefined && connection.parsedStatements[name] !== undefined
        ? this.#descriptions.get(name)
        : undefined;
    if (fields === undefined) {
      super.prepare(connection);
      return;
    }
    try {
      connection.bind({
        portal: this.portal,
        statement: name as string,
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
    this._result.addFields(fields);
    this._accumulateRows = true;
    connection.execute({ portal: this.portal, rows: this.rows });
    connection.sync();
  }

  override handleRowDescription(message: { fields: pg.FieldDef[] }): void {
    if (this.name !== undefined) this.#descriptions.set(this.name, message.fields);
    super.handleRowDescription(message);
  }
}

/** Runs a named statement on `client`, describing its result only on the session's first execution. */
export function queryDescribedOnce(
  client: pg.Client,
  config: pg.QueryConfig & { name: string; rowMode?: 'array' | undefined },
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

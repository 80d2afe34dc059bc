import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import { InvalidQueryError } from '../errors/validation-error.js';
import { CompiledTemplate, ParameterSlot } from './compiled-template.js';

/** Something that runs compiled queries: a database or a transaction (`db`, `tx`). */
export interface QueryRunner {
  readonly kysely: {
    executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
  };
}

/** Declares a named parameter inside a `prepare()` builder; typed as the value it stands for. */
export type ParameterFactory<P> = <K extends keyof P & string>(name: K) => P[K];

/**
 * A query compiled once at `prepare()` time. On PostgreSQL it also runs as a named prepared
 * statement, so each session parses and plans it once.
 */
export class PreparedQuery<P extends Record<string, unknown>, R> {
  readonly #template: CompiledTemplate<R>;
  readonly #runner: QueryRunner;

  constructor(template: CompiledTemplate<R>, runner: QueryRunner) {
    this.#template = template;
    this.#runner = runner;
  }

  /** The SQL text, with `$n` placeholders. */
  get sql(): string {
    return this.#template.compiled.sql;
  }

  /**
   * Runs with these parameter values, on the database it was prepared on or on `runner` (e.g. a
   * transaction). Every declared parameter must be given; values always travel as parameters.
   */
  async execute(params: P, runner: QueryRunner = this.#runner): Promise<R[]> {
    for (const key of this.#template.slotKeys) {
      if (!(key in params)) throw new InvalidQueryError(`prepared query: missing parameter "${String(key)}"`);
    }
    const result = await runner.kysely.executeQuery<R>(this.#template.bind(params));
    return result.rows;
  }

  /** Runs and returns the first row, or `undefined`. */
  async executeTakeFirst(params: P, runner?: QueryRunner): Promise<R | undefined> {
    const rows = await this.execute(params, runner);
    return rows[0];
  }
}

/** Builds and compiles a query with named parameter slots, once. */
export function prepareQuery<DB, P extends Record<string, unknown>, R>(
  runner: QueryRunner & { readonly kysely: Kysely<DB> },
  build: (db: Kysely<DB>, param: ParameterFactory<P>) => Compilable<R>,
): PreparedQuery<P, R> {
  const param = ((name: string) => new ParameterSlot(name)) as unknown as ParameterFactory<P>;
  const compiled = build(runner.kysely, param).compile();
  return new PreparedQuery<P, R>(new CompiledTemplate(compiled), runner);
}

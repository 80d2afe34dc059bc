import type { CompiledQuery } from 'kysely';

/**
 * A stand-in for a value, put into a query while it is built so the compiled SQL has a `$n` where the
 * value goes. The template later swaps real values in without building or compiling again.
 */
export class ParameterSlot {
  readonly key: string | number;
  constructor(key: string | number) {
    this.key = key;
  }
}

/** Turns the rows of a query run with `rowMode: 'array'` into the objects the caller returns. */
export interface ArrayRowMapper {
  map(rows: readonly (readonly unknown[])[]): Record<string, unknown>[];
}

/** A compiled query whose rows come back as arrays (PostgreSQL and PGlite both honour it). */
export interface ArrayRowsQuery<R = unknown> extends CompiledQuery<R> {
  readonly rowMode?: 'array';
}

/**
 * A query compiled once, with the positions of its slots recorded. `bind` only copies the parameter
 * array: no query building, no SQL generation per execution.
 */
export class CompiledTemplate<R = unknown> {
  readonly compiled: CompiledQuery<R>;
  /** Parameter index → slot key, for the parameters that are slots. */
  readonly #slots: { index: number; key: string | number }[] = [];
  /** Every parameter is slot `i` at index `i`: the values array is the parameter array as is. */
  readonly #identity: boolean;
  /** Set when the rows travel as arrays and this maps them to objects (a query with joined relations). */
  readonly arrayRows: ArrayRowMapper | undefined;

  constructor(compiled: CompiledQuery<R>, arrayRows?: ArrayRowMapper) {
    this.compiled = compiled;
    this.arrayRows = arrayRows;
    compiled.parameters.forEach((p, index) => {
      if (p instanceof ParameterSlot) this.#slots.push({ index, key: p.key });
    });
    this.#identity =
      this.#slots.length === compiled.parameters.length && this.#slots.every((s) => s.key === s.index);
  }

  /** The slot keys the SQL expects values for. */
  get slotKeys(): readonly (string | number)[] {
    return this.#slots.map((s) => s.key);
  }

  /** The compiled query with `values` in place of the slots (by slot key: index or name). */
  bind(values: Readonly<Record<string | number, unknown>> | readonly unknown[]): ArrayRowsQuery<R> {
    const c = this.compiled;
    let parameters: readonly unknown[];
    // The common case: no copy, no loop. The caller built `values` for this one execution.
    if (this.#identity && Array.isArray(values) && values.length === this.#slots.length) parameters = values;
    else {
      const copy = c.parameters.slice();
      for (const s of this.#slots) copy[s.index] = (values as Record<string | number, unknown>)[s.key];
      parameters = copy;
    }
    return this.arrayRows === undefined
      ? { query: c.query, queryId: c.queryId, sql: c.sql, parameters }
      : { query: c.query, queryId: c.queryId, sql: c.sql, parameters, rowMode: 'array' };
  }
}

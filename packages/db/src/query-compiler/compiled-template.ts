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

  constructor(compiled: CompiledQuery<R>) {
    this.compiled = compiled;
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
  bind(values: Readonly<Record<string | number, unknown>> | readonly unknown[]): CompiledQuery<R> {
    const c = this.compiled;
    // The common case: no copy, no loop. The caller built `values` for this one execution.
    if (this.#identity && Array.isArray(values) && values.length === this.#slots.length) {
      return { query: c.query, queryId: c.queryId, sql: c.sql, parameters: values };
    }
    const parameters = this.compiled.parameters.slice();
    for (const s of this.#slots) parameters[s.index] = (values as Record<string | number, unknown>)[s.key];
    return { query: this.compiled.query, queryId: this.compiled.queryId, sql: this.compiled.sql, parameters };
  }
}

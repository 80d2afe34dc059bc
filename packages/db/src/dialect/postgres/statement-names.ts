/** Data statements: a text starting otherwise may hold several statements (a migration). */
const PREPARABLE = /^\s*(select|insert|update|delete|with)\b/i;

/**
 * Assigns stable prepared-statement names to SQL texts, shared by every session of a pool: the same
 * SQL gets the same name everywhere, so each session parses it once. Bounded, because every distinct
 * name occupies memory in every PostgreSQL session that used it; past the bound, new texts run unnamed.
 */
export class StatementNames {
  /** SQL → name; `null` for texts that are not data statements (never prepared). */
  readonly #names = new Map<string, string | null>();
  #count = 0;
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  nameFor(sql: string): string | undefined {
    const known = this.#names.get(sql);
    if (known !== undefined) return known ?? undefined;
    if (!PREPARABLE.test(sql)) {
      // Remembered (bounded like the names) so the test runs once per text, not once per execution.
      if (this.#names.size < this.#limit * 2) this.#names.set(sql, null);
      return undefined;
    }
    if (this.#count >= this.#limit) return undefined;
    const name = `zephyr_${(this.#count++).toString(36)}`;
    this.#names.set(sql, name);
    return name;
  }

  /** How many distinct statements have a name. */
  get size(): number {
    return this.#count;
  }
}

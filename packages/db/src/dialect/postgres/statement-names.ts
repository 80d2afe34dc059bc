/**
 * Assigns stable prepared-statement names to SQL texts, shared by every session of a pool: the same
 * SQL gets the same name everywhere, so each session parses it once. Bounded, because every distinct
 * name occupies memory in every PostgreSQL session that used it; past the bound, new texts run unnamed.
 */
export class StatementNames {
  readonly #names = new Map<string, string>();
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  nameFor(sql: string): string | undefined {
    const known = this.#names.get(sql);
    if (known !== undefined || this.#names.size >= this.#limit) return known;
    const name = `zephyr_${this.#names.size.toString(36)}`;
    this.#names.set(sql, name);
    return name;
  }

  /** How many distinct statements have a name. */
  get size(): number {
    return this.#names.size;
  }
}

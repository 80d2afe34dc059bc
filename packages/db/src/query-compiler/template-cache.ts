import type { CompiledTemplate } from './compiled-template.js';

/**
 * Compiled templates by query shape. Bounded (oldest evicted first) because shapes can come from
 * input, e.g. `createMany` with varying batch sizes; a hit refreshes the entry's place.
 */
export class TemplateCache {
  readonly #entries = new Map<string, CompiledTemplate>();
  readonly #limit: number;
  #hits = 0;
  #misses = 0;

  constructor(limit = 1000) {
    this.#limit = limit;
  }

  /** The template for `shape`, compiling it with `build` on the first request only. */
  get<R>(shape: string, build: () => CompiledTemplate<R>): CompiledTemplate<R> {
    const cached = this.#entries.get(shape);
    if (cached !== undefined) {
      this.#hits++;
      return cached as CompiledTemplate<R>;
    }
    this.#misses++;
    const template = build();
    if (this.#entries.size >= this.#limit) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(shape, template as CompiledTemplate);
    return template;
  }

  /** Cache effectiveness: compiled (misses) versus reused (hits). */
  stats(): { size: number; hits: number; misses: number } {
    return { size: this.#entries.size, hits: this.#hits, misses: this.#misses };
  }
}

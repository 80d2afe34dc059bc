import { randomInt } from 'node:crypto';

/**
 * Trace id → ring slot, for {@link TraceRing}: an open-addressing table (linear probing,
 * backward-shift deletion) over a seeded hash of the id. Each sampled trace's id is a fresh
 * string, so a `Map` keyed by it hashed each new id in full and churned its table on every
 * eviction; this costs a fraction of that and allocates nothing per trace. The hash is seeded
 * per process, so trace ids chosen by a caller (an incoming `traceparent`) cannot be made to
 * collide on purpose; collisions that happen anyway only lengthen a probe.
 */
export class TraceIndex {
  readonly #mask: number;
  readonly #hashes: Int32Array;
  /** Slot + 1 at each position; 0 marks an empty position. */
  readonly #slots: Int32Array;
  readonly #ids: (string | undefined)[];
  readonly #seed = randomInt(0x7fffffff);

  /** @param capacity the most ids held at once; the table keeps its load at or under one half. */
  constructor(capacity: number) {
    let size = 8;
    while (size < capacity * 2) size *= 2;
    this.#mask = size - 1;
    this.#hashes = new Int32Array(size);
    this.#slots = new Int32Array(size);
    this.#ids = new Array<string | undefined>(size).fill(undefined);
  }

  /** The slot of `traceId` (whose {@link hash} is `h`), or -1. */
  get(traceId: string, h: number): number {
    const mask = this.#mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const slot = this.#slots[i]!;
      if (slot === 0) return -1;
      if (this.#hashes[i] === h && this.#ids[i] === traceId) return slot - 1;
    }
  }

  /** Files `traceId` (hash `h`, not already held) at `slot`. */
  set(traceId: string, h: number, slot: number): void {
    const mask = this.#mask;
    let i = h & mask;
    while (this.#slots[i] !== 0) i = (i + 1) & mask;
    this.#hashes[i] = h;
    this.#slots[i] = slot + 1;
    this.#ids[i] = traceId;
  }

  /** Forgets `traceId` (hash `h`). */
  delete(traceId: string, h: number): void {
    const mask = this.#mask;
    let i = h & mask;
    while (!(this.#hashes[i] === h && this.#ids[i] === traceId)) {
      if (this.#slots[i] === 0) return;
      i = (i + 1) & mask;
    }
    // Backward shift: each later entry of the run that may sit at `i` moves there, so a lookup
    // never meets a hole before its entry.
    for (let j = (i + 1) & mask; this.#slots[j] !== 0; j = (j + 1) & mask) {
      const home = this.#hashes[j]! & mask;
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      this.#hashes[i] = this.#hashes[j]!;
      this.#slots[i] = this.#slots[j]!;
      this.#ids[i] = this.#ids[j];
      i = j;
    }
    this.#slots[i] = 0;
    this.#ids[i] = undefined;
  }

  /** Forgets every id. */
  clear(): void {
    this.#slots.fill(0);
    this.#ids.fill(undefined);
  }

  /**
   * The hash the other methods take, computed once per span by the caller: a trace id is a fresh
   * 32-character string per trace, and hashing it is most of what a lookup costs. FNV-1a from a
   * per-process seed, in four interleaved lanes (the multiplies of one lane wait on each other,
   * four lanes' do not), folded together.
   */
  hash(id: string): number {
    let a = this.#seed;
    let b = a ^ 0x5bd1e995;
    let c = a ^ 0x27d4eb2f;
    let d = a ^ 0x165667b1;
    const n = id.length;
    let i = 0;
    for (; i + 3 < n; i += 4) {
      a = Math.imul(a ^ id.charCodeAt(i), 0x01000193);
      b = Math.imul(b ^ id.charCodeAt(i + 1), 0x01000193);
      c = Math.imul(c ^ id.charCodeAt(i + 2), 0x01000193);
      d = Math.imul(d ^ id.charCodeAt(i + 3), 0x01000193);
    }
    for (; i < n; i++) a = Math.imul(a ^ id.charCodeAt(i), 0x01000193);
    let h = Math.imul(a ^ (b >>> 7), 0x01000193) ^ Math.imul(c ^ (d >>> 11), 0x01000193);
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    return h ^ (h >>> 16);
  }
}

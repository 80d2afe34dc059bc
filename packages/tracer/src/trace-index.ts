import { randomInt } from 'node:crypto';

/**
 * Longest chain the sampled hash may build before the index switches to hashing every character.
 * Random ids make a chain that long at a load of one half less than once in ten million
 * insertions; ids chosen to collide make one at once.
 */
const MAX_SAMPLED_CHAIN = 8;

/**
 * Trace id → ring slot, for {@link TraceRing}: each ring slot holds one trace id, chained into a
 * bucket of a table twice the ring's size (integer arrays only: filing a trace and evicting the
 * one it replaces write no string into any table and allocate nothing).
 *
 * Hashing a fresh 32-character id is most of what a lookup costs, so ids are hashed by 8 of their
 * characters (32 random bits of an SDK-made id), seeded per process. Ids chosen by a caller (an
 * incoming `traceparent`) could still share those 8 characters; once any chain grows past
 * {@link MAX_SAMPLED_CHAIN}, the index rehashes what it holds with every character (seeded, so it
 * cannot be aimed at) and keeps doing so: an attack costs the ring what a full hash costs, no more.
 */
export class TraceIndex {
  readonly #mask: number;
  /** Each bucket's first slot + 1; 0 marks an empty bucket. */
  readonly #heads: Int32Array;
  /** Each slot's next slot + 1 in its bucket's chain; 0 ends the chain. */
  readonly #next: Int32Array;
  readonly #hashes: Int32Array;
  readonly #ids: (string | undefined)[];
  readonly #seed = randomInt(0x7fffffff);
  #full = false;

  /** @param slots the ring's slots, the most ids held at once (the table's load stays at or under one half). */
  constructor(slots: number) {
    let size = 8;
    while (size < slots * 2) size *= 2;
    this.#mask = size - 1;
    this.#heads = new Int32Array(size);
    this.#next = new Int32Array(slots);
    this.#hashes = new Int32Array(slots);
    this.#ids = new Array<string | undefined>(slots).fill(undefined);
  }

  /** Whether ids are hashed by every character (a chain grew too long under the sampled hash). */
  get hashesFully(): boolean {
    return this.#full;
  }

  /** The id held at `slot`, if any. */
  idAt(slot: number): string | undefined {
    return this.#ids[slot];
  }

  /** The slot holding `traceId` (whose {@link hash} is `h`), or -1. */
  find(traceId: string, h: number): number {
    for (let s = this.#heads[h & this.#mask]!; s !== 0; s = this.#next[s - 1]!) {
      if (this.#hashes[s - 1] === h && this.#ids[s - 1] === traceId) return s - 1;
    }
    return -1;
  }

  /** Files `traceId` (hash `h`, not already held) at `slot`, in place of the id the slot held. */
  put(slot: number, traceId: string, h: number): void {
    this.#unlink(slot);
    this.#ids[slot] = traceId;
    this.#hashes[slot] = h;
    const bucket = h & this.#mask;
    this.#next[slot] = this.#heads[bucket]!;
    this.#heads[bucket] = slot + 1;
    if (this.#full) return;
    let length = 0;
    for (let s = slot + 1; s !== 0; s = this.#next[s - 1]!) length++;
    if (length > MAX_SAMPLED_CHAIN) this.#hashFully();
  }

  /** Forgets every id. */
  clear(): void {
    this.#heads.fill(0);
    this.#next.fill(0);
    this.#ids.fill(undefined);
  }

  /**
   * The hash the other methods take, computed once per span by the caller. Sampled: FNV-1a from
   * a per-process seed over every fourth character, in two interleaved lanes. Full (after an
   * overlong chain): the same over every character, in four lanes.
   */
  hash(id: string): number {
    return this.#full ? fullHash(id, this.#seed) : sampledHash(id, this.#seed);
  }

  /** Takes `slot` out of its bucket's chain (no-op for an empty slot). */
  #unlink(slot: number): void {
    if (this.#ids[slot] === undefined) return;
    const bucket = this.#hashes[slot]! & this.#mask;
    const self = slot + 1;
    let s = this.#heads[bucket]!;
    if (s === self) {
      this.#heads[bucket] = this.#next[slot]!;
      return;
    }
    while (s !== 0) {
      const after = this.#next[s - 1]!;
      if (after === self) {
        this.#next[s - 1] = this.#next[slot]!;
        return;
      }
      s = after;
    }
  }

  #hashFully(): void {
    this.#full = true;
    this.#heads.fill(0);
    for (let slot = 0; slot < this.#ids.length; slot++) {
      const id = this.#ids[slot];
      if (id === undefined) continue;
      const h = fullHash(id, this.#seed);
      this.#hashes[slot] = h;
      const bucket = h & this.#mask;
      this.#next[slot] = this.#heads[bucket]!;
      this.#heads[bucket] = slot + 1;
    }
  }
}

const FNV_PRIME = 0x01000193;

/** Eight characters, every fourth one; an id shorter than 32 characters is hashed in full. */
function sampledHash(id: string, seed: number): number {
  if (id.length < 32) return fullHash(id, seed);
  let a = seed;
  let b = seed ^ 0x5bd1e995;
  a = Math.imul(a ^ id.charCodeAt(3), FNV_PRIME);
  b = Math.imul(b ^ id.charCodeAt(7), FNV_PRIME);
  a = Math.imul(a ^ id.charCodeAt(11), FNV_PRIME);
  b = Math.imul(b ^ id.charCodeAt(15), FNV_PRIME);
  a = Math.imul(a ^ id.charCodeAt(19), FNV_PRIME);
  b = Math.imul(b ^ id.charCodeAt(23), FNV_PRIME);
  a = Math.imul(a ^ id.charCodeAt(27), FNV_PRIME);
  b = Math.imul(b ^ id.charCodeAt(31), FNV_PRIME);
  return finish(Math.imul(a ^ (b >>> 7), FNV_PRIME) ^ b);
}

/** Every character, in four lanes (the multiplies of one lane wait on each other, four lanes' do not). */
function fullHash(id: string, seed: number): number {
  let a = seed;
  let b = a ^ 0x5bd1e995;
  let c = a ^ 0x27d4eb2f;
  let d = a ^ 0x165667b1;
  const n = id.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    a = Math.imul(a ^ id.charCodeAt(i), FNV_PRIME);
    b = Math.imul(b ^ id.charCodeAt(i + 1), FNV_PRIME);
    c = Math.imul(c ^ id.charCodeAt(i + 2), FNV_PRIME);
    d = Math.imul(d ^ id.charCodeAt(i + 3), FNV_PRIME);
  }
  for (; i < n; i++) a = Math.imul(a ^ id.charCodeAt(i), FNV_PRIME);
  return finish(Math.imul(a ^ (b >>> 7), FNV_PRIME) ^ Math.imul(c ^ (d >>> 11), FNV_PRIME));
}

/** Spreads the high bits into the low ones, which pick the bucket. */
function finish(h: number): number {
  const x = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return x ^ (x >>> 16);
}

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TraceIndex } from '../src/trace-index.js';

const id = (n: number, fill = '0') => n.toString(16).padStart(32, fill);
const randomId = () => randomBytes(16).toString('hex');

/** Files `traceId` at `slot` as the ring does: hashed once, looked up, then put. */
function file(index: TraceIndex, slot: number, traceId: string): void {
  const h = index.hash(traceId);
  expect(index.find(traceId, h)).toBe(-1);
  index.put(slot, traceId, h);
}

const find = (index: TraceIndex, traceId: string) => index.find(traceId, index.hash(traceId));

describe('the trace index of the ring', () => {
  it('finds what it holds, forgets the id a slot held before, and answers -1 otherwise', () => {
    const index = new TraceIndex(4);
    file(index, 0, id(1));
    file(index, 1, id(2));
    expect(find(index, id(1))).toBe(0);
    expect(find(index, id(2))).toBe(1);
    expect(find(index, id(3))).toBe(-1);
    expect(index.idAt(1)).toBe(id(2));
    expect(index.idAt(2)).toBeUndefined();
    file(index, 0, id(3)); // slot 0's trace is evicted for a new one
    expect(find(index, id(1))).toBe(-1);
    expect(find(index, id(3))).toBe(0);
    expect(find(index, id(2))).toBe(1);
    index.clear();
    expect(find(index, id(2))).toBe(-1);
    expect(index.idAt(1)).toBeUndefined();
  });

  it('stays right through eviction churn, as the ring uses it, against a Map', () => {
    const capacity = 100;
    const index = new TraceIndex(capacity);
    const model = new Map<string, number>();
    const bySlot: (string | undefined)[] = [];
    for (let n = 0; n < 20_000; n++) {
      const traceId = n % 3 === 0 ? randomId() : id(n * 7919, 'a');
      const slot = n % capacity;
      const evicted = bySlot[slot];
      if (evicted !== undefined) model.delete(evicted);
      file(index, slot, traceId);
      model.set(traceId, slot);
      bySlot[slot] = traceId;
      if (evicted !== undefined) expect(find(index, evicted)).toBe(-1);
      if (n % 97 === 0) for (const [t, s] of model) expect(find(index, t)).toBe(s);
      expect(find(index, id(n * 7919 + 1, 'a'))).toBe(-1);
    }
    for (const [t, s] of model) expect(find(index, t)).toBe(s);
  });

  it('stays right when slots are refilled in any order, the table full to its bound', () => {
    const capacity = 64;
    const index = new TraceIndex(capacity);
    const bySlot: (string | undefined)[] = new Array(capacity).fill(undefined);
    let seed = 12345;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let step = 0; step < 20_000; step++) {
      const slot = random(capacity);
      const traceId = step % 2 === 0 ? randomId() : id(random(1 << 30), 'b');
      if (bySlot.includes(traceId)) continue;
      const evicted = bySlot[slot];
      file(index, slot, traceId);
      bySlot[slot] = traceId;
      if (evicted !== undefined) expect(find(index, evicted)).toBe(-1);
      if (step % 101 !== 0) continue;
      for (const [s, t] of bySlot.entries()) if (t !== undefined) expect(find(index, t)).toBe(s);
    }
  });

  it('keeps the cheap hash for random ids', () => {
    const index = new TraceIndex(100);
    for (let n = 0; n < 50_000; n++) file(index, n % 100, randomId());
    expect(index.hashesFully).toBe(false);
  });

  it('hashes every character once ids are chosen to collide (they differ only where the cheap hash does not look)', () => {
    const capacity = 1000;
    const index = new TraceIndex(capacity);
    // Every id shares the characters at 3, 7, … 31: under the cheap hash they all collide.
    const hostile = (n: number) => {
      const digits = n.toString(16).padStart(24, '0');
      let out = '';
      for (let i = 0, d = 0; i < 32; i++) out += i % 4 === 3 ? 'f' : digits[d++];
      return out;
    };
    expect(index.hash(hostile(1))).toBe(index.hash(hostile(2)));
    for (let n = 0; n < capacity; n++) file(index, n, hostile(n));
    expect(index.hashesFully).toBe(true);
    for (let n = 0; n < capacity; n++) expect(find(index, hostile(n))).toBe(n);
    // Under the full hash the same ids spread out: filing them again stays cheap and right.
    for (let n = capacity; n < 3 * capacity; n++) file(index, n % capacity, hostile(n));
    for (let n = 2 * capacity; n < 3 * capacity; n++) expect(find(index, hostile(n))).toBe(n % capacity);
    expect(find(index, hostile(0))).toBe(-1);
  });
});

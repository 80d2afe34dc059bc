import { describe, expect, it } from 'vitest';
import { TraceIndex } from '../src/trace-index.js';

const id = (n: number, fill = '0') => n.toString(16).padStart(32, fill);

describe('the trace index of the ring', () => {
  it('finds what it holds, forgets what it deleted, and answers -1 otherwise', () => {
    const index = new TraceIndex(4);
    index.set(id(1), index.hash(id(1)), 0);
    index.set(id(2), index.hash(id(2)), 1);
    expect(index.get(id(1), index.hash(id(1)))).toBe(0);
    expect(index.get(id(2), index.hash(id(2)))).toBe(1);
    expect(index.get(id(3), index.hash(id(3)))).toBe(-1);
    index.delete(id(1), index.hash(id(1)));
    expect(index.get(id(1), index.hash(id(1)))).toBe(-1);
    expect(index.get(id(2), index.hash(id(2)))).toBe(1);
    index.delete(id(9), index.hash(id(9))); // not held: nothing happens
    index.clear();
    expect(index.get(id(2), index.hash(id(2)))).toBe(-1);
  });

  it('stays right through eviction churn, as the ring uses it, against a Map', () => {
    const capacity = 100;
    const index = new TraceIndex(capacity);
    const model = new Map<string, number>();
    const order: string[] = [];
    // Ids that differ only in a few characters, as a caller choosing them might send.
    for (let n = 0; n < 20_000; n++) {
      const traceId = id(n * 7919, 'a');
      if (order.length === capacity) {
        const oldest = order.shift()!;
        index.delete(oldest, index.hash(oldest));
        model.delete(oldest);
      }
      const slot = n % capacity;
      index.set(traceId, index.hash(traceId), slot);
      model.set(traceId, slot);
      order.push(traceId);
      if (n % 97 === 0) for (const [t, s] of model) expect(index.get(t, index.hash(t))).toBe(s);
      expect(index.get(id(n * 7919 + 1, 'a'), index.hash(id(n * 7919 + 1, 'a')))).toBe(-1);
    }
    for (const [t, s] of model) expect(index.get(t, index.hash(t))).toBe(s);
  });

  it('stays right when ids leave in any order, the table full to its bound', () => {
    const capacity = 64;
    const index = new TraceIndex(capacity);
    const model = new Map<string, number>();
    let seed = 12345;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let step = 0; step < 20_000; step++) {
      if (model.size === capacity || (model.size > 0 && random(3) === 0)) {
        const held = [...model.keys()];
        const gone = held[random(held.length)]!;
        index.delete(gone, index.hash(gone));
        model.delete(gone);
        expect(index.get(gone, index.hash(gone))).toBe(-1);
      } else {
        const traceId = id(random(1 << 30), 'b');
        if (model.has(traceId)) continue;
        const slot = random(capacity);
        index.set(traceId, index.hash(traceId), slot);
        model.set(traceId, slot);
      }
      if (step % 101 === 0) for (const [t, s] of model) expect(index.get(t, index.hash(t))).toBe(s);
    }
  });
});

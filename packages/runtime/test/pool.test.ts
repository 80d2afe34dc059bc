import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  BufferSlabPool,
  InvalidArgumentError,
  ObjectPool,
  PoolExhaustedError,
  PoolReleaseError,
} from '../src/index.js';

describe('ObjectPool', () => {
  it('reuses released items after resetting them', () => {
    const pool = new ObjectPool({
      create: () => ({ items: [] as number[] }),
      reset: (o) => (o.items.length = 0),
    });
    const a = pool.acquire();
    a.items.push(1);
    pool.release(a);
    const b = pool.acquire();
    expect(b).toBe(a);
    expect(b.items).toEqual([]);
    pool.release(b);
  });

  it('enforces maxOutstanding and rejects double or foreign releases', () => {
    const pool = new ObjectPool({ create: () => ({}), maxOutstanding: 1, devChecks: true });
    const a = pool.acquire();
    expect(() => pool.acquire()).toThrow(PoolExhaustedError);
    pool.release(a);
    expect(() => pool.release(a)).toThrow(PoolReleaseError);
    expect(() => pool.release({})).toThrow(PoolReleaseError);
  });

  it('dev checks list acquisitions without a release, with the acquiring stack', () => {
    const pool = new ObjectPool({ create: () => ({}), devChecks: true, name: 'frames' });
    const kept = pool.acquire();
    pool.release(pool.acquire());
    const leaks = pool.outstanding();
    expect(leaks).toHaveLength(1);
    expect(leaks[0]).toMatchObject({ pool: 'frames', kind: 'outstanding' });
    expect(leaks[0]!.acquiredAt).toContain('pool.test.ts');
    pool.release(kept);
    expect(pool.outstanding()).toEqual([]);
  });
});

describe('BufferSlabPool', () => {
  it('carves fixed slabs from one block sized by memory_pool_size syntax', () => {
    const pool = new BufferSlabPool({ totalSize: '64KB', slabSize: '16KB', devChecks: false });
    expect(pool.slabCount).toBe(4);
    const slabs = [pool.acquire(), pool.acquire(), pool.acquire(), pool.acquire()];
    expect(slabs.every((b) => b.length === 16 * 1024 && b.buffer === slabs[0]!.buffer)).toBe(true);
    expect(pool.tryAcquire()).toBeUndefined();
    expect(() => pool.acquire()).toThrow(PoolExhaustedError);
    slabs[0]!.write('hello');
    pool.release(slabs[0]!);
    expect(() => pool.release(slabs[0]!)).toThrow(PoolReleaseError);
    expect(() => pool.release(Buffer.alloc(16 * 1024))).toThrow(PoolReleaseError);
    expect(() => pool.release(slabs[1]!.subarray(1))).toThrow(PoolReleaseError);
    expect(pool.acquire().toString('utf8', 0, 5)).toBe('hello');
  });

  it('validates sizes', () => {
    expect(() => new BufferSlabPool({ totalSize: '1KB', slabSize: '2KB' })).toThrow(InvalidArgumentError);
    expect(() => new BufferSlabPool({ totalSize: '12 parsecs' })).toThrow(InvalidArgumentError);
  });

  it('reports a slab garbage-collected without a release (dev mode)', () => {
    // Needs --expose-gc, so it runs in a child process against the built package.
    const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const script = `
      const { BufferSlabPool } = await import(${JSON.stringify(dist)});
      const reports = [];
      const pool = new BufferSlabPool({ totalSize: 4096, slabSize: 1024, devChecks: true, onLeak: (r) => reports.push(r) });
      (function leak() { pool.acquire(); })();
      for (let i = 0; i < 20 && reports.length === 0; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
      console.log(JSON.stringify(reports.map((r) => ({ kind: r.kind, where: r.acquiredAt.includes('leak') }))));
    `;
    const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual([{ kind: 'gc', where: true }]);
  });
});

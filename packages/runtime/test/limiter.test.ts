import { describe, expect, it } from 'vitest';
import {
  ConcurrencyLimiter,
  InvalidArgumentError,
  LimiterQueueFullError,
  limiterMiddleware,
  OperationAbortedError,
  TokenBucketLimiter,
} from '../src/index.js';

describe('ConcurrencyLimiter', () => {
  it('holds at most max permits and serves waiters FIFO', async () => {
    const limiter = new ConcurrencyLimiter({ max: 2, maxQueue: 2 });
    expect(limiter.tryAcquire()).toBe(true);
    await limiter.acquire();
    expect(limiter.tryAcquire()).toBe(false);
    const order: number[] = [];
    const w1 = limiter.acquire().then(() => order.push(1));
    const w2 = limiter.acquire().then(() => order.push(2));
    await expect(limiter.acquire()).rejects.toBeInstanceOf(LimiterQueueFullError);
    limiter.release();
    limiter.release();
    await Promise.all([w1, w2]);
    expect(order).toEqual([1, 2]);
    expect(limiter.active).toBe(2);
  });

  it('drops an aborted waiter from the queue', async () => {
    const limiter = new ConcurrencyLimiter({ max: 1, maxQueue: 1 });
    limiter.tryAcquire();
    const ac = new AbortController();
    const waiting = limiter.acquire(ac.signal);
    ac.abort();
    await expect(waiting).rejects.toBeInstanceOf(OperationAbortedError);
    // Its queue slot is free again and the permit is not handed to the aborted waiter.
    const next = limiter.acquire();
    limiter.release();
    await next;
    expect(limiter.active).toBe(1);
    expect(() => new ConcurrencyLimiter({ max: 0 })).toThrow(InvalidArgumentError);
  });
});

describe('TokenBucketLimiter', () => {
  it('allows a burst, then paces waiters at the refill rate', async () => {
    const limiter = new TokenBucketLimiter({ ratePerSecond: 100, burst: 3, maxQueue: 5 });
    expect([limiter.tryAcquire(), limiter.tryAcquire(), limiter.tryAcquire(), limiter.tryAcquire()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    const t0 = performance.now();
    await Promise.all([limiter.acquire(), limiter.acquire(), limiter.acquire()]);
    // Three tokens at 100/s take about 30 ms.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
  });

  it('rejects past its queue bound', async () => {
    const limiter = new TokenBucketLimiter({ ratePerSecond: 1, burst: 1, maxQueue: 1 });
    limiter.tryAcquire();
    const ac = new AbortController();
    const waiting = limiter.acquire(ac.signal);
    await expect(limiter.acquire()).rejects.toBeInstanceOf(LimiterQueueFullError);
    ac.abort();
    await expect(waiting).rejects.toBeInstanceOf(OperationAbortedError);
  });
});

describe('limiterMiddleware', () => {
  it('limits concurrent requests through an onion chain and sheds the overflow', async () => {
    const limiter = new ConcurrencyLimiter({ max: 1, maxQueue: 1 });
    const mw = limiterMiddleware<{ status: number }>(limiter, {
      onRejected: (ctx) => {
        ctx.status = 503;
      },
    });
    let inside = 0;
    let maxInside = 0;
    const handler = async () => {
      inside++;
      maxInside = Math.max(maxInside, inside);
      await new Promise((r) => setTimeout(r, 10));
      inside--;
    };
    const ctxs = [{ status: 200 }, { status: 200 }, { status: 200 }];
    await Promise.all(ctxs.map((ctx) => mw(ctx, handler)));
    expect(maxInside).toBe(1);
    expect(ctxs.map((c) => c.status)).toEqual([200, 200, 503]);
    expect(limiter.active).toBe(0);
  });

  it('releases the permit when the next middleware throws', async () => {
    const limiter = new ConcurrencyLimiter({ max: 1 });
    const mw = limiterMiddleware(limiter);
    await expect(
      mw({}, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(limiter.active).toBe(0);
  });
});

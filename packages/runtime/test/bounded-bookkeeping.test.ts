import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActorSystem as SystemWithInternals } from '../src/actor/actor-system.js';
import {
  type ActorSystem,
  AskTimeoutError,
  createActorSystem,
  defineActor,
  ObjectPool,
  PoolReleaseError,
  PriorityScheduler,
} from '../src/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let system: ActorSystem | undefined;
afterEach(async () => {
  await system?.shutdown();
  system = undefined;
});

describe('bookkeeping stays bounded', () => {
  it('one unanswered ask does not keep every later ask of the same timeout in memory', async () => {
    system = await createActorSystem({ shutdownTimeoutMs: 100 });
    const silent = system.spawn(
      defineActor<{ type: 'hang' } | { type: 'echo' }>()({
        start: () => null,
        receive: (_s, msg) => (msg.type === 'hang' ? new Promise(() => {}) : 1),
      }),
    );
    const other = system.spawn(defineActor<{ type: 'echo' }>()({ start: () => null, receive: () => 1 }));
    silent.ask({ type: 'hang' }, { timeoutMs: 60_000 }).catch(() => {});
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 200_000; i++) {
      await other.ask({ type: 'echo' }, { timeoutMs: 60_000 });
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    const deadlines = (system as unknown as SystemWithInternals).deadlines;
    expect(deadlines.queuedCount).toBeLessThan(4096);
    expect(grown).toBeLessThan(20 * 1024 * 1024);
  }, 60_000);

  it('an aborted scheduler task gives its queue slot back at once', async () => {
    const scheduler = new PriorityScheduler({ concurrency: 1, maxQueue: 2 });
    let release!: () => void;
    const blocker = scheduler.schedule(() => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setImmediate(r));
    const controllers = [new AbortController(), new AbortController()];
    const aborted = controllers.map((c) =>
      scheduler.schedule(() => 'never', { signal: c.signal }).catch((e: unknown) => e),
    );
    for (const c of controllers) c.abort();
    const abortedError = expect.objectContaining({ code: 'ZEPHYR_ERR_ABORTED' });
    expect(await Promise.all(aborted)).toEqual([abortedError, abortedError]);
    expect(scheduler.size).toBe(0);
    // Both slots are free again: two more tasks queue without LimiterQueueFullError.
    const later = [scheduler.schedule(() => 'a'), scheduler.schedule(() => 'b')];
    release();
    await blocker;
    expect(await Promise.all(later)).toEqual(['a', 'b']);
  });

  it('ObjectPool refuses a double release even with dev checks off, so no item goes to two callers', () => {
    const pool = new ObjectPool({ create: () => ({ n: 0 }), devChecks: false });
    const item = pool.acquire();
    pool.release(item);
    expect(() => pool.release(item)).toThrow(PoolReleaseError);
    const a = pool.acquire();
    const b = pool.acquire();
    expect(a).not.toBe(b);
    pool.release(a);
    pool.release(b);
    expect(() => pool.release({ n: 1 })).toThrow(PoolReleaseError);
  });

  it('an ask timing out over a thread link rejects with AskTimeoutError', async () => {
    system = await createActorSystem({
      config: { actor_threads: 1 },
      modules: [new URL('./fixtures/thread-actors.js', import.meta.url)],
    });
    const { hog } = await import('./fixtures/thread-actors.js');
    const h = system.spawn(hog, { placement: 'thread' });
    await expect(h.ask({ type: 'sleep', ms: 1000 }, { timeoutMs: 50 })).rejects.toBeInstanceOf(
      AskTimeoutError,
    );
  });
});

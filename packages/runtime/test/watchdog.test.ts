import { afterEach, describe, expect, it } from 'vitest';
import {
  type ActorSystem,
  createActorSystem,
  type DeathNotice,
  HandlerDeadlineError,
  RestartIntensityError,
} from '../src/index.js';
import { until } from './cluster-helpers.js';
import { type CounterMsg, type CounterReplies, counter, hog, spinner } from './fixtures/thread-actors.js';

const modules = [new URL('./fixtures/thread-actors.js', import.meta.url)];

let system: ActorSystem | undefined;
afterEach(async () => {
  await system?.shutdown();
  system = undefined;
});

describe('worker-thread watchdog and shutdown deadline', () => {
  it('terminates a worker whose handler overruns its deadline and restarts the actor, reported to its supervisor', async () => {
    system = await createActorSystem({ config: { actor_threads: 1 }, modules, shutdownTimeoutMs: 500 });
    const sup = system.supervise({ children: [{ id: 's', actor: spinner, placement: 'thread' }] });
    const s = sup.actor<{ type: 'spin' } | { type: 'ping' }, { ping: 'pong' }>('s')!;
    expect(await s.ask({ type: 'ping' })).toBe('pong');
    s.tell({ type: 'spin' });
    await until('restarted', () => (sup.children()[0]!.restarts === 1 ? true : undefined), 10_000);
    expect(await until('answers again', () => s.ask({ type: 'ping' }, { timeoutMs: 1000 }))).toBe('pong');
  });

  it('gives the supervisor HandlerDeadlineError as the reason', async () => {
    system = await createActorSystem({ config: { actor_threads: 1 }, modules, onFatal: () => {} });
    const sup = system.supervise(
      {
        intensity: { maxRestarts: 0, withinMs: 1000 },
        children: [{ id: 's', actor: spinner, placement: 'thread' }],
      },
      { restart: 'temporary' },
    );
    const gaveUp = new Promise<DeathNotice>((resolve) => sup.watch(resolve));
    sup.actor<{ type: 'spin' }>('s')!.tell({ type: 'spin' });
    const notice = await gaveUp;
    const error = (notice.reason as { error: RestartIntensityError }).error;
    expect(error).toBeInstanceOf(RestartIntensityError);
    expect(error.cause).toBeInstanceOf(HandlerDeadlineError);
  });

  it('finishes shutdown() within its deadline when a handler never yields', async () => {
    system = await createActorSystem({ config: { actor_threads: 1 }, modules, shutdownTimeoutMs: 300 });
    const h = system.spawn(hog, { placement: 'thread' });
    expect(await h.ask({ type: 'ping' })).toBe('pong');
    h.tell({ type: 'spin' });
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await system.shutdown();
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('keeps the other actors of a thread running after a stray rejection', async () => {
    system = await createActorSystem({ config: { actor_threads: 1 }, modules, onHookError: () => {} });
    const h = system.spawn(hog, { placement: 'thread' });
    const c = system.spawn(counter, { placement: 'thread' }) as unknown as import('../src/index.js').ActorRef<
      CounterMsg,
      CounterReplies
    >;
    await c.ask({ type: 'add', by: 3 });
    const where = await c.ask({ type: 'where' });
    expect(await h.ask({ type: 'stray' })).toBe('ok');
    await new Promise((r) => setTimeout(r, 100));
    expect(await c.ask({ type: 'get' })).toBe(3);
    expect((await c.ask({ type: 'where' })).threadId).toBe(where.threadId);
  });
});

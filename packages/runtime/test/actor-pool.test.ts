import { afterEach, describe, expect, it } from 'vitest';
import {
  ActorFailedError,
  type ActorSystem,
  createActorPool,
  createActorSystem,
  InvalidArgumentError,
  MailboxFullError,
  PlacementUnavailableError,
  WorkerExitedError,
} from '../src/index.js';
import { until } from './cluster-helpers.js';
import { poolWorker } from './fixtures/pool-actors.js';

const modules = [new URL('./fixtures/pool-actors.js', import.meta.url)];

let system: ActorSystem | undefined;
afterEach(async () => {
  await system?.shutdown();
  system = undefined;
});

describe('createActorPool', () => {
  it('sizes itself from actor_threads and puts one actor on each thread', async () => {
    system = await createActorSystem({ config: { actor_threads: 2 }, modules });
    const pool = createActorPool(system, poolWorker);
    expect(pool.size).toBe(2);
    const [a, b] = await Promise.all([pool.ask({ type: 'where' }), pool.ask({ type: 'where' })]);
    expect(a.threadId).not.toBe(b.threadId);
    expect(pool.stats().pending).toEqual([0, 0]);
  });

  it('routes to the least-loaded actor: a busy one gets nothing until the others catch up', async () => {
    system = await createActorSystem({ config: { actor_threads: 2 }, modules });
    const pool = createActorPool(system, poolWorker);
    const busy = pool.ask({ type: 'burn', ms: 400 });
    expect(pool.stats().pending.toSorted()).toEqual([0, 1]);
    const quick: number[] = [];
    for (let i = 0; i < 3; i++) quick.push(await pool.ask({ type: 'burn', ms: 0 }));
    const slow = await busy;
    expect(quick.every((thread) => thread !== slow)).toBe(true);
  });

  it('sends each reply as its handler finishes, not when the actor has worked through its queue', async () => {
    system = await createActorSystem({ config: { actor_threads: 1 }, modules });
    const pool = createActorPool(system, poolWorker);
    await pool.ask({ type: 'where' });
    const sent = performance.now();
    const arrivals = await Promise.all(
      [0, 1, 2, 3].map(() => pool.ask({ type: 'burn', ms: 40 }).then(() => performance.now() - sent)),
    );
    // Four 40 ms handlers in a row on one thread: held to the end of the turn, the replies would
    // all land together; sent as made, they land about 40 ms apart.
    expect(arrivals[3]! - arrivals[0]!).toBeGreaterThanOrEqual(100);
  });

  it('rejects with MailboxFullError (503, retry 1) when every actor has maxPendingPerActor messages', async () => {
    system = await createActorSystem({ config: { actor_threads: 1 }, modules });
    const pool = createActorPool(system, poolWorker, { maxPendingPerActor: 2 });
    const accepted = [pool.ask({ type: 'burn', ms: 200 }), pool.ask({ type: 'burn', ms: 0 })];
    const refused = await pool.ask({ type: 'where' }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(MailboxFullError);
    expect(refused).toMatchObject({ status: 503, retryAfter: 1, code: 'ZEPHYR_ERR_MAILBOX_FULL' });
    await Promise.all(accepted);
    expect(pool.stats()).toMatchObject({ pending: [0], rejected: 1 });
    await expect(pool.ask({ type: 'where' })).resolves.toMatchObject({ threadId: expect.any(Number) });
  });

  it('fails only the ask that made an actor throw, and its supervisor restarts it', async () => {
    system = await createActorSystem({ config: { actor_threads: 1 }, modules });
    const pool = createActorPool(system, poolWorker, { size: 1 });
    await pool.ask({ type: 'where' });
    const failed = await pool.ask({ type: 'crash' }).catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(ActorFailedError);
    expect(failed).toMatchObject({ status: 500 });
    await until('restarted', () => (pool.stats().restarts[0] === 1 ? true : undefined));
    // State rebuilt by start(): the restarted actor has handled only this message.
    expect(await pool.ask({ type: 'where' })).toMatchObject({ handled: 1 });
  });

  it('past its intensity the pool supervisor escalates; restarted by the root, the pool serves again', async () => {
    system = await createActorSystem({ config: { actor_threads: 1 }, modules, onFatal: () => {} });
    const pool = createActorPool(system, poolWorker, {
      size: 1,
      intensity: { maxRestarts: 1, withinMs: 60_000 },
    });
    for (let i = 0; i < 2; i++)
      await expect(pool.ask({ type: 'crash' })).rejects.toBeInstanceOf(ActorFailedError);
    // The second crash is over the intensity: the pool's supervisor gives up and the root restarts it.
    const answer = await until('answers after the escalation', () =>
      pool.ask({ type: 'where' }, { timeoutMs: 2000 }).catch(() => undefined),
    );
    expect(answer).toMatchObject({ handled: 1 });
    expect(system.rootSupervisor.children().find((c) => c.id === 'pool:pool-worker')?.restarts).toBe(1);
  });

  it('a handler past handlerDeadlineMs gets its thread replaced and the actor restarted', async () => {
    system = await createActorSystem({ config: { actor_threads: 1 }, modules, shutdownTimeoutMs: 500 });
    const pool = createActorPool(system, poolWorker, { size: 1 });
    const spun = await pool.ask({ type: 'spin' }, { timeoutMs: 20_000 }).catch((err: unknown) => err);
    // The asker learns its thread died; the supervisor is told why (HandlerDeadlineError).
    expect(spun).toBeInstanceOf(WorkerExitedError);
    await until('restarted', () => (pool.stats().restarts[0] === 1 ? true : undefined), 10_000);
    expect(
      await until('answers again', () => pool.ask({ type: 'where' }, { timeoutMs: 2000 }), 10_000),
    ).toMatchObject({ handled: 1 });
  });

  it('times each handler against handlerDeadlineMs, not a queue of them handled back to back', async () => {
    system = await createActorSystem({ config: { actor_threads: 1 }, modules });
    const pool = createActorPool(system, poolWorker, { size: 1 });
    await pool.ask({ type: 'where' });
    // Five 400 ms handlers queued at once: 2 s in a row, each well within the 1500 ms deadline.
    const burns = [0, 1, 2, 3, 4].map(() => pool.ask({ type: 'burn', ms: 400 }, { timeoutMs: 10_000 }));
    await expect(Promise.all(burns)).resolves.toHaveLength(5);
    expect(await pool.ask({ type: 'where' })).toMatchObject({ handled: 7 });
    expect(pool.stats().restarts).toEqual([0]);
  });

  it('refuses bad options and a thread-placed definition without a kind', async () => {
    system = await createActorSystem({ config: { actor_threads: 1 }, modules });
    const noKind = { start: () => null, receive: () => 1 };
    expect(() => createActorPool(system!, noKind)).toThrow(InvalidArgumentError);
    expect(() => createActorPool(system!, poolWorker, { size: 0 })).toThrow(/size must be an integer ≥ 1/);
    expect(() => createActorPool(system!, poolWorker, { maxPendingPerActor: 1.5 })).toThrow(
      InvalidArgumentError,
    );
    createActorPool(system!, poolWorker, { size: 1 });
    expect(() => createActorPool(system!, poolWorker, { size: 1 })).toThrow(
      /already has a child "pool:pool-worker"/,
    );
    expect(createActorPool(system!, poolWorker, { size: 1, id: 'second' }).size).toBe(1);
    // @ts-expect-error: not a definition
    expect(() => createActorPool(system!, null)).toThrow(InvalidArgumentError);
  });

  it('refuses a thread pool in a system without actor threads, at once', async () => {
    system = await createActorSystem({ modules });
    expect(() => createActorPool(system!, poolWorker)).toThrow(PlacementUnavailableError);
    expect(() => createActorPool(system!, poolWorker)).toThrow(/runtime\.actor_threads/);
  });

  it('rejects asks after close with ActorStoppedError', async () => {
    system = await createActorSystem({ config: { actor_threads: 1 }, modules });
    const pool = createActorPool(system, poolWorker, { size: 1 });
    await pool.ask({ type: 'where' });
    await pool.close();
    await expect(pool.ask({ type: 'where' })).rejects.toMatchObject({ code: 'ZEPHYR_ERR_ACTOR_STOPPED' });
  });
});

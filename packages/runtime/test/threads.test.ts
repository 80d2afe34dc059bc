import { threadId as mainThreadId } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ActorFailedError,
  type ActorSystem,
  createActorSystem,
  defineActor,
  WorkerExitedError,
} from '../src/index.js';
import {
  burner,
  type CounterMsg,
  type CounterReplies,
  counter,
  quietBurner,
  sequence,
} from './fixtures/thread-actors.js';

const modules = [new URL('./fixtures/thread-actors.js', import.meta.url)];

let system: ActorSystem | undefined;
afterEach(async () => {
  await system?.shutdown();
  system = undefined;
});

describe('actors on worker threads', () => {
  it('places kinds on workers behind location-transparent refs', async () => {
    system = await createActorSystem({ config: { actor_threads: 2 }, modules });
    const a = system.spawn(counter, { name: 'a' });
    const b = system.spawn(counter);
    // The same behaviour without a kind stays on the main thread.
    const { kind: _kind, ...mainThreadCounter } = counter;
    const local = system.spawn(mainThreadCounter, { name: 'local' });
    a.tell({ type: 'add', by: 2 });
    await expect(a.ask({ type: 'add', by: 3 })).resolves.toBe(5);
    const whereA = await a.ask({ type: 'where' });
    const whereB = await b.ask({ type: 'where' });
    expect(whereA.threadId).not.toBe(mainThreadId);
    expect(whereB.threadId).not.toBe(whereA.threadId);
    expect((await local.ask({ type: 'where' })).threadId).toBe(mainThreadId);
    // Refs travel inside messages: thread -> thread (through the main thread) and thread -> main.
    a.tell({ type: 'forward', to: b, by: 7 });
    a.tell({ type: 'forward', to: local, by: 1 });
    await expect(a.ask({ type: 'askOther', to: b })).resolves.toBe(7);
    await expect(a.ask({ type: 'askOther', to: local })).resolves.toBe(1);
    expect(system.lookup('a')).toBe(a);
  });

  it('keeps per-sender order across threads under load', async () => {
    system = await createActorSystem({ config: { actor_threads: 1 }, modules });
    const seq = system.spawn(sequence);
    const perSender = 5000;
    for (let seqNo = 0; seqNo < perSender; seqNo++) {
      for (let sender = 0; sender < 4; sender++) seq.tell({ type: 'seq', sender, seq: seqNo });
      if (seqNo % 1000 === 0) await new Promise((r) => setImmediate(r));
    }
    const seen = await seq.ask({ type: 'seen' }, { timeoutMs: 20_000 });
    expect(seen).toHaveLength(4 * perSender);
    const next = [0, 0, 0, 0];
    for (const [sender, n] of seen) {
      expect(n).toBe(next[sender]);
      next[sender] = n + 1;
    }
  });

  it('handles asks as they arrive, yet runs timers between them on a saturated thread', async () => {
    system = await createActorSystem({ config: { actor_threads: 1 }, modules });
    const ref = system.spawn(burner);
    await ref.ask({ type: 'burn', ms: 0 });
    // 48 asks of 10 ms, each in its own frame: they wait in the thread's port while it burns. Its
    // event loop must still turn (its 5 ms interval timer ticks) every few of them, not after all.
    const asks: Array<Promise<number>> = [];
    for (let i = 0; i < 48; i++) {
      asks.push(ref.ask({ type: 'burn', ms: 10 }, { timeoutMs: 30_000 }));
      await new Promise((r) => setImmediate(r));
    }
    const ticks = await Promise.all(asks);
    expect(ticks).toEqual([...ticks].sort((a, b) => a - b));
    // 480 ms of burning with a yield at least every 8 asks: the count rises several times.
    expect(new Set(ticks).size).toBeGreaterThanOrEqual(4);
  });

  it('keeps a saturated thread alive while its port is paused, with no timer of its own', async () => {
    system = await createActorSystem({ config: { actor_threads: 1 }, modules });
    const ref = system.spawn(quietBurner);
    // All at once, the thread's first asks: they wait in its port, and after a few it pauses the
    // port until its event loop has turned. Nothing else holds that loop open (the first pause is
    // the one that once let the thread end), so the pause itself must.
    const asks: Array<Promise<number>> = [];
    for (let i = 0; i < 200; i++) asks.push(ref.ask({ type: 'burn', ms: 1 }, { timeoutMs: 30_000 }));
    const threads = await Promise.all(asks);
    expect(new Set(threads).size).toBe(1);
  });

  it('carries errors with their class and code across threads', async () => {
    system = await createActorSystem({ config: { actor_threads: 1 }, modules });
    const a = system.spawn(counter);
    const err = await a.ask({ type: 'crash' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActorFailedError);
    expect((err as ActorFailedError).code).toBe('ZEPHYR_ERR_ACTOR_FAILED');
    expect((err as Error).cause).toMatchObject({ message: 'counter crashed' });
    // Restarted in its worker by the main thread's supervisor, with its state rebuilt.
    await expect(a.ask({ type: 'get' })).resolves.toBe(0);
  });

  it('restarts the actors of a worker thread that dies, on a live worker, per their supervisor', async () => {
    system = await createActorSystem({ config: { actor_threads: 2 }, modules });
    const sup = system.supervise({
      strategy: 'one_for_one',
      intensity: { maxRestarts: 5, withinMs: 10_000 },
      children: [{ id: 'keep', actor: counter, restart: 'permanent' }],
    });
    const keep = sup.actor<CounterMsg, CounterReplies>('keep')!;
    await keep.ask({ type: 'add', by: 41 });
    const before = await keep.ask({ type: 'where' });
    const pending = keep.ask({ type: 'get' }, { timeoutMs: 5_000 });
    const died = keep.ask({ type: 'die' }).catch((e: unknown) => e);
    const exitError = await died;
    expect(exitError).toBeInstanceOf(WorkerExitedError);
    // It names the thread that died, not the -1 a Worker reports after exit.
    expect((exitError as Error).message).toContain(`worker thread ${before.threadId} exited`);
    await pending.catch(() => {});
    // The supervisor restarted `keep` on a worker that is alive (a new one replaces the dead one).
    const after = await keep.ask({ type: 'where' });
    expect(after.threadId).not.toBe(before.threadId);
    await expect(keep.ask({ type: 'get' })).resolves.toBe(0);
    expect(sup.children().map((c) => [c.id, c.restarts])).toContainEqual(['keep', 1]);
  });

  it('fails to place an actor whose kind no worker module defines', async () => {
    system = await createActorSystem({
      config: { actor_threads: 1 },
      modules,
      root: { intensity: { maxRestarts: 0, withinMs: 1000 } },
      onFatal: () => {},
    });
    const ghost = defineActor<{ type: 'x' }>()({
      kind: 'ghost',
      start: () => null,
      receive: () => undefined,
    });
    const letters: unknown[] = [];
    system.onDeadLetter((l) => letters.push(l.message));
    const ref = system.spawn(ghost, { restart: 'temporary' });
    // Sent before the failure is known: reaches the worker, which has no such actor.
    ref.tell({ type: 'x' });
    const notice = await system.terminated(ref);
    expect(notice.reason).toMatchObject({ type: 'error', error: { code: 'ZEPHYR_ERR_UNKNOWN_ACTOR_KIND' } });
    await new Promise((r) => setTimeout(r, 20));
    expect(letters).toEqual([{ type: 'x' }]);
  });
});

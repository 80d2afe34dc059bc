import { getPriority } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { type ActorSystem, createActorPool, createActorSystem, InvalidArgumentError } from '../src/index.js';
import { poolWorker, threadNice } from './fixtures/pool-actors.js';

const modules = [new URL('./fixtures/pool-actors.js', import.meta.url)];

let system: ActorSystem | undefined;
afterEach(async () => {
  await system?.shutdown();
  system = undefined;
});

describe('actor thread options', () => {
  it('leaves the young generation to V8 by default: it grows past 6 MB when many objects live', async () => {
    system = await createActorSystem({ config: { actor_threads: 1 }, modules });
    const heap = await createActorPool(system, poolWorker).ask({ type: 'heap' });
    expect(heap.kept).toBe(1_000_000);
    expect(heap.limitMb).toBeGreaterThan(6);
    expect(heap.newSpaceMb).toBeGreaterThan(4);
  });

  it('caps it at maxYoungGenerationSizeMb: the same allocation stays within the cap', async () => {
    system = await createActorSystem({
      config: { actor_threads: 1 },
      modules,
      threads: { maxYoungGenerationSizeMb: 6 },
    });
    const heap = await createActorPool(system, poolWorker).ask({ type: 'heap' });
    expect(heap.limitMb).toBe(6);
    expect(heap.kept).toBe(1_000_000);
    // V8 splits the young generation into two semi-spaces and a large-object space of one semi-space
    // each; the new space is the two semi-spaces.
    expect(heap.newSpaceMb).toBeLessThanOrEqual(4);
  });

  it('runs each actor thread niceIncrement steps below the process, and leaves the process as it was', async () => {
    const processNice = getPriority();
    system = await createActorSystem({
      config: { actor_threads: 2 },
      modules,
      threads: { niceIncrement: 5 },
    });
    const pool = createActorPool(system, poolWorker, { size: 2 });
    const nices = await Promise.all([0, 1, 2, 3].map(() => pool.ask({ type: 'nice' })));
    expect(nices).toEqual([0, 1, 2, 3].map(() => Math.min(19, processNice + 5)));
    expect(getPriority()).toBe(processNice);
    // The main thread's own entry in /proc says the same: only the actor threads moved.
    expect(threadNice()).toBe(processNice);
  });

  it('keeps the process priority in actor threads by default', async () => {
    system = await createActorSystem({ config: { actor_threads: 1 }, modules });
    expect(await createActorPool(system, poolWorker).ask({ type: 'nice' })).toBe(getPriority());
  });

  it('refuses a bad cap or an unknown option before starting any thread', async () => {
    for (const threads of [
      { niceIncrement: -1 },
      { niceIncrement: 20 },
      { niceIncrement: 1.5 },
      { niceIncrement: '5' },
      { maxYoungGenerationSizeMb: 2 },
      { maxYoungGenerationSizeMb: 1025 },
      { maxYoungGenerationSizeMb: 6.5 },
      { maxYoungGenerationSizeMb: '6' },
      { maxYoungGenerationSizeMb: Number.NaN },
      { youngGeneration: 6 },
      null,
      6,
    ]) {
      await expect(
        createActorSystem({ config: { actor_threads: 1 }, modules, threads: threads as never }),
      ).rejects.toThrow(InvalidArgumentError);
    }
  });
});

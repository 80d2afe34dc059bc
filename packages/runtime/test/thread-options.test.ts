import { afterEach, describe, expect, it } from 'vitest';
import {
  type ActorSystem,
  createActorPool,
  createActorSystem,
  DEFAULT_MAX_YOUNG_GENERATION_MB,
  InvalidArgumentError,
} from '../src/index.js';
import { poolWorker } from './fixtures/pool-actors.js';

const modules = [new URL('./fixtures/pool-actors.js', import.meta.url)];

let system: ActorSystem | undefined;
afterEach(async () => {
  await system?.shutdown();
  system = undefined;
});

describe('actor thread options', () => {
  it('caps each actor thread young generation by default: it cannot grow past the cap', async () => {
    system = await createActorSystem({ config: { actor_threads: 1 }, modules });
    const heap = await createActorPool(system, poolWorker).ask({ type: 'heap' });
    expect(heap.limitMb).toBe(DEFAULT_MAX_YOUNG_GENERATION_MB);
    expect(heap.kept).toBe(1_000_000);
    // V8 splits the young generation into two semi-spaces and a large-object space of one semi-space each.
    expect(heap.newSpaceMb).toBeLessThanOrEqual((DEFAULT_MAX_YOUNG_GENERATION_MB * 2) / 3);
  });

  it('takes another cap, which the thread then grows its young generation up to', async () => {
    system = await createActorSystem({
      config: { actor_threads: 1 },
      modules,
      threads: { maxYoungGenerationSizeMb: 48 },
    });
    const heap = await createActorPool(system, poolWorker).ask({ type: 'heap' });
    expect(heap.limitMb).toBe(48);
    // Without the default cap the same allocation grows it well past it.
    expect(heap.newSpaceMb).toBeGreaterThan(DEFAULT_MAX_YOUNG_GENERATION_MB);
    expect(heap.newSpaceMb).toBeLessThanOrEqual(32);
  });

  it('refuses a bad cap or an unknown option before starting any thread', async () => {
    for (const threads of [
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

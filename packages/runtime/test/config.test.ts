import { describe, expect, it } from 'vitest';
import { createActorSystem, runtimeConfigSchema } from '../src/index.js';

describe('runtimeConfigSchema', () => {
  it('applies defaults', () => {
    expect(runtimeConfigSchema.parse({})).toEqual({
      memory_pool_size: 64 * 1024 * 1024,
      actor_threads: 0,
      supervisor_mode: 'local',
      nats_url: 'nats://127.0.0.1:4222',
    });
  });

  it('parses sizes, thread counts and distributed mode', () => {
    expect(
      runtimeConfigSchema.parse({
        memory_pool_size: '16MB',
        actor_threads: 'auto',
        supervisor_mode: 'distributed',
        nats_url: 'nats://127.0.0.1:4222',
      }),
    ).toEqual({
      memory_pool_size: 16 * 1024 * 1024,
      actor_threads: 'auto',
      supervisor_mode: 'distributed',
      nats_url: 'nats://127.0.0.1:4222',
    });
    expect(runtimeConfigSchema.parse({ memory_pool_size: 4096 }).memory_pool_size).toBe(4096);
  });

  it('rejects bad input with the path of the offending key', () => {
    const bad = [
      { memory_pool_size: '64 furlongs' },
      { memory_pool_size: -1 },
      { actor_threads: -1 },
      { actor_threads: 1.5 },
      { supervisor_mode: 'global' },
      { nats_url: 'not a url' },
      { actorThreads: 2 },
    ];
    for (const input of bad) {
      const result = runtimeConfigSchema.safeParse(input);
      expect(result.success, JSON.stringify(input)).toBe(false);
    }
    // The seed's `supervisor_mode: distributed` alone is valid: NATS's default address applies.
    expect(runtimeConfigSchema.parse({ supervisor_mode: 'distributed' }).nats_url).toBe(
      'nats://127.0.0.1:4222',
    );
    expect(runtimeConfigSchema.safeParse({ nats_url: 'http://example.com' }).success).toBe(false);
  });

  it('is what createActorSystem validates', async () => {
    await expect(createActorSystem({ config: { actor_threads: -2 } })).rejects.toThrow(/actor_threads/);
  });
});

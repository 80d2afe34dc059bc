import { describe, expect, it } from 'vitest';
import { createActorSystem, InvalidArgumentError, parseSize, runtimeConfigSchema } from '../src/index.js';

describe('runtimeConfigSchema', () => {
  it('applies defaults', () => {
    expect(runtimeConfigSchema.parse({})).toEqual({
      memory_pool_size: 64 * 1024 * 1024,
      actor_threads: 0,
      supervisor_mode: 'local',
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
      { supervisor_mode: 'distributed' },
      { actorThreads: 2 },
    ];
    for (const input of bad) {
      const result = runtimeConfigSchema.safeParse(input);
      expect(result.success, JSON.stringify(input)).toBe(false);
    }
    const missingUrl = runtimeConfigSchema.safeParse({ supervisor_mode: 'distributed' });
    expect(missingUrl.error?.issues[0]?.path).toEqual(['nats_url']);
  });

  it('is what createActorSystem validates', async () => {
    await expect(createActorSystem({ config: { actor_threads: -2 } })).rejects.toThrow(/actor_threads/);
  });
});

describe('parseSize', () => {
  it('reads byte counts and binary units', () => {
    expect(parseSize(10)).toBe(10);
    expect(parseSize('64MB')).toBe(64 * 1024 ** 2);
    expect(parseSize('512 kb')).toBe(512 * 1024);
    expect(parseSize('1.5GiB')).toBe(1.5 * 1024 ** 3);
    expect(parseSize('100')).toBe(100);
    expect(() => parseSize('MB')).toThrow(InvalidArgumentError);
    expect(() => parseSize(1.5)).toThrow(InvalidArgumentError);
  });
});

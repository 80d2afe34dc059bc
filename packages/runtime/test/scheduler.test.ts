import { describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  LimiterQueueFullError,
  OperationAbortedError,
  PriorityScheduler,
  ResourceMonitor,
} from '../src/index.js';

describe('PriorityScheduler', () => {
  it('runs higher priorities first without starving lower ones', async () => {
    const scheduler = new PriorityScheduler();
    const ran: string[] = [];
    const tasks: Promise<unknown>[] = [];
    for (let i = 0; i < 12; i++) tasks.push(scheduler.schedule(() => ran.push('high'), { priority: 'high' }));
    tasks.push(scheduler.schedule(() => ran.push('low'), { priority: 'low' }));
    tasks.push(scheduler.schedule(() => ran.push('critical'), { priority: 'critical' }));
    await Promise.all(tasks);
    expect(ran[0]).toBe('critical');
    // Weighted rounds: the low task runs in the first round, long before the high flood ends.
    expect(ran.indexOf('low')).toBeLessThan(8);
  });

  it('yields to the event loop so I/O and timers run while work is queued', async () => {
    const scheduler = new PriorityScheduler({ sliceMs: 2 });
    let timerFiredAfter = -1;
    let done = 0;
    setTimeout(() => {
      timerFiredAfter = done;
    }, 1);
    const busy = () => {
      const end = performance.now() + 1;
      while (performance.now() < end) {
        // Spin: a CPU-bound task of ~1 ms.
      }
      done++;
    };
    await Promise.all(Array.from({ length: 60 }, () => scheduler.schedule(busy, { priority: 'critical' })));
    expect(timerFiredAfter).toBeGreaterThanOrEqual(0);
    expect(timerFiredAfter).toBeLessThan(60);
  });

  it('bounds concurrency of async tasks, bounds its queue and honours abort', async () => {
    const scheduler = new PriorityScheduler({ concurrency: 2, maxQueue: 3 });
    let running = 0;
    let peak = 0;
    const task = async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
    };
    const ac = new AbortController();
    const a = scheduler.schedule(task);
    const b = scheduler.schedule(task);
    const c = scheduler.schedule(task, { signal: ac.signal });
    await expect(scheduler.schedule(task)).rejects.toBeInstanceOf(LimiterQueueFullError);
    ac.abort();
    await expect(c).rejects.toBeInstanceOf(OperationAbortedError);
    await Promise.all([a, b]);
    expect(peak).toBe(2);
    await expect(scheduler.schedule(() => 1, { priority: 'urgent' as 'high' })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });

  it('propagates task errors to the caller', async () => {
    const scheduler = new PriorityScheduler();
    await expect(
      scheduler.schedule(() => {
        throw new Error('task failed');
      }),
    ).rejects.toThrow('task failed');
    await expect(scheduler.schedule(async () => 42)).resolves.toBe(42);
  });
});

describe('ResourceMonitor', () => {
  it('samples event-loop delay, heap, RSS and handles and reports thresholds crossed', async () => {
    const monitor = new ResourceMonitor({
      intervalMs: 20,
      thresholds: { eventLoopDelayMs: 15, heapUsedBytes: 1 },
    });
    const pressure: string[][] = [];
    monitor.onPressure((_s, exceeded) => pressure.push(exceeded));
    monitor.start();
    const end = performance.now() + 60;
    while (performance.now() < end) {
      // Block the loop for 60 ms.
    }
    await new Promise((r) => setTimeout(r, 50));
    monitor.stop();
    const sample = monitor.sample();
    expect(sample.heapUsedBytes).toBeGreaterThan(0);
    expect(sample.rssBytes).toBeGreaterThan(0);
    expect(sample.handles).toBeGreaterThanOrEqual(0);
    expect(monitor.overloaded).toBe(true);
    expect(pressure.some((e) => e.includes('eventLoopDelayMs'))).toBe(true);
    expect(() => new ResourceMonitor({ thresholds: { rssBytes: -1 } })).toThrow(InvalidArgumentError);
  });
});

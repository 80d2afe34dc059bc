import { describe, expect, it } from 'vitest';
import { Dispatcher, type Runnable } from '../src/actor/dispatcher.js';

const idle: Runnable = { run: () => false };

/** Spins until the clock has moved, so a slice of 0 ms is used up for sure. */
function tick(): void {
  const t = performance.now();
  while (performance.now() === t) {}
}

describe('dispatcher: handling at once', () => {
  it('lets one handler run at once only when nothing else runs or waits to run', async () => {
    const d = new Dispatcher();
    expect(d.enterNow(idle)).toBe(true);
    // From inside a handler: queue.
    expect(d.enterNow(idle)).toBe(false);
    d.exitNow();
    d.schedule(idle);
    // A drain is pending: what comes now goes behind it.
    expect(d.enterNow(idle)).toBe(false);
    await Promise.resolve();
    expect(d.enterNow(idle)).toBe(true);
    d.exitNow();
  });

  it('pauses the inbound gate when a slice is used up, and resumes it once the event loop has turned', async () => {
    const events: string[] = [];
    const d = new Dispatcher(1024, 0);
    d.inbound = { pause: () => events.push('pause'), resume: () => events.push('resume') };
    for (let i = 0; i < 8; i++) {
      expect(d.enterNow(idle)).toBe(true);
      tick();
      d.exitNow();
    }
    expect(events).toEqual(['pause']);
    expect(d.enterNow(idle)).toBe(false);
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toEqual(['pause', 'resume']);
    expect(d.enterNow(idle)).toBe(true);
    d.exitNow();
  });

  it('tells the turn observer about each handler run at once', () => {
    const seen: string[] = [];
    const d = new Dispatcher();
    d.observer = {
      begin: (_r, budget) => {
        seen.push(`begin ${budget}`);
        return budget;
      },
      end: () => seen.push('end'),
    };
    expect(d.enterNow(idle)).toBe(true);
    d.exitNow();
    expect(seen).toEqual(['begin 1', 'end']);
  });
});

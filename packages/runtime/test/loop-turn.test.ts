import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LoopTurn } from '../src/actor/loop-turn.js';

// The built module (the suite's global setup builds dist/): a plain node child runs no TypeScript.
const built = fileURLToPath(new URL('../dist/actor/loop-turn.js', import.meta.url));

describe('LoopTurn', () => {
  it('calls back only after timers due now have run, once per pending request', async () => {
    const seen: string[] = [];
    const turn = new LoopTurn(() => seen.push('turn'));
    setTimeout(() => seen.push('timer'), 0);
    // Let the 0 ms timer come due before asking, as a busy handler would.
    const start = performance.now();
    while (performance.now() - start < 5) {}
    turn.request();
    turn.request();
    expect(seen).toEqual([]);
    await new Promise((r) => setTimeout(r, 30));
    expect(seen).toEqual(['timer', 'turn']);
    turn.request();
    await new Promise((r) => setTimeout(r, 30));
    expect(seen).toEqual(['timer', 'turn', 'turn']);
  });

  it('keeps the process alive while a request is pending, as an Immediate would', () => {
    const script = `const { LoopTurn } = await import(${JSON.stringify(built)}); new LoopTurn(() => process.stdout.write('turned')).request();`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 10_000 });
    expect(out.toString()).toBe('turned');
  });

  it('never keeps a process alive once nothing is pending', () => {
    const script = `const { LoopTurn } = await import(${JSON.stringify(built)}); const t = new LoopTurn(() => {}); t.request(); setTimeout(() => t.request(), 5);`;
    const started = Date.now();
    execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      timeout: 10_000,
      stdio: 'pipe',
    });
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

// `app.listen({ http3: true })` is refused at startup, in this process and, under `workers`, in
// the primary before any worker is forked (so the caller gets the error, not a worker's stderr).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/index.js';

describe('http3', () => {
  it.each(['node', 'io_uring'] as const)('is refused on the %s engine with the reason', async (engine) => {
    const app = createApp();
    await expect(app.listen({ port: 0, engine, http3: true })).rejects.toMatchObject({
      code: 'ZEPHYR_ERR_HTTP3_UNAVAILABLE',
    });
  });

  it('is refused in the primary under workers, before forking', async () => {
    const dist = JSON.stringify(join(import.meta.dirname, '../dist/index.js'));
    const script = `
      import cluster from 'node:cluster';
      import { createApp } from ${dist};
      let forks = 0;
      cluster.on('fork', () => forks++);
      try {
        await createApp().listen({ port: 0, engine: 'node', workers: 2, http3: true });
        console.log('listening');
      } catch (err) {
        console.log(err.code, forks);
      }
      process.exit(0);`;
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--input-type=module', '-e', script],
        { timeout: 20_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    expect(out).toBe('ZEPHYR_ERR_HTTP3_UNAVAILABLE 0\n');
  });
});

// serveStatic against hostile file trees: a directory swapped for a symlink while requests run
// (the check and the open must be one step), and ranges of an empty file.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Pool } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp, serveStatic } from '../src/index.js';
import { connect, TRANSPORTS } from './support/transports.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const base = mkdtempSync(join(tmpdir(), 'zephyr-static-race-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('serveStatic root', () => {
  it('must be a directory: a file as root is refused when the handler is made', () => {
    const file = join(base, 'not-a-dir.txt');
    writeFileSync(file, 'x');
    expect(() => serveStatic({ root: file })).toThrow(/not a readable directory/);
  });
});

describe.each(TRANSPORTS)('ranges of an empty file over %s', (transport) => {
  const root = join(base, `empty-${transport}`);
  mkdirSync(root);
  writeFileSync(join(root, 'empty.txt'), '');

  it.each(['bytes=-5', 'bytes=0-', 'bytes=0-0'])('answers %s with 416 and bytes */0', async (range) => {
    const app = createApp({ logger: quiet });
    app.get('/static/*', serveStatic({ root }));
    const client = await connect(app, transport);
    try {
      const res = await client.request({ url: '/static/empty.txt', headers: { range } });
      expect(res.status).toBe(416);
      expect(res.headers['content-range']).toBe('bytes */0');
      const whole = await client.request({ url: '/static/empty.txt' });
      expect(whole.status).toBe(200);
      expect(whole.headers['content-length']).toBe('0');
    } finally {
      await client.close();
    }
  });
});

/**
 * Swaps `dir` for a symlink to `outside` and back, as fast as it can, on another thread, until
 * stopped. Returns a function that stops it and resolves to the number of swaps made.
 */
function startSwapping(dir: string, outside: string): () => Promise<number> {
  const stop = new SharedArrayBuffer(4);
  const worker = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads');
     const fs = require('node:fs');
     const { dir, outside, stop } = workerData;
     const flag = new Int32Array(stop);
     const parked = dir + '.parked';
     let swaps = 0;
     while (Atomics.load(flag, 0) === 0) {
       try {
         fs.renameSync(dir, parked);
         fs.symlinkSync(outside, dir);
         fs.unlinkSync(dir);
         fs.renameSync(parked, dir);
         swaps++;
       } catch {}
     }
     parentPort.postMessage(swaps);`,
    { eval: true, workerData: { dir, outside, stop } },
  );
  const done = new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return async () => {
    Atomics.store(new Int32Array(stop), 0, 1);
    const swaps = await done;
    await worker.terminate();
    return swaps;
  };
}

describe.each([
  ['node', true],
  ['node', false],
  ['io_uring', true],
  ['io_uring', false],
] as const)('a directory swapped for a symlink mid-request (%s engine, zeroCopy %s)', (engine, zeroCopy) => {
  it('never serves a byte from outside the root', async () => {
    const tree = join(base, `race-${engine}-${zeroCopy}`);
    const root = join(tree, 'public');
    const outside = join(tree, 'outside');
    mkdirSync(join(root, 'dir'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(root, 'dir', 'file.txt'), 'INSIDE');
    writeFileSync(join(outside, 'file.txt'), 'SECRET');
    // A link that is already there when the server starts is refused as well.
    symlinkSync(outside, join(root, 'link'));

    const app = createApp({ logger: quiet });
    app.get('/static/*', serveStatic({ root, zeroCopy }));
    const server = await app.listen({ port: 0, engine });
    const pool = new Pool(`http://127.0.0.1:${server.port}`, { connections: 8 });
    const stopSwapping = startSwapping(join(root, 'dir'), outside);
    const seen = new Map<string, number>();
    const leaks: string[] = [];
    try {
      const link = await pool.request({ method: 'GET', path: '/static/link/file.txt' });
      expect(link.statusCode).toBe(403);
      expect(await link.body.text()).not.toContain('SECRET');

      const deadline = Date.now() + 2500;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (Date.now() < deadline) {
            const res = await pool.request({ method: 'GET', path: '/static/dir/file.txt' });
            const body = await res.body.text();
            const key = `${res.statusCode} ${res.statusCode === 200 ? body : ''}`;
            seen.set(key, (seen.get(key) ?? 0) + 1);
            if (body.includes('SECRET')) leaks.push(key);
          }
        }),
      );
    } finally {
      const swaps = await stopSwapping();
      await pool.close();
      await server.close();
      // The race must really have run: many swaps, and requests that saw both trees.
      expect(swaps).toBeGreaterThan(100);
    }
    expect(leaks).toEqual([]);
    for (const key of seen.keys()) expect(['200 INSIDE', '403 ', '404 ']).toContain(key);
    expect(seen.get('200 INSIDE') ?? 0).toBeGreaterThan(0);
    expect((seen.get('403 ') ?? 0) + (seen.get('404 ') ?? 0)).toBeGreaterThan(0);
  }, 30_000);
});

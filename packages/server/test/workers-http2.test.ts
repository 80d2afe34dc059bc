// Worker drain over HTTP/2: SIGTERM makes each worker send GOAWAY on its HTTP/2 connections and
// finish the streams in flight before it exits (test/fixtures/worker-app.mjs, built package).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:http2';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const fixture = join(import.meta.dirname, 'fixtures/worker-app.mjs');

describe('workers over HTTP/2', () => {
  it('drain: GOAWAY, the open streams finish, exit 0', async () => {
    const child = spawn(process.execPath, [fixture], {
      env: { ...process.env, ENGINE: 'node', WORKERS: '2', HTTP2: '1', NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      let out = '';
      let slowStarts = 0;
      const wakers = new Set<() => void>();
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        slowStarts = out.split('\n').filter((line) => line === 'slow-start').length;
        for (const wake of wakers) wake();
      });
      const until = (ok: () => boolean) =>
        new Promise<void>((resolve) => {
          const check = (): void => {
            if (ok()) {
              wakers.delete(check);
              resolve();
            }
          };
          wakers.add(check);
          check();
        });
      await until(() => /"port":\d+/.test(out));
      const { port } = JSON.parse(out.split('\n').find((line) => line.startsWith('{'))!) as { port: number };
      const session = connect(`http://127.0.0.1:${port}`);
      const goaway = once(session, 'goaway');
      const streams = Array.from({ length: 3 }, async () => {
        const stream = session.request({ ':path': '/slow?ms=800' });
        let text = '';
        for await (const chunk of stream) text += chunk;
        return text;
      });
      await until(() => slowStarts >= 3);
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await goaway;
      for (const text of await Promise.all(streams)) expect(text).toMatch(/^done by \d+$/);
      session.destroy();
      const [code] = await exited;
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 30_000);
});

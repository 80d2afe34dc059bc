// Workers on a machine where io_uring is refused (a seccomp filter, as container runtimes
// install): the app falls back to the node engine and says so once, not once per worker.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Client } from 'undici';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/worker-app.mjs', import.meta.url));
// The launcher lives with the engine's own selection tests.
const launcher = fileURLToPath(new URL('../../uring/test/fixtures/seccomp-exec.py', import.meta.url));
/** x86_64 syscall numbers: the whole of io_uring refused, or only entering the ring. */
const REFUSED = [
  ['io_uring_setup', 425],
  ['io_uring_enter', 426],
] as const;

describe('workers where io_uring is refused', () => {
  it.each(REFUSED)(
    '%s refused: serve on the node engine and print the fallback line once',
    async (call, nr) => {
      const child = spawn('python3', [launcher, String(nr), process.execPath, fixture], {
        env: { ...process.env, ENGINE: 'auto', WORKERS: '2', ZEPHYR_IO_ENGINE: '', NODE_ENV: 'production' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      try {
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
        });
        let stdout = '';
        const info = await new Promise<{ port: number; engine: string; workers: number }>(
          (resolve, reject) => {
            child.stdout.on('data', (d: Buffer) => {
              stdout += d.toString();
              const line = stdout.split('\n').find((l) => l.startsWith('{'));
              if (line !== undefined)
                resolve(JSON.parse(line) as { port: number; engine: string; workers: number });
            });
            child.once('exit', (code) => reject(new Error(`fixture exited with ${code}: ${stderr}`)));
          },
        );
        expect(info.engine).toBe('node');
        expect(info.workers).toBe(2);
        // Both workers are listening (the primary prints only then); ask each a few times so any
        // line a worker would print is surely out.
        for (let i = 0; i < 6; i++) {
          const client = new Client(`http://127.0.0.1:${info.port}`);
          try {
            const res = await client.request({ method: 'GET', path: '/pid' });
            expect(res.statusCode).toBe(200);
            await res.body.text();
          } finally {
            await client.destroy();
          }
        }
        const lines = stderr.split('\n').filter((l) => l.includes('io_uring unavailable'));
        expect(lines, stderr).toHaveLength(1);
        expect(lines[0]).toContain(`${call} failed`);
        expect(lines[0]).toContain('using the node engine');
      } finally {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
    },
    30_000,
  );
});

// Actor routes under `workers: 2`: every worker process has its own actor system and pool, and
// each answers from an actor thread of its own, on both engines.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Client } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/actor-worker-app.mjs', import.meta.url));
const running: ChildProcess[] = [];
afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

async function start(engine: string): Promise<{ child: ChildProcess; port: number; engine: string }> {
  const child = spawn(process.execPath, [fixture], {
    env: { ...process.env, ENGINE: engine, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line !== undefined) resolve({ child, ...(JSON.parse(line) as { port: number; engine: string }) });
    });
    child.once('exit', (code) => reject(new Error(`fixture exited with ${code}: ${stderr}`)));
  });
}

describe.each(['node', 'io_uring'])('actor routes with workers: 2 on the %s engine', (engine) => {
  it('answers from each worker process, from an actor thread of that process, then exits 0 on SIGTERM', async () => {
    const server = await start(engine);
    expect(server.engine).toBe(engine);
    // Fresh connections until both workers have answered (the kernel or the primary spreads them).
    const answers = new Map<number, number>();
    for (let i = 0; i < 200 && answers.size < 2; i++) {
      const client = new Client(`http://127.0.0.1:${server.port}`);
      try {
        const res = await client.request({ method: 'GET', path: '/work/where' });
        expect(res.statusCode).toBe(200);
        const { pid, threadId } = (await res.body.json()) as { pid: number; threadId: number };
        answers.set(pid, threadId);
      } finally {
        await client.destroy();
      }
    }
    expect(answers.size).toBe(2);
    for (const threadId of answers.values()) expect(threadId).toBeGreaterThan(0);
    const exited = once(server.child, 'exit');
    server.child.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
  }, 60_000);
});

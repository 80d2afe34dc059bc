import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Client } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/worker-app.mjs', import.meta.url));

interface Started {
  child: ChildProcess;
  port: number;
  engine: string;
  /** Resolves once the fixture has printed `count` lines equal to `line`. */
  seen(line: string, count: number): Promise<void>;
}

async function start(engine: string, workers: number): Promise<Started> {
  const child = spawn(process.execPath, [fixture], {
    env: { ...process.env, ENGINE: engine, WORKERS: String(workers), NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    let nl = out.indexOf('\n');
    while (nl !== -1) {
      lines.push(out.slice(0, nl));
      out = out.slice(nl + 1);
      nl = out.indexOf('\n');
    }
    for (const wake of waiters) wake();
  });
  const seen = (line: string, count: number): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (lines.filter((l) => l === line).length >= count) {
          waiters.delete(check);
          resolve();
        }
      };
      waiters.add(check);
      check();
    });
  const info = await new Promise<{ port: number; engine: string }>((resolve, reject) => {
    const check = (): void => {
      const json = lines.find((l) => l.startsWith('{'));
      if (json !== undefined) {
        waiters.delete(check);
        resolve(JSON.parse(json) as { port: number; engine: string });
      }
    };
    waiters.add(check);
    child.once('exit', (code) => reject(new Error(`fixture exited with ${code}: ${stderr}`)));
  });
  return { child, port: info.port, engine: info.engine, seen };
}

/** Worker pids, found by opening fresh connections until `count` distinct ones answered. */
async function workerPids(port: number, count: number): Promise<Set<number>> {
  const pids = new Set<number>();
  for (let i = 0; i < 200 && pids.size < count; i++) {
    const client = new Client(`http://127.0.0.1:${port}`);
    try {
      const res = await client.request({ method: 'GET', path: '/pid' });
      pids.add(Number(await res.body.text()));
    } finally {
      await client.destroy();
    }
  }
  return pids;
}

const running: ChildProcess[] = [];
afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

describe.each(['node', 'io_uring'])('workers on the %s engine', (engine) => {
  it('replaces a worker killed with SIGKILL under load; requests on the others never fail', async () => {
    const server = await start(engine, 2);
    running.push(server.child);
    expect(server.engine).toBe(engine);
    const pids = await workerPids(server.port, 2);
    expect(pids.size).toBe(2);
    const [victim] = [...pids];

    // Eight keep-alive connections, each pinned to one worker, hammering it. A request may hang
    // only on the victim (a connection node's cluster was handing to it as it died): the timeouts
    // turn that into a counted failure, and a hang on a survivor into a failed assertion.
    const clients = Array.from(
      { length: 8 },
      () =>
        new Client(`http://127.0.0.1:${server.port}`, {
          pipelining: 1,
          headersTimeout: 5000,
          bodyTimeout: 5000,
        }),
    );
    const stats = clients.map(() => ({ pinned: 0, ok: 0, failed: 0 }));
    let stop = false;
    const load = clients.map(async (client, i) => {
      const stat = stats[i]!;
      while (!stop) {
        try {
          const res = await client.request({ method: 'GET', path: '/pid' });
          const pid = Number(await res.body.text());
          if (stat.pinned === 0) stat.pinned = pid;
          if (pid === stat.pinned) stat.ok++;
        } catch {
          stat.failed++;
          // This connection was on the victim; it is the only kind allowed to fail.
          if (stat.pinned !== victim) break;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    });
    await new Promise((r) => setTimeout(r, 400));
    process.kill(victim!, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 800));
    stop = true;
    await Promise.all(load);
    await Promise.all(clients.map((c) => c.destroy()));

    const survivors = stats.filter((s) => s.pinned !== victim && s.pinned !== 0);
    expect(survivors.length).toBeGreaterThan(0);
    for (const s of survivors) {
      expect(s.failed).toBe(0);
      expect(s.ok).toBeGreaterThan(3);
    }

    // The primary forks a replacement: a new pid shows up on fresh connections.
    let replaced = false;
    for (let i = 0; i < 50 && !replaced; i++) {
      const now = await workerPids(server.port, 2).catch(() => new Set<number>());
      replaced = [...now].some((pid) => !pids.has(pid));
      if (!replaced) await new Promise((r) => setTimeout(r, 100));
    }
    expect(replaced).toBe(true);
  }, 30_000);

  it('drains in-flight requests on SIGTERM and exits 0', async () => {
    const server = await start(engine, 2);
    running.push(server.child);
    const inFlight = Array.from({ length: 6 }, async () => {
      const client = new Client(`http://127.0.0.1:${server.port}`);
      try {
        const res = await client.request({ method: 'GET', path: '/slow?ms=800' });
        return { status: res.statusCode, body: await res.body.text() };
      } finally {
        await client.close();
      }
    });
    // Signal only once every request has reached a worker: all six are in flight.
    await server.seen('slow-start', 6);
    const exited = once(server.child, 'exit');
    server.child.kill('SIGTERM');
    const results = await Promise.all(inFlight);
    for (const result of results) {
      expect(result.status).toBe(200);
      expect(result.body).toMatch(/^done by \d+$/);
    }
    const [code] = await exited;
    expect(code).toBe(0);
  }, 30_000);

  it('fails listen() in the primary when workers die before listening', async () => {
    const child = spawn(process.execPath, [fixture], {
      env: { ...process.env, ENGINE: engine, WORKERS: '2', FAIL_IN_WORKER: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.push(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const [code] = await once(child, 'exit');
    expect(code).not.toBe(0);
    expect(stderr).toContain('worker exited during startup');
  }, 30_000);
});

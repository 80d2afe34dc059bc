// app.publish under `workers: 2`: a message published in one worker reaches the subscribers
// connected to the other worker (through the primary), on both engines.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { nextMessage, openClient } from './support/ws-clients.js';

const fixture = fileURLToPath(new URL('./fixtures/ws-worker-app.mjs', import.meta.url));
const running: ChildProcess[] = [];
const clients: WebSocket[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.terminate();
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

describe.each(['node', 'io_uring'])('app.publish with workers: 2 on the %s engine', (engine) => {
  it('reaches the subscribers of every worker', async () => {
    const server = await start(engine);
    expect(server.engine).toBe(engine);
    // Connections until both workers hold one (the kernel or the primary spreads them).
    const byPid = new Map<string, WebSocket>();
    for (let i = 0; i < 200 && byPid.size < 2; i++) {
      const ws = await openClient(`ws://127.0.0.1:${server.port}/room`);
      clients.push(ws);
      const pid = String(await nextMessage(ws));
      if (!byPid.has(pid)) byPid.set(pid, ws);
    }
    expect(byPid.size).toBe(2);
    const [a, b] = [...byPid.values()] as [WebSocket, WebSocket];
    // Drain what the other clients of a's and b's worker queued: only new messages count now.
    const gotA = nextMessage(a);
    const gotB = nextMessage(b);
    a.send('hello');
    const fromA = String(await gotA);
    expect(fromA).toMatch(/^hello \(published by \d+\)$/);
    expect(String(await gotB)).toBe(fromA);
    const exited = once(server.child, 'exit');
    server.child.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
  }, 60_000);
});

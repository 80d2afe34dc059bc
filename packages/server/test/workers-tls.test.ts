// HTTPS under `workers: N`: SIGHUP sent to the primary reloads every worker's certificates, as
// does `server.reloadTls()` in the primary (whose options a restarted worker gets too); new
// handshakes see the new certificate while connections opened before keep working; and
// `server.tlsCounters()` adds up the workers. Runs test/fixtures/tls-worker-app.mjs (built package).
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { Client } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../../scripts/self-signed-cert.mjs';

const fixture = fileURLToPath(new URL('./fixtures/tls-worker-app.mjs', import.meta.url));
let dir = '';
const file = (name: string): string => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'zephyr-workers-tls-'));
  for (const cn of ['first', 'second', 'third']) {
    selfSignedCertificate({ cert: file(`${cn}.pem`), key: file(`${cn}.key`), cn: `${cn}.localhost` });
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const running: ChildProcess[] = [];
afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

interface Started {
  child: ChildProcess;
  port: number;
  engine: string;
  /** Sends a command line and resolves with the primary's JSON answer to it. */
  command(line: string): Promise<Record<string, unknown>>;
}

async function start(engine: string, cert: string, key: string): Promise<Started> {
  const child = spawn(process.execPath, [fixture], {
    env: {
      ...process.env,
      ENGINE: engine,
      WORKERS: '2',
      TLS_CERT: cert,
      TLS_KEY: key,
      NODE_ENV: 'production',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const replies: Array<Record<string, unknown>> = [];
  const waiters: Array<(reply: Record<string, unknown>) => void> = [];
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    for (let nl = out.indexOf('\n'); nl !== -1; nl = out.indexOf('\n')) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      const reply = JSON.parse(line) as Record<string, unknown>;
      const waiter = waiters.shift();
      if (waiter) waiter(reply);
      else replies.push(reply);
    }
  });
  const next = (): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const ready = replies.shift();
      if (ready) return resolve(ready);
      waiters.push(resolve);
      child.once('exit', (code) => reject(new Error(`fixture exited with ${code}: ${stderr}`)));
    });
  const info = (await next()) as { port: number; engine: string };
  return {
    child,
    port: info.port,
    engine: info.engine,
    command: (line) => {
      child.stdin!.write(`${line}\n`);
      return next();
    },
  };
}

/** The CN of the certificate one new handshake gets. */
function subject(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect(
      { host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false },
      () => {
        resolve(String(socket.getPeerCertificate().subject.CN));
        socket.end();
      },
    );
    socket.on('error', reject);
  });
}

/** The CNs that `count` new handshakes see (spread over the workers by the kernel or node:cluster). */
async function subjects(port: number, count = 16): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) seen.add(await subject(port));
  return seen;
}

/** A keep-alive HTTPS connection, pinned to whichever worker accepted it. */
function keepAlive(port: number): { pid(): Promise<number>; close(): Promise<void> } {
  const client = new Client(`https://127.0.0.1:${port}`, {
    connect: { rejectUnauthorized: false, servername: 'localhost' },
    pipelining: 1,
  });
  return {
    pid: async () => {
      const res = await client.request({ method: 'GET', path: '/pid' });
      return Number(await res.body.text());
    },
    close: () => client.close(),
  };
}

/** Worker pids, found by opening fresh connections until `count` distinct ones answered. */
async function workerPids(port: number, count: number): Promise<Set<number>> {
  const pids = new Set<number>();
  for (let i = 0; i < 100 && pids.size < count; i++) {
    const connection = keepAlive(port);
    try {
      pids.add(await connection.pid());
    } finally {
      await connection.close().catch(() => {});
    }
  }
  return pids;
}

describe.each(['node', 'io_uring'])('TLS under workers on the %s engine', (engine) => {
  it('SIGHUP to the primary reloads every worker; open connections keep working', async () => {
    const live = (ext: string): string => file(`live-sighup-${engine}.${ext}`);
    copyFileSync(file('first.pem'), live('pem'));
    copyFileSync(file('first.key'), live('key'));
    const server = await start(engine, live('pem'), live('key'));
    expect(server.engine).toBe(engine);
    const connections = Array.from({ length: 4 }, () => keepAlive(server.port));
    const pinned = await Promise.all(connections.map((c) => c.pid()));
    expect(await subjects(server.port)).toEqual(new Set(['first.localhost']));

    // The certificate is renewed on disk in place, and the primary is told.
    copyFileSync(file('second.pem'), live('pem'));
    copyFileSync(file('second.key'), live('key'));
    server.child.kill('SIGHUP');
    const deadline = Date.now() + 10_000;
    let seen = await subjects(server.port);
    while (!(seen.size === 1 && seen.has('second.localhost')) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      seen = await subjects(server.port);
    }
    expect(seen).toEqual(new Set(['second.localhost']));
    // Every worker, not just one: many more handshakes, all with the new certificate.
    expect(await subjects(server.port, 40)).toEqual(new Set(['second.localhost']));

    // The primary survived its SIGHUP, and the connections opened before still serve.
    expect(server.child.exitCode).toBeNull();
    expect(await Promise.all(connections.map((c) => c.pid()))).toEqual(pinned);
    await Promise.all(connections.map((c) => c.close()));
  }, 60_000);

  it('reloadTls in the primary reaches every worker and a restarted one; tlsCounters adds them up', async () => {
    const server = await start(engine, file('first.pem'), file('first.key'));
    const before = (await server.command('counters')).counters as { handshakes: number };
    const made = 12;
    await subjects(server.port, made);
    // A server counts a handshake when the client's Finished arrives, a moment after the client
    // is done with it: poll (bounded) until the workers' sum has caught up.
    const counted = async () =>
      ((await server.command('counters')).counters as { handshakes: number }).handshakes;
    const deadline0 = Date.now() + 5000;
    let after = await counted();
    while (after - before.handshakes < made && Date.now() < deadline0) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = await counted();
    }
    expect(after - before.handshakes).toBe(made);

    const connection = keepAlive(server.port);
    const pid = await connection.pid();
    expect(await server.command(`reload ${file('third.pem')} ${file('third.key')}`)).toEqual({
      reload: 'ok',
    });
    expect(await subjects(server.port, 40)).toEqual(new Set(['third.localhost']));
    expect(await connection.pid()).toBe(pid);
    // A bad pair is refused everywhere; the one in force stays.
    expect(await server.command(`reload ${file('third.pem')} ${file('first.key')}`)).toEqual({
      reload: 'ZEPHYR_ERR_INVALID_ARGUMENT',
    });
    expect(await subjects(server.port)).toEqual(new Set(['third.localhost']));

    // A worker that dies is replaced with the options of the last reload, not the entry's.
    await connection.close();
    const pids = await workerPids(server.port, 2);
    expect(pids.size).toBe(2);
    process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 15_000;
    let replaced = false;
    while (!replaced && Date.now() < deadline) {
      const now = await workerPids(server.port, 2).catch(() => new Set<number>());
      replaced = [...now].some((p) => !pids.has(p));
      if (!replaced) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(replaced).toBe(true);
    // The replacement is given the options just after it starts listening: allow that moment,
    // bounded, then every worker must serve them.
    let seen = await subjects(server.port);
    while (!(seen.size === 1 && seen.has('third.localhost')) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      seen = await subjects(server.port);
    }
    expect(await subjects(server.port, 40)).toEqual(new Set(['third.localhost']));
  }, 60_000);
});

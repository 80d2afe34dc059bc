// app.publish across processes over NATS: two app processes (one on each engine) in one cluster
// of @zephyr/runtime's distributed mode, a real nats-server, and `ws` clients on both. A publish
// reaches the subscribers of both processes once each, text and binary; when nats-server dies,
// nothing crashes and each process still delivers its own publishes locally; when it is back,
// relaying resumes.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { TopicRelay } from '@zephyr/runtime';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type WebSocket from 'ws';
import type { PublishRelay } from '../src/index.js';
import { NatsServer } from './support/nats-server.js';
import { nextMessage, openClient } from './support/ws-clients.js';

const fixture = fileURLToPath(new URL('./fixtures/nats-relay-app.mjs', import.meta.url));

interface Node {
  id: string;
  child: ChildProcess;
  port: number;
  engine: string;
  stderr: () => string;
}

interface Stats {
  cluster: { connected: boolean; reconnects: number };
  relay: { sent: number; received: number; dropped: number };
}

let nats: NatsServer;
const nodes: Node[] = [];
const clients: WebSocket[] = [];

async function startNode(id: string, engine: string, cluster: string): Promise<Node> {
  const child = spawn(process.execPath, [fixture], {
    env: { ...process.env, NODE_ID: id, ENGINE: engine, CLUSTER: cluster, NATS_URL: nats.url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const started = await new Promise<{ port: number; engine: string }>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line !== undefined) resolve(JSON.parse(line) as { port: number; engine: string });
    });
    child.once('exit', (code) => reject(new Error(`node ${id} exited with ${code}: ${stderr}`)));
  });
  const node = { id, child, ...started, stderr: () => stderr };
  nodes.push(node);
  return node;
}

async function stats(node: Node): Promise<Stats> {
  const res = await fetch(`http://127.0.0.1:${node.port}/stats`);
  return (await res.json()) as Stats;
}

async function join(node: Node): Promise<WebSocket> {
  const ws = await openClient(`ws://127.0.0.1:${node.port}/room`);
  clients.push(ws);
  expect(await nextMessage(ws)).toBe(`hello from ${node.id}`);
  return ws;
}

const alive = (node: Node): boolean => node.child.exitCode === null && node.child.signalCode === null;

beforeAll(async () => {
  nats = await NatsServer.start();
}, 30_000);

afterAll(async () => {
  for (const c of clients.splice(0)) c.terminate();
  for (const node of nodes.splice(0)) if (alive(node)) node.child.kill('SIGKILL');
  await nats?.kill();
});

describe('app.publish over NATS (system.topicRelay())', () => {
  it("takes the runtime's relay as it is (checked by the typecheck)", () => {
    expectTypeOf<TopicRelay>().toExtend<PublishRelay>();
  });

  let a: Node;
  let b: Node;
  let onA: WebSocket;
  let onB: WebSocket;

  it('reaches the subscribers of another process, once each, text and binary', {
    timeout: 60_000,
  }, async () => {
    const cluster = `ws${process.pid}`;
    [a, b] = await Promise.all([startNode('a', 'io_uring', cluster), startNode('b', 'node', cluster)]);
    expect([a.engine, b.engine]).toEqual(['io_uring', 'node']);
    [onA, onB] = await Promise.all([join(a), join(b)]);

    // A's publish: its own subscriber gets it once (NATS echoes it back to A, which skips it), and
    // B's subscriber gets it through NATS.
    onA.send('first');
    expect(await nextMessage(onA)).toBe('first via a');
    expect(await nextMessage(onB)).toBe('first via a');
    onB.send('second');
    expect(await nextMessage(onB)).toBe('second via b');
    // Had A's own publish come back to it, 'first via a' would be next here.
    expect(await nextMessage(onA)).toBe('second via b');

    const bytes = randomBytes(32 * 1024);
    onB.send(bytes);
    for (const ws of [onA, onB]) {
      const got = await nextMessage(ws);
      expect(Buffer.isBuffer(got) && got.equals(bytes)).toBe(true);
    }
    const [sa, sb] = await Promise.all([stats(a), stats(b)]);
    expect(sa.relay).toEqual({ sent: 1, received: 2, dropped: 0 });
    expect(sb.relay).toEqual({ sent: 2, received: 1, dropped: 0 });
  });

  it('rides through a NATS outage: no crash, local fan-out kept, relaying resumes', {
    timeout: 60_000,
  }, async () => {
    await nats.kill();
    await expect.poll(async () => (await stats(a)).cluster.connected, { timeout: 20_000 }).toBe(false);
    await expect.poll(async () => (await stats(b)).cluster.connected, { timeout: 20_000 }).toBe(false);

    // Local subscribers still get every publish; the relayed copy is buffered (small) or, past
    // the 64 KiB outage buffer, dropped and counted.
    onA.send('during the outage');
    expect(await nextMessage(onA)).toBe('during the outage via a');
    const big = 'x'.repeat(100 * 1024);
    onA.send(big);
    expect(await nextMessage(onA)).toBe(`${big} via a`);
    await expect.poll(async () => (await stats(a)).relay.dropped).toBe(1);
    expect(a.stderr()).toContain('outage buffer is full');
    onB.send('b alone');
    expect(await nextMessage(onB)).toBe('b alone via b');
    expect(alive(a) && alive(b)).toBe(true);

    await nats.restart();
    await expect.poll(async () => (await stats(a)).cluster.connected, { timeout: 20_000 }).toBe(true);
    await expect.poll(async () => (await stats(b)).cluster.connected, { timeout: 20_000 }).toBe(true);

    // NATS core delivers at most once: what a node buffered during the outage reaches the other
    // only if the other's subscription was back first, so those messages may or may not come.
    const maybe = new Set(['during the outage via a', 'b alone via b']);
    const next = async (ws: WebSocket, skip: (m: string) => boolean = () => false): Promise<string> => {
      for (;;) {
        const m = String(await nextMessage(ws));
        if (!maybe.has(m) && !skip(m)) return m;
      }
    };
    // Subscriptions are re-sent just after the reconnect: publish until one reaches B.
    const receivedBefore = (await stats(b)).relay.received;
    let landed = false;
    for (let i = 0; i < 50 && !landed; i++) {
      onA.send(`after ${i}`);
      expect(await next(onA)).toBe(`after ${i} via a`);
      for (let t = 0; t < 10 && !landed; t++) {
        landed = (await stats(b)).relay.received > receivedBefore;
        if (!landed) await new Promise((resolve) => setTimeout(resolve, 30));
      }
    }
    expect(landed).toBe(true);
    expect(await next(onB)).toMatch(/^after \d+ via a$/);
    onB.send('from b again');
    const relayedAfter = (m: string) => /^after \d+ via a$/.test(m);
    expect(await next(onB, relayedAfter)).toBe('from b again via b');
    expect(await next(onA)).toBe('from b again via b');
    expect(alive(a) && alive(b)).toBe(true);
  });
});

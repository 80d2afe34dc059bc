// WebSocket benchmark: every server in servers/ side by side in one run, with ratios to `ws`.
//   echo: messages/s over N connections, each keeping `depth` messages in flight
//         (small text, and 16 KiB binary);
//   fan-out: one published message to S subscribers (each S of --subscribers): deliveries/s and
//            p99 delivery latency;
//   idle:    the server's RSS growth per idle connection, over I connections.
// The load generator is the `ws` client in this process, so on a small machine it may be the
// bottleneck: take figures of record on an idle machine with --duration 10 or more.
//
//   node bench/ws/run.mjs [--duration 5] [--connections 100] [--depth 8]
//                         [--subscribers 1000,10000] [--idle 1000]
//                         [--servers ws,zephyr-node,zephyr-uring]
// uWebSockets.js is not on the npm registry (GitHub only), so it cannot be installed here.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { flag, positive } from '../lib/cli.mjs';

const here = dirname(fileURLToPath(import.meta.url));

const duration = positive('duration', 5);
const connections = positive('connections', 100);
const depth = positive('depth', 8);
const subscriberCounts = flag('subscribers', '1000,10000')
  .split(',')
  .map((n) => {
    const value = Number(n);
    if (!Number.isInteger(value) || value < 1) throw new Error('--subscribers must be positive integers');
    return value;
  });
const idle = positive('idle', 1000);
const ALL = ['ws', 'zephyr-node', 'zephyr-uring'];
const chosen = flag('servers', ALL.join(',')).split(',');
for (const name of chosen)
  if (!ALL.includes(name)) throw new Error(`unknown server ${name}; known: ${ALL.join(', ')}`);

async function startServer(name, port) {
  const child = spawn(process.execPath, [join(here, `servers/${name}.mjs`)], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => String(d).includes('listening') && resolve());
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
  return child;
}

function open(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

async function echo(port, payload) {
  const clients = await Promise.all(
    Array.from({ length: connections }, () => open(`ws://127.0.0.1:${port}/echo`)),
  );
  let count = 0;
  let running = true;
  for (const ws of clients) {
    ws.on('message', () => {
      count += 1;
      if (running) ws.send(payload);
    });
    for (let i = 0; i < depth; i++) ws.send(payload);
  }
  await sleep(duration * 1000);
  running = false;
  for (const ws of clients) ws.terminate();
  return count / duration;
}

async function connectMany(url, n) {
  const clients = [];
  for (let i = 0; i < n; i += 100) {
    const batch = Math.min(100, n - i);
    clients.push(...(await Promise.all(Array.from({ length: batch }, () => open(url)))));
  }
  return clients;
}

/** Resident set of process `pid`, in bytes. */
function rss(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

async function idleCost(port, pid) {
  await sleep(500);
  const before = rss(pid);
  const clients = await connectMany(`ws://127.0.0.1:${port}/idle`, idle);
  await sleep(1000);
  const after = rss(pid);
  for (const ws of clients) ws.terminate();
  return (after - before) / idle;
}

async function fanout(port, subscribers) {
  const clients = await connectMany(`ws://127.0.0.1:${port}/fanout`, subscribers);
  const latencies = [];
  let delivered = 0;
  let pending = 0;
  let done;
  for (const ws of clients) {
    ws.on('message', (data) => {
      delivered += 1;
      latencies.push(Number(process.hrtime.bigint() - BigInt(String(data))) / 1e6);
      pending -= 1;
      if (pending === 0) done();
    });
  }
  const started = Date.now();
  // One publish at a time: each message is sent once all subscribers got the previous one.
  while (Date.now() - started < duration * 1000) {
    pending = clients.length;
    const all = new Promise((resolve) => {
      done = resolve;
    });
    clients[0].send(String(process.hrtime.bigint()));
    await all;
  }
  const seconds = (Date.now() - started) / 1000;
  for (const ws of clients) ws.terminate();
  latencies.sort((a, b) => a - b);
  return { perSecond: delivered / seconds, p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0 };
}

const results = {};
let port = 9400;
for (const name of chosen) {
  port += 1;
  const server = await startServer(name, port);
  try {
    // Idle memory first, on the fresh process: later phases leave garbage that GC frees at will.
    console.error(`${name}: idle`);
    const idleBytes = await idleCost(port, server.pid);
    const fanouts = [];
    for (const n of subscriberCounts) {
      console.error(`${name}: fan-out to ${n}`);
      fanouts.push(await fanout(port, n));
    }
    console.error(`${name}: echo`);
    results[name] = {
      text: await echo(port, 'Hello, World!'),
      binary: await echo(port, Buffer.alloc(16 * 1024, 1)),
      fanouts,
      idle: idleBytes,
    };
  } finally {
    server.kill('SIGTERM');
  }
  console.error(`${name} done`);
}

const base = results.ws;
const ratio = (value, of) => (of ? `${(value / of).toFixed(2)}x` : '');
console.log(`\nWebSocket echo, ${connections} connections x ${depth} in flight, ${duration} s each`);
console.log('| server | text msg/s | x ws | 16 KiB binary msg/s | x ws | RSS per idle connection |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const [name, r] of Object.entries(results)) {
  console.log(
    `| ${name} | ${r.text.toFixed(0)} | ${ratio(r.text, base?.text)} | ${r.binary.toFixed(0)} | ${ratio(r.binary, base?.binary)} | ${(r.idle / 1024).toFixed(1)} KiB (over ${idle}) |`,
  );
}
subscriberCounts.forEach((n, i) => {
  console.log(`\nWebSocket fan-out: one publish to ${n} subscribers at a time, ${duration} s`);
  console.log('| server | deliveries/s | x ws | p99 delivery ms | x ws (lower is better) |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [name, r] of Object.entries(results)) {
    const f = r.fanouts[i];
    const b = base?.fanouts[i];
    console.log(
      `| ${name} | ${f.perSecond.toFixed(0)} | ${ratio(f.perSecond, b?.perSecond)} | ${f.p99.toFixed(1)} | ${ratio(f.p99, b?.p99)} |`,
    );
  }
});

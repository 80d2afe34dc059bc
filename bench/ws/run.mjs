// WebSocket benchmark: every server in servers/ side by side in one run, with ratios to `ws`.
//   echo: messages/s over N connections, each keeping `depth` messages in flight
//         (small text, and 16 KiB binary);
//   fan-out: one published message to S subscribers (each S of --subscribers): deliveries/s and
//            p99 delivery latency;
//   idle:    the server's RSS growth per idle connection, over I connections.
// The load comes from the native client (--load native, the default: load/, Rust, one epoll
// thread, built with cargo on first use) or from --clients Node processes (--load node:
// load-client.mjs, raw sockets, frames built once). Either is far cheaper per message than the
// servers; on a small machine they still share its cores: take figures of record on an idle
// machine with --duration 10 or more. Per phase, stderr shows each side's CPU per message in
// user space and in the kernel.
//
// The `bound` row is not a peer: it is load/src/bin/ws-bound (Rust, one epoll thread, no
// framework), the least work any WebSocket server can do per message here. bound/ws per phase is
// the best ratio to `ws` this machine allows: a target above it cannot be met by any server.
// `bound-uring` (not run by default) is the same server sending each fan-out through io_uring
// (one submission per 1,024 subscribers) instead of one `send` per subscriber.
//
//   node bench/ws/run.mjs [--duration 5] [--connections 100] [--depth 8] [--load native|node]
//                         [--clients 2] [--subscribers 1000,10000] [--idle 1000]
//                         [--servers ws,zephyr-node,zephyr-uring,bound[,bound-uring]]
//                         [--node-flags <flag>[,<flag>…]]
// --node-flags: Node/V8 flags for every Node server alike (ws, zephyr-node, zephyr-uring), e.g.
// --no-concurrent-array-buffer-sweeping (see BENCHMARKS.md, 16 KiB echo); a process-wide flag is
// the application's choice, so the default runs are without any.
// uWebSockets.js is not on the npm registry (GitHub only), so it cannot be installed here.
import { execFileSync, fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { flag, fmt, positive } from '../lib/cli.mjs';
import { buildBound, buildNativeLoad, startNativeLoad } from './native-load.mjs';

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
const clientProcesses = positive('clients', 2);
const load = flag('load', 'native');
if (load !== 'native' && load !== 'node') throw new Error('--load must be native or node');
const nativeLoad = load === 'native' ? buildNativeLoad() : undefined;
/** The bound servers (ws-bound, not Node): their arguments after the port, and their label. */
const BOUNDS = {
  bound: { args: [], label: 'bound (Rust epoll, no framework)' },
  'bound-uring': { args: ['--sends', 'io_uring'], label: 'bound (Rust epoll, io_uring fan-out sends)' },
};
const PEERS = ['ws', 'zephyr-node', 'zephyr-uring'];
const KNOWN = [...PEERS, ...Object.keys(BOUNDS)];
const chosen = flag('servers', [...PEERS, 'bound'].join(',')).split(',');
for (const name of chosen)
  if (!KNOWN.includes(name)) throw new Error(`unknown --servers ${name}; known: ${KNOWN.join(', ')}`);
/** Flags every Node server is started with (none by default), so that peers are run alike. */
const nodeFlags = flag('node-flags', '')
  .split(',')
  .filter((f) => f !== '');
for (const f of nodeFlags) if (!f.startsWith('--')) throw new Error(`--node-flags: ${f} is not a flag`);
const boundBinary = chosen.some((name) => name in BOUNDS) ? buildBound() : undefined;
/** The row label of server `name`. */
const label = (name) => BOUNDS[name]?.label ?? name;

async function startServer(name, port) {
  const bound = BOUNDS[name];
  const [command, args] = bound
    ? [boundBinary, [String(port), ...bound.args]]
    : [process.execPath, [...nodeFlags, join(here, `servers/${name}.mjs`)]];
  const child = spawn(command, args, {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => String(d).includes('listening') && resolve());
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
  return child;
}

/** The load-generating processes (load-client.mjs), each driven over its IPC channel. */
async function startClients(n) {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const child = fork(join(here, 'load-client.mjs'), [], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const waiters = new Map();
      child.on('message', (m) => {
        if (m.op === 'error') throw new Error(`load client failed: ${m.message}`);
        const queue = waiters.get(m.op);
        queue?.shift()?.(m);
      });
      const next = (op) =>
        new Promise((resolve) => {
          if (!waiters.has(op)) waiters.set(op, []);
          waiters.get(op).push(resolve);
        });
      const ready = next('ready');
      await ready;
      return {
        child,
        /** Sends `op` and resolves with its `op:done` answer. */
        ask(op, fields = {}) {
          const done = next(`${op}:done`);
          child.send({ op, ...fields });
          return done;
        },
        tell(op) {
          child.send({ op });
        },
        next,
      };
    }),
  );
}

/** `total` split over the clients, as evenly as can be. */
const shares = (total) =>
  clients.map((_, i) => Math.floor(total / clients.length) + (i < total % clients.length ? 1 : 0));

/** Echo over `connections` connections, measured: the run only, with the native client. */
async function echo(pid, port, payload, binary) {
  if (nativeLoad) {
    const run = await startNativeLoad(nativeLoad, [
      'echo',
      port,
      connections,
      depth,
      payload.length,
      binary ? 1 : 0,
      duration,
    ]);
    return measured(pid, async () => {
      const [, replies] = await run.go();
      return { perSecond: Number(replies) / duration, messages: Number(replies) };
    }, [run.pid]);
  }
  return measured(pid, async () => {
    const counts = await Promise.all(
      clients.map((c, i) =>
        c.ask('echo', {
          port,
          count: shares(connections)[i],
          depth,
          payload: Buffer.from(payload).toString('base64'),
          binary,
          ms: duration * 1000,
        }),
      ),
    );
    const replies = counts.reduce((sum, c) => sum + c.replies, 0);
    return { perSecond: replies / duration, messages: replies };
  });
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** CPU seconds process `pid` has used, all its threads: in user space and in the kernel. */
function cpuTimes(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) / CLOCK_TICKS, system: Number(fields[12]) / CLOCK_TICKS };
}

/**
 * Runs `phase` and returns its result with `cpu`: the server's CPU seconds over it. Under load
 * the rate depends on how often the scheduler runs the server; messages per CPU-second much less.
 */
async function measured(pid, phase, loadPids = clients.map((c) => c.child.pid)) {
  const loadTimes = () =>
    loadPids.reduce(
      (sum, loadPid) => {
        const t = cpuTimes(loadPid);
        return { user: sum.user + t.user, system: sum.system + t.system };
      },
      { user: 0, system: 0 },
    );
  const before = cpuTimes(pid);
  const loadBefore = loadTimes();
  const started = Date.now();
  const result = await phase();
  const seconds = (Date.now() - started) / 1000;
  const after = cpuTimes(pid);
  const loadAfter = loadTimes();
  const user = after.user - before.user;
  const system = after.system - before.system;
  const cpu = user + system;
  const load = loadAfter.user - loadBefore.user + loadAfter.system - loadBefore.system;
  const loadSystem = loadAfter.system - loadBefore.system;
  // How busy each side was: a load generator near 100% per process means it, not the server,
  // set the pace. Per message, the server's time in user space and in the kernel: on loopback
  // the kernel part includes the receiving side's TCP work, the same for every server.
  const us = (s) => ((1e6 * s) / result.messages).toFixed(2);
  console.error(
    `  server ${((100 * cpu) / seconds).toFixed(0)}% of a core, load processes ${((100 * load) / seconds / loadPids.length).toFixed(0)}% each; ` +
      `per message: server ${us(user)} µs user + ${us(system)} µs kernel, load ${us(load - loadSystem)} µs user + ${us(loadSystem)} µs kernel`,
  );
  return { ...result, cpu, user, system };
}

/** Resident set of process `pid`, in bytes. */
function rss(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

async function idleCost(port, pid) {
  await sleep(500);
  const before = rss(pid);
  await Promise.all(clients.map((c, i) => c.ask('idle', { port, count: shares(idle)[i] })));
  await sleep(1000);
  const after = rss(pid);
  await Promise.all(clients.map((c) => c.ask('close')));
  return (after - before) / idle;
}

async function fanout(port, subscribers, pid) {
  if (nativeLoad) {
    const run = await startNativeLoad(nativeLoad, ['fanout', port, subscribers, duration]);
    let rounds = 0;
    let p99 = 0;
    let seconds = duration;
    // As below, only the publishing is measured.
    const { cpu, user, system } = await measured(pid, async () => {
      const started = Date.now();
      const [, n, , us] = await run.go();
      rounds = Number(n);
      p99 = Number(us) / 1000;
      seconds = (Date.now() - started) / 1000;
      return { messages: rounds * subscribers };
    }, [run.pid]);
    return fanoutResult(rounds * subscribers, seconds, p99, { cpu, user, system });
  }
  const counts = shares(subscribers);
  const active = clients.filter((_, i) => counts[i] > 0);
  await Promise.all(active.map((c, i) => c.ask('subscribe', { port, count: counts[i] })));
  // Only the publishing is measured: opening and closing 10,000 connections costs the server
  // far more CPU than a few seconds of fan-out, and is not what this phase is about.
  const { rounds, seconds, cpu, user, system } = await measured(pid, async () => {
    let n = 0;
    const started = Date.now();
    // One publish at a time: the next is sent once every subscriber got the previous one.
    while (Date.now() - started < duration * 1000) {
      const all = Promise.all(active.map((c) => c.next('round')));
      active[0].tell('publish');
      await all;
      n += 1;
    }
    return { rounds: n, seconds: (Date.now() - started) / 1000, messages: n * subscribers };
  });
  const histograms = await Promise.all(active.map((c) => c.ask('latencies')));
  await Promise.all(active.map((c) => c.ask('close')));
  const merged = new Map();
  for (const h of histograms) for (const [us, n] of h.latencies) merged.set(us, (merged.get(us) ?? 0) + n);
  const sorted = [...merged].sort((a, b) => a[0] - b[0]);
  const total = sorted.reduce((sum, [, n]) => sum + n, 0);
  let seen = 0;
  let p99 = 0;
  for (const [us, n] of sorted) {
    seen += n;
    if (seen >= total * 0.99) {
      p99 = us / 1000;
      break;
    }
  }
  return fanoutResult(rounds * subscribers, seconds, p99, { cpu, user, system });
}

/** One fan-out phase's figures: deliveries, their rate, p99 delivery latency (ms) and server CPU. */
function fanoutResult(messages, seconds, p99, cpu) {
  return { perSecond: messages / seconds, messages, p99, ...cpu };
}

const clients = await startClients(clientProcesses);
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
      fanouts.push(await fanout(port, n, server.pid));
    }
    console.error(`${name}: echo`);
    results[name] = {
      text: await echo(server.pid, port, Buffer.from('Hello, World!'), false),
      binary: await echo(server.pid, port, Buffer.alloc(16 * 1024, 1), true),
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
/** Messages per CPU-second of the server. */
const perCpu = (r) => (r.cpu > 0 ? r.messages / r.cpu : Number.NaN);
for (const c of clients) c.child.kill();
const loadName = nativeLoad ? 'the native load client (one thread)' : `${clientProcesses} load processes`;
console.log(
  `\nWebSocket echo, ${connections} connections x ${depth} in flight, ${duration} s each, ${loadName}` +
    (nodeFlags.length > 0 ? `; Node servers run with ${nodeFlags.join(' ')}` : ''),
);
console.log(
  '| server | text msg/s | x ws | text msg/CPU-s | x ws | 16 KiB msg/s | x ws | 16 KiB msg/CPU-s | x ws | RSS per idle connection |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const [name, r] of Object.entries(results)) {
  console.log(
    `| ${label(name)} | ${fmt(r.text.perSecond)} | ${ratio(r.text.perSecond, base?.text.perSecond)} | ${fmt(perCpu(r.text))} | ${ratio(perCpu(r.text), base && perCpu(base.text))} | ${fmt(r.binary.perSecond)} | ${ratio(r.binary.perSecond, base?.binary.perSecond)} | ${fmt(perCpu(r.binary))} | ${ratio(perCpu(r.binary), base && perCpu(base.binary))} | ${(r.idle / 1024).toFixed(1)} KiB (over ${idle}) |`,
  );
}
subscriberCounts.forEach((n, i) => {
  console.log(`\nWebSocket fan-out: one publish to ${fmt(n)} subscribers at a time, ${duration} s`);
  console.log(
    '| server | deliveries/s | x ws | deliveries/CPU-s | x ws | p99 delivery ms | x ws (lower is better) |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const [name, r] of Object.entries(results)) {
    const f = r.fanouts[i];
    const b = base?.fanouts[i];
    console.log(
      `| ${label(name)} | ${fmt(f.perSecond)} | ${ratio(f.perSecond, b?.perSecond)} | ${fmt(perCpu(f))} | ${ratio(perCpu(f), b && perCpu(b))} | ${f.p99.toFixed(1)} | ${ratio(f.p99, b?.p99)} |`,
    );
  }
});

/** Each phase's result of a server's results `r`, in the order of the tables. */
const phases = [
  { name: 'small text echo', of: (r) => r.text },
  { name: '16 KiB echo', of: (r) => r.binary },
  ...subscriberCounts.map((n, i) => ({ name: `fan-out to ${fmt(n)}`, of: (r) => r.fanouts[i] })),
];
const us = (seconds, r) => ((1e6 * seconds) / r.messages).toFixed(2);
console.log('\nServer CPU per message, µs in user space + in the kernel (from /proc/<pid>/stat)');
console.log(`| server | ${phases.map((p) => p.name).join(' | ')} |`);
console.log(`|---|${phases.map(() => '---:').join('|')}|`);
for (const [name, r] of Object.entries(results)) {
  const cells = phases.map((p) => `${us(p.of(r).user, p.of(r))} + ${us(p.of(r).system, p.of(r))}`);
  console.log(`| ${label(name)} | ${cells.join(' | ')} |`);
}
// The bound: no server does less per message here, so bound/ws is the best ratio to `ws` any
// server can reach on this machine, phase by phase.
for (const name of Object.keys(BOUNDS)) {
  const bound = results[name];
  if (!bound || !base) continue;
  console.log(`\n${label(name)} against ws, per phase:`);
  for (const p of phases) {
    const rate = p.of(bound).perSecond / p.of(base).perSecond;
    const cpu = perCpu(p.of(bound)) / perCpu(p.of(base));
    console.log(
      `- ${p.name}: best possible on this machine ≈ bound/ws = ${rate.toFixed(2)}x in messages/s, ` +
        `${cpu.toFixed(2)}x per server CPU-second; the target 5x is reachable only if ≥ 5`,
    );
  }
}
if (results.bound && results['bound-uring']) {
  console.log(
    '\nFan-out sends through io_uring (one submission per 1,024) against one send each, server CPU per delivery:',
  );
  for (const p of phases.slice(2)) {
    const [a, b] = [p.of(results['bound-uring']), p.of(results.bound)];
    console.log(
      `- ${p.name}: io_uring ${us(a.user, a)} + ${us(a.system, a)} µs, send ${us(b.user, b)} + ${us(b.system, b)} µs: ` +
        `${(perCpu(a) / perCpu(b)).toFixed(2)}x per CPU-second`,
    );
  }
}

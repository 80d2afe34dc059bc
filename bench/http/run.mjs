// HTTP benchmark: every server in servers/ side by side in one run. Each server is pinned to
// core 0 and wrk to core 1; rounds interleave servers so machine noise hits all of them alike;
// the table shows medians and ratios to node:http and to the C epoll responder (the ceiling),
// and each server's CPU time (user + system) per request, which machine load distorts far less.
// Then each server's RSS is measured idle and with 10k idle keep-alive connections.
//
//   node bench/http/run.mjs [--duration 10] [--runs 3] [--connections 50] [--idle 10000]
//                           [--servers node-http,fastify,...] [--no-rss]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { choices, fmt, median, positive } from '../lib/cli.mjs';
import { cpuSeconds } from '../lib/process-cpu.mjs';

const here = dirname(fileURLToPath(import.meta.url));

const duration = positive('duration', 10);
const runs = positive('runs', 3);
const connections = positive('connections', 50);
const idleCount = positive('idle', 10_000);
const measureRss = !process.argv.includes('--no-rss');
const ALL = ['c-epoll', 'node-http', 'fastify', 'hono', 'zephyr-node', 'zephyr-uring'];
const chosen = choices('servers', ALL);

const MODES = [
  { name: 'GET /', args: [], path: '/' },
  { name: 'GET / pipelined x16', args: ['-s', join(here, 'pipeline.lua')], path: '/' },
  { name: 'POST /echo 1 KiB', args: ['-s', join(here, 'echo.lua')], path: '/echo' },
];

// 10k idle connections need more descriptors than the usual soft limit of 1024; take 20000, or
// as many as the hard limit allows (the RSS table then shows how many were answered).
const RAISE_FD_LIMIT = 'ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"';

function command(name) {
  if (name === 'c-epoll') {
    const out = join(mkdtempSync(join(tmpdir(), 'zephyr-bench-')), 'responder');
    execFileSync('cc', ['-O2', '-o', out, join(here, 'servers/c-epoll/responder.c')], { stdio: 'inherit' });
    return [out];
  }
  return [process.execPath, join(here, `servers/${name}.mjs`)];
}

/** Starts a server on core 0 with room for 20k descriptors; resolves once it answers. */
async function startServer(name, port) {
  const argv = command(name)
    .map((a) => `'${a}'`)
    .join(' ');
  const child = spawn('bash', ['-c', `${RAISE_FD_LIMIT}; exec taskset -c 0 ${argv}`], {
    env: { ...process.env, PORT: String(port), ZEPHYR_IO_ENGINE: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout.resume();
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      if ((await res.text()) === 'Hello, World!') return child;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  child.kill();
  throw new Error(`${name} did not answer on port ${port}`);
}

function wrk(port, mode, seconds) {
  const out = execFileSync(
    'taskset',
    [
      '-c',
      '1',
      'wrk',
      '-t1',
      `-c${connections}`,
      `-d${seconds}s`,
      ...mode.args,
      `http://127.0.0.1:${port}${mode.path}`,
    ],
    { encoding: 'utf8' },
  );
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const count = Number(/(\d+) requests in/.exec(out)?.[1]);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1];
  const errors = /Socket errors: (.*)/.exec(out)?.[1];
  if (non2xx || !Number.isFinite(rps))
    throw new Error(`wrk failed (${mode.name}): non2xx=${non2xx} ${errors ?? ''}\n${out}`);
  return { rps, count };
}

/** One measured pass: requests/s, and the server's CPU µs per request. */
function measure(server, mode, seconds) {
  const before = cpuSeconds(server.child.pid);
  const { rps, count } = wrk(server.port, mode, seconds);
  return { rps, cpuUs: ((cpuSeconds(server.child.pid) - before) * 1e6) / count };
}

function rssKiB(pid) {
  // The server is bash's exec'd child: same pid.
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
}

/** Opens `idleCount` idle keep-alive connections from a separate process; returns the server's RSS. */
async function rssWithIdle(pid, port) {
  const client = spawn(
    'bash',
    ['-c', `${RAISE_FD_LIMIT}; exec taskset -c 1 '${process.execPath}' '${join(here, 'idle-client.mjs')}'`],
    {
      env: { ...process.env, PORT: String(port), COUNT: String(idleCount) },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  let out = '';
  client.stdout.setEncoding('utf8').on('data', (d) => {
    out += d;
  });
  const deadline = Date.now() + 120_000;
  while (!out.includes('ready') && Date.now() < deadline && client.exitCode === null) await sleep(100);
  const [, answered = '0', failed = '0'] = /ready (\d+) (\d+)/.exec(out) ?? [];
  await sleep(1000); // let the server settle (GC, freed parse buffers) before reading RSS
  const rss = rssKiB(pid);
  client.stdin.end();
  await new Promise((resolve) => client.once('exit', resolve));
  return { rss, answered: Number(answered), failed: Number(failed) };
}

console.log(
  `# bench/http — wrk -t1 -c${connections} -d${duration}s, ${runs} runs (median), server on core 0, wrk on core 1`,
);
console.log(`# node ${process.version}, ${execFileSync('uname', ['-sr'], { encoding: 'utf8' }).trim()}`);
const servers = [];
let port = 4100;
for (const name of chosen) {
  const p = port++;
  servers.push({ name, port: p, child: await startServer(name, p), results: new Map(), cpu: new Map() });
}
try {
  // One warm-up pass (JIT, caches, connection pools), then interleaved measured rounds.
  for (const s of servers) for (const mode of MODES) wrk(s.port, mode, 2);
  for (let r = 0; r < runs; r++) {
    for (const mode of MODES) {
      for (const s of servers) {
        const { rps, cpuUs } = measure(s, mode, duration);
        s.results.set(mode.name, [...(s.results.get(mode.name) ?? []), rps]);
        s.cpu.set(mode.name, [...(s.cpu.get(mode.name) ?? []), cpuUs]);
        process.stderr.write(
          `run ${r + 1}/${runs} ${mode.name.padEnd(20)} ${s.name.padEnd(13)} ${fmt(rps)} req/s, server CPU ${cpuUs.toFixed(2)} µs/req\n`,
        );
      }
    }
  }
  for (const mode of MODES) {
    const base = servers.find((s) => s.name === 'node-http');
    const ceiling = servers.find((s) => s.name === 'c-epoll');
    const med = (s) => median(s.results.get(mode.name));
    console.log(`\n## ${mode.name}\n`);
    console.log(
      '| server | req/s (median) | runs | vs node:http | vs C epoll | server CPU µs/req (median) |',
    );
    console.log('|---|---:|---|---:|---:|---:|');
    for (const s of [...servers].sort((a, b) => med(b) - med(a))) {
      const all = s.results.get(mode.name).map(fmt).join(' / ');
      const vsNode = base ? `${(med(s) / med(base)).toFixed(2)}x` : 'n/a';
      const vsC = ceiling ? `${(med(s) / med(ceiling)).toFixed(2)}x` : 'n/a';
      const cpu = median(s.cpu.get(mode.name)).toFixed(2);
      console.log(`| ${s.name} | ${fmt(med(s))} | ${all} | ${vsNode} | ${vsC} | ${cpu} |`);
    }
  }
  if (measureRss) {
    console.log(`\n## RSS with ${fmt(idleCount)} idle keep-alive connections\n`);
    console.log('| server | RSS idle (MiB) | RSS with connections (MiB) | KiB per connection | answered |');
    console.log('|---|---:|---:|---:|---:|');
    for (const s of servers) {
      const before = rssKiB(s.child.pid);
      const { rss, answered, failed } = await rssWithIdle(s.child.pid, s.port);
      const perConn = (rss - before) / Math.max(1, answered);
      console.log(
        `| ${s.name} | ${(before / 1024).toFixed(1)} | ${(rss / 1024).toFixed(1)} | ${perConn.toFixed(1)} | ${answered}${failed ? ` (${failed} failed)` : ''} |`,
      );
    }
  }
} finally {
  for (const s of servers) s.child.kill('SIGKILL');
}

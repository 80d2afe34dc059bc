// HTTP/2 benchmark with h2load (Debian nghttp2-client): Zephyr over h2c and over TLS, node:http2
// (core API), Fastify with `http2: true`, and nghttpd (Debian nghttp2-server, the native
// reference), side by side in one run. Each server is pinned to core 0 and h2load to core 1;
// rounds interleave servers; the tables show medians and ratios to node:http2 and to nghttpd
// over the same transport. Zephyr serves HTTP/2 on whichever engine can (`auto`).
//
//   node bench/http2/run.mjs [--duration 10] [--runs 3] [--clients 50] [--streams 16]
//                            [--servers zephyr-h2c,node-http2,...]
// scripts/h2-tools.sh installs h2load and nghttpd.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:http2';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { selfSignedCertificate } from '../../scripts/self-signed-cert.mjs';
import { choices, median, positive } from '../lib/cli.mjs';

const here = dirname(fileURLToPath(import.meta.url));

const duration = positive('duration', 10);
const runs = positive('runs', 3);
const clients = positive('clients', 50);
const streams = positive('streams', 16);

// One certificate for every TLS server, and nghttpd's document root holding `/`.
const work = mkdtempSync(join(tmpdir(), 'zephyr-bench-h2-'));
const cert = join(work, 'cert.pem');
const key = join(work, 'key.pem');
selfSignedCertificate({ cert, key, days: 30 });
writeFileSync(join(work, 'index.html'), 'Hello, World!');
const body = join(work, 'body-1k.bin');
writeFileSync(body, Buffer.alloc(1024, 0x61));

const node = (file) => [process.execPath, join(here, 'servers', file)];
const TLS_ENV = { TLS_CERT: cert, TLS_KEY: key };
/** Every contestant: how to start it, over which transport, and whether it echoes POST bodies. */
const SERVERS = {
  'zephyr-h2c': { tls: false, argv: () => node('zephyr-h2c.mjs'), env: {} },
  'node-http2': { tls: false, argv: () => node('node-http2.mjs'), env: {} },
  'fastify-h2': { tls: false, argv: () => node('fastify-h2.mjs'), env: {} },
  nghttpd: {
    tls: false,
    argv: (port) => ['nghttpd', '--no-tls', '-d', work, String(port)],
    env: {},
    echo: false,
  },
  'zephyr-h2': { tls: true, argv: () => node('zephyr-h2.mjs'), env: TLS_ENV },
  'node-http2-tls': { tls: true, argv: () => node('node-http2.mjs'), env: TLS_ENV },
  'fastify-h2-tls': { tls: true, argv: () => node('fastify-h2.mjs'), env: TLS_ENV },
  'nghttpd-tls': {
    tls: true,
    argv: (port) => ['nghttpd', '-d', work, String(port), key, cert],
    env: {},
    echo: false,
  },
};
const chosen = choices('servers', Object.keys(SERVERS));

const MODES = [
  { name: 'GET /', path: '/', args: [] },
  // text/plain: fastify echoes it as parsed text (it refuses octet-stream without a parser).
  {
    name: 'POST /echo 1 KiB',
    path: '/echo',
    args: ['-d', body, '-H', 'content-type: text/plain'],
    echo: true,
  },
];

/** Answers `GET /` over HTTP/2 (h2c or h2)? */
function answers(port, tls) {
  return new Promise((resolve) => {
    const session = connect(`${tls ? 'https' : 'http'}://127.0.0.1:${port}`, { rejectUnauthorized: false });
    session.on('error', () => resolve(false));
    const stream = session.request({ ':path': '/' });
    let text = '';
    stream.on('data', (chunk) => {
      text += chunk;
    });
    stream.on('error', () => resolve(false));
    stream.on('end', () => {
      session.close();
      resolve(text.trim() === 'Hello, World!');
    });
  });
}

/** A port nothing listens on now (other benchmarks or tests may hold fixed ones). */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function startServer(name, port) {
  const spec = SERVERS[name];
  const child = spawn('taskset', ['-c', '0', ...spec.argv(port)], {
    env: { ...process.env, ...spec.env, PORT: String(port), ZEPHYR_IO_ENGINE: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout.resume();
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    if (await answers(port, spec.tls)) return child;
    await sleep(100);
  }
  child.kill();
  throw new Error(`${name} did not answer on port ${port}`);
}

function h2load(port, tls, mode, seconds, warmUp = false) {
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}${mode.path}`;
  const args = [
    '-c',
    '1',
    'h2load',
    '-t',
    '1',
    '-c',
    String(clients),
    '-m',
    String(streams),
    '-D',
    String(seconds),
    ...mode.args,
    url,
  ];
  let out;
  try {
    // h2load waits for every stream in flight when its duration ends; a server that never
    // answers one must not hang the whole run.
    out = execFileSync('taskset', args, {
      encoding: 'utf8',
      timeout: (seconds + 20) * 1000,
      killSignal: 'SIGKILL',
    });
  } catch (err) {
    if (err.signal !== 'SIGKILL') throw err;
    process.stderr.write(`h2load did not finish (${mode.name} on ${url}); counted as hung\n`);
    return Number.NaN;
  }
  const rps = Number(/finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(out)?.[1]);
  const [, done, ok] = /requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded/.exec(out) ?? [];
  if (!Number.isFinite(rps) || done !== ok || (!warmUp && Number(ok) === 0))
    throw new Error(`h2load failed (${mode.name} on ${url}):\n${out}`);
  return rps;
}

const fmt = (n) => (Number.isNaN(n) ? 'hung' : Math.round(n).toLocaleString('en-US'));
const h2loadVersion = /h2load nghttp2\/([\d.]+)/.exec(
  execFileSync('h2load', ['--version'], { encoding: 'utf8' }),
)?.[1];

console.log(
  `# bench/http2 — h2load -t1 -c${clients} -m${streams} -D${duration}, ${runs} runs (median), server on core 0, h2load on core 1`,
);
console.log(
  `# node ${process.version}, h2load ${h2loadVersion}, ${execFileSync('uname', ['-sr'], { encoding: 'utf8' }).trim()}`,
);
const servers = [];
for (const name of chosen) {
  const p = await freePort();
  const child = await startServer(name, p);
  servers.push({ name, port: p, child, ...SERVERS[name], results: new Map() });
}
const serves = (s, mode) => !mode.echo || s.echo !== false;
try {
  for (const s of servers)
    for (const mode of MODES) if (serves(s, mode)) h2load(s.port, s.tls, mode, 2, true);
  for (let r = 0; r < runs; r++) {
    for (const mode of MODES) {
      for (const s of servers) {
        if (!serves(s, mode)) continue;
        const rps = h2load(s.port, s.tls, mode, duration);
        s.results.set(mode.name, [...(s.results.get(mode.name) ?? []), rps]);
        process.stderr.write(
          `run ${r + 1}/${runs} ${mode.name.padEnd(18)} ${s.name.padEnd(15)} ${fmt(rps)} req/s\n`,
        );
      }
    }
  }
  for (const mode of MODES) {
    for (const tls of [false, true]) {
      const group = servers.filter((s) => s.tls === tls && s.results.has(mode.name));
      if (group.length === 0) continue;
      const med = (s) => median(s.results.get(mode.name));
      const base = group.find((s) => s.name.startsWith('node-http2'));
      const native = group.find((s) => s.name.startsWith('nghttpd'));
      console.log(`\n## ${mode.name} over ${tls ? 'h2 (TLS)' : 'h2c'}\n`);
      console.log('| server | req/s (median) | runs | vs node:http2 | vs nghttpd |');
      console.log('|---|---:|---|---:|---:|');
      for (const s of [...group].sort((a, b) => med(b) - med(a))) {
        const all = s.results.get(mode.name).map(fmt).join(' / ');
        const vsNode = base ? `${(med(s) / med(base)).toFixed(2)}x` : 'n/a';
        const vsNative = native ? `${(med(s) / med(native)).toFixed(2)}x` : 'n/a';
        console.log(`| ${s.name} | ${fmt(med(s))} | ${all} | ${vsNode} | ${vsNative} |`);
      }
    }
  }
  console.log('\nnghttpd serves files only: it has no POST /echo row.');
} finally {
  for (const s of servers) s.child.kill('SIGKILL');
}

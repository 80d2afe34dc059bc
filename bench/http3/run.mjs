// HTTP/3 benchmark: HTTP/3 vs HTTP/2 over TLS vs HTTP/1.1 over TLS on the same Zephyr app (one
// process, UDP and TCP on one port), and the same against Caddy, the server users would pick for
// HTTP/3 — side by side in one run. One load client speaks all three protocols (load/, quinn + h3
// and hyper + rustls on one thread), so the ratios compare protocols and servers, not tools:
// Debian's h2load has no HTTP/3. Each server is pinned to core 0 and the client to core 1;
// rounds interleave servers and protocols; tables show medians, ratios, and the server's CPU time
// per request or transfer (on a loaded machine the rates mostly measure the scheduler, the CPU
// cost far less so).
//
//   node bench/http3/run.mjs [--duration 10] [--runs 3] [--connections 4] [--streams 32]
//                            [--count 5] [--servers zephyr,caddy] [--protocols h3,h2,h1]
//                            [--h2load]
//
// Two measures: requests/s of `GET /` over --connections connections with --streams requests in
// flight on each (HTTP/1.1: connections x streams connections, one request each, the same
// concurrency); and the time of one 10 MiB GET (--count sequential ones on one connection,
// median). The load client and Caddy are built on first run into ~/.cache/zephyr (cargo; go).
// --h2load adds rows measured by Debian's h2load (HTTP/2 and HTTP/1.1 over TLS, same concurrency):
// a cross-check of the load client against a tool everyone knows.
import { execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { selfSignedCertificate } from '../../scripts/self-signed-cert.mjs';
import { cargoTool } from '../lib/cargo-tool.mjs';
import { choices, fmt, median, positive } from '../lib/cli.mjs';
import { cpuSeconds } from '../lib/process-cpu.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const duration = positive('duration', 10);
const runs = positive('runs', 3);
const connections = positive('connections', 4);
const streams = positive('streams', 32);
const count = positive('count', 5);
const SERVERS = ['zephyr', 'caddy'];
const PROTOCOLS = ['h3', 'h2', 'h1'];
const chosenServers = choices('servers', SERVERS);
const protocols = choices('protocols', PROTOCOLS);
const withH2load = process.argv.includes('--h2load');

const CACHE = join(homedir(), '.cache', 'zephyr');
const TRANSFER_BYTES = 10 << 20;
const TRANSFER_PATH = `/bytes/${TRANSFER_BYTES}`;
const CADDY_VERSION = 'v2.11.9';
const CADDY = join(CACHE, `caddy-${CADDY_VERSION}`, 'caddy');

/** Runs `argv`, printing how long it took; returns false (with the reason) if it failed. */
function timed(what, argv, options) {
  const started = Date.now();
  process.stderr.write(`${what}…\n`);
  try {
    execFileSync(argv[0], argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit'], ...options });
  } catch (err) {
    process.stderr.write(
      `${what} failed after ${Math.round((Date.now() - started) / 1000)} s: ${err.message}\n`,
    );
    return false;
  }
  process.stderr.write(`${what}: done in ${Math.round((Date.now() - started) / 1000)} s\n`);
  return true;
}

/** Caddy, pinned, built with `go install` into the cache when missing; null if it cannot be. */
function caddy() {
  if (existsSync(CADDY)) return CADDY;
  const ok = timed(
    `building Caddy ${CADDY_VERSION} with go install (once; ~7 min cold on 2 busy cores)`,
    ['go', 'install', `github.com/caddyserver/caddy/v2/cmd/caddy@${CADDY_VERSION}`],
    { env: { ...process.env, GOBIN: dirname(CADDY) }, timeout: 30 * 60_000 },
  );
  return ok && existsSync(CADDY) ? CADDY : null;
}

/** A port free for both TCP and UDP on 127.0.0.1 (HTTP/3 and HTTPS share its number). */
async function freePort() {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen(0, '127.0.0.1', () => {
        const { port: p } = probe.address();
        probe.close(() => resolve(p));
      });
    });
    const udpFree = await new Promise((resolve) => {
      const socket = createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
}

const work = mkdtempSync(join(tmpdir(), 'zephyr-bench-h3-'));
const TLS_CERT = join(work, 'cert.pem');
const TLS_KEY = join(work, 'key.pem');
selfSignedCertificate({ cert: TLS_CERT, key: TLS_KEY, days: 30 });
// Caddy's copy of `/bytes/10485760`: the bytes Zephyr's route makes (`a`..`z` repeating).
mkdirSync(join(work, 'bytes'));
writeFileSync(
  join(work, 'bytes', String(TRANSFER_BYTES)),
  Buffer.from(Array.from({ length: TRANSFER_BYTES }, (_, i) => 0x61 + (i % 26))),
);

function command(name, port) {
  if (name === 'zephyr') return [process.execPath, join(here, 'servers', 'zephyr-h3.mjs')];
  const config = join(work, `Caddyfile-${port}`);
  writeFileSync(
    config,
    readFileSync(join(here, 'servers', 'Caddyfile.template'), 'utf8')
      .replaceAll('@PORT@', String(port))
      .replaceAll('@CERT@', TLS_CERT)
      .replaceAll('@KEY@', TLS_KEY)
      .replaceAll('@ROOT@', work),
  );
  return [CADDY, 'run', '--config', config, '--adapter', 'caddyfile'];
}

/** One run of the load client on core 1: its JSON result, or null (with the reason on stderr). */
function load(tool, port, protocol, args, seconds) {
  const argv = ['-c', '1', tool, '--proto', protocol, '--addr', `127.0.0.1:${port}`, ...args];
  try {
    return JSON.parse(
      execFileSync('taskset', argv, {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        // The client reports a hang itself after 30 s; this is the last resort.
        timeout: (seconds + 60) * 1000,
        killSignal: 'SIGKILL',
      }),
    );
  } catch (err) {
    process.stderr.write(
      `load client failed (${protocol} on ${port}): ${err.stderr?.trim() || err.message}\n`,
    );
    return null;
  }
}

/**
 * One h2load run on core 1 with the load client's concurrency (`--h1` for HTTP/1.1), in its
 * result shape; the client CPU is read from the shell that waited for it (cutime + cstime).
 */
function h2load(port, protocol, seconds) {
  const [c, m] = protocol === 'h1' ? [connections * streams, 1] : [connections, streams];
  const args = [
    ...(protocol === 'h1' ? ['--h1'] : []),
    '-t1',
    `-c${c}`,
    `-m${m}`,
    `-D${seconds}`,
    `https://127.0.0.1:${port}/`,
  ];
  let out;
  try {
    out = execFileSync(
      'bash',
      ['-c', 'taskset -c 1 h2load "$@" || exit; cat /proc/$$/stat', 'h2load', ...args],
      {
        encoding: 'utf8',
        timeout: (seconds + 60) * 1000,
        killSignal: 'SIGKILL',
      },
    );
  } catch (err) {
    process.stderr.write(`h2load failed (${protocol} on ${port}): ${err.message}\n`);
    return null;
  }
  const rps = Number(/finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(out)?.[1]);
  const [, done, ok] = /requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded/.exec(out) ?? [];
  const stat = out.slice(out.lastIndexOf(') ') + 2).split(' ');
  // cutime and cstime: fields 16 and 17 of stat(5), counted after the ") "; USER_HZ is 100.
  const clientCpu = (Number(stat[13]) + Number(stat[14])) / 100;
  return {
    rps,
    requests: Number(ok),
    errors: Number(done) - Number(ok),
    first_error: null,
    bytes: Number(ok) * 13,
    p50_us: Number.NaN,
    p99_us: Number.NaN,
    seconds,
    client_cpu_s: clientCpu,
  };
}

/** Starts a server on core 0; resolves once it answers `GET /` over HTTP/2 and HTTP/3. */
async function startServer(tool, name, port) {
  const argv = command(name, port);
  const child = spawn('taskset', ['-c', '0', ...argv], {
    env: {
      ...process.env,
      PORT: String(port),
      TLS_CERT,
      TLS_KEY,
      ZEPHYR_IO_ENGINE: '',
      // Caddy keeps its state (none here: admin and autosave are off) under these.
      XDG_DATA_HOME: join(work, 'xdg-data'),
      XDG_CONFIG_HOME: join(work, 'xdg-config'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (chunk) => {
    log = (log + chunk).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${log}`);
    // TCP first: a refused connection fails at once, while a QUIC handshake to a port not yet
    // bound would wait for its idle timeout.
    const ready = ['h2', 'h3'].every((p) => {
      const r = load(tool, port, p, ['--transfer', '--count', '1', '--path', '/'], 5);
      return r?.bytes === 'Hello, World!'.length;
    });
    if (ready) return child;
    await sleep(200);
  }
  child.kill('SIGKILL');
  throw new Error(`${name} did not answer on port ${port}:\n${log}`);
}

async function stopServer(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  if ((await Promise.race([exited, sleep(3000).then(() => 'late')])) === 'late') child.kill('SIGKILL');
}

/** The protocols measured in `mode`, plus the h2load cross-check rows of requests/s. */
const rowsOf = (mode) =>
  mode.key === 'rps' && withH2load
    ? [...protocols, ...protocols.filter((p) => p !== 'h3').map((p) => `h2load-${p}`)]
    : protocols;

const MODES = [
  {
    key: 'rps',
    title: `GET / — requests/s, ${connections} connections x ${streams} streams (HTTP/1.1: ${connections * streams} connections)`,
    args: (protocol, seconds) =>
      protocol === 'h1'
        ? [
            '--connections',
            String(connections * streams),
            '--streams',
            '1',
            '--duration',
            String(seconds),
            '--path',
            '/',
          ]
        : [
            '--connections',
            String(connections),
            '--streams',
            String(streams),
            '--duration',
            String(seconds),
            '--path',
            '/',
          ],
    seconds: duration,
    /** The figure of merit (higher is better) and what the server's CPU is divided by. */
    rate: (r) => r.rps,
    units: (r) => r.requests,
    check: (r) =>
      r.errors > 0
        ? `${r.errors} errors (first: ${r.first_error})`
        : r.bytes === r.requests * 13
          ? null
          : 'wrong body length',
  },
  {
    key: 'transfer',
    title: `GET ${TRANSFER_PATH} — time per 10 MiB transfer (${count} sequential on one connection, median)`,
    args: () => ['--transfer', '--count', String(count), '--path', TRANSFER_PATH],
    seconds: 30 * (count + 1),
    // Transfers per second of one connection: higher is better, like requests/s.
    rate: (r) => 1000 / r.median_ms,
    units: (r) => r.count + 1,
    check: (r) => (r.bytes === TRANSFER_BYTES ? null : `${r.bytes} bytes instead of ${TRANSFER_BYTES}`),
  },
];

/** One measured pass: the rate, the server's CPU per unit, the client's CPU share and latencies. */
function measure(tool, server, protocol, mode, seconds) {
  const before = cpuSeconds(server.child.pid);
  const r = protocol.startsWith('h2load-')
    ? h2load(server.port, protocol.slice('h2load-'.length), seconds)
    : load(tool, server.port, protocol, mode.args(protocol, seconds), seconds);
  if (r === null) return null;
  const problem = mode.check(r);
  if (problem) process.stderr.write(`${server.name} ${protocol} ${mode.key}: ${problem}\n`);
  const cpu = cpuSeconds(server.child.pid) - before;
  return { ...r, rate: mode.rate(r), serverCpuPerUnit: cpu / mode.units(r), problem };
}

const tool = cargoTool({
  manifest: join(here, 'load', 'Cargo.toml'),
  target: 'h3-load-target',
  bin: 'zephyr-bench-h3-load',
});
const servers = [];
for (const name of chosenServers) {
  if (name === 'caddy' && caddy() === null) {
    process.stderr.write('Caddy is not available (see above): its rows are skipped\n');
    continue;
  }
  servers.push({ name, results: new Map() });
}

const kernel = execFileSync('uname', ['-sr'], { encoding: 'utf8' }).trim();
console.log(
  `# bench/http3 — ${runs} runs (median), ${duration} s each for requests/s; server on core 0, load client (bench/http3/load, one thread) on core 1`,
);
console.log(
  `# node ${process.version}, ${kernel}; Caddy ${CADDY_VERSION} (built with ${execFileSync('go', ['version'], { encoding: 'utf8' }).trim()})`,
);
try {
  for (const s of servers) {
    s.port = await freePort();
    s.child = await startServer(tool, s.name, s.port);
  }
  // Warm-up (JIT, caches, congestion windows of nothing yet): short, and a failure is only noted.
  for (const s of servers)
    for (const protocol of protocols)
      for (const mode of MODES)
        load(
          tool,
          s.port,
          protocol,
          mode.key === 'rps'
            ? mode.args(protocol, 2)
            : ['--transfer', '--count', '1', '--path', TRANSFER_PATH],
          30,
        );
  for (let run = 0; run < runs; run++) {
    for (const mode of MODES) {
      for (const protocol of rowsOf(mode)) {
        for (const s of servers) {
          const m = measure(tool, s, protocol, mode, mode.seconds);
          const key = `${mode.key} ${protocol}`;
          s.results.set(key, [...(s.results.get(key) ?? []), m]);
          const said =
            m === null
              ? 'failed'
              : mode.key === 'rps'
                ? `${fmt(m.rate)} req/s, p99 ${Number.isFinite(m.p99_us) ? (m.p99_us / 1000).toFixed(1) : '—'} ms, server CPU ${(m.serverCpuPerUnit * 1e6).toFixed(1)} µs/req, client CPU ${((m.client_cpu_s / m.requests) * 1e6).toFixed(1)} µs/req (${Math.round((m.client_cpu_s / m.seconds) * 100)}% of its core)`
                : `${m.median_ms.toFixed(1)} ms per 10 MiB, server CPU ${(m.serverCpuPerUnit * 1e3).toFixed(1)} ms each`;
          process.stderr.write(
            `run ${run + 1}/${runs} ${mode.key.padEnd(8)} ${protocol.padEnd(9)} ${s.name.padEnd(7)} ${said}\n`,
          );
        }
      }
    }
  }
} finally {
  await Promise.all(servers.filter((s) => s.child).map((s) => stopServer(s.child)));
}

/** The median of one field over the passes that finished; NaN if none did. */
const med = (s, key, field) =>
  median((s.results.get(key) ?? []).map((m) => (m === null ? Number.NaN : m[field])));
const ratio = (a, b) =>
  Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a';
const caddyServer = servers.find((s) => s.name === 'caddy');

for (const mode of MODES) {
  console.log(`\n## ${mode.title}\n`);
  if (mode.key === 'rps') {
    console.log(
      '| server | protocol | req/s (median) | runs | p50 ms | p99 ms | vs its h2 | vs its h1 | vs Caddy, same protocol | server CPU µs/req | client CPU µs/req | client CPU share |',
    );
    console.log('|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  } else {
    console.log(
      '| server | protocol | ms per 10 MiB (median) | runs | MiB/s | speed vs its h2 | speed vs its h1 | speed vs Caddy, same protocol | server CPU ms per transfer |',
    );
    console.log('|---|---|---:|---|---:|---:|---:|---:|---:|');
  }
  for (const s of servers) {
    for (const protocol of rowsOf(mode)) {
      const key = `${mode.key} ${protocol}`;
      const rate = med(s, key, 'rate');
      const all = (s.results.get(key) ?? [])
        .map((m) => (m === null ? 'failed' : mode.key === 'rps' ? fmt(m.rate) : m.median_ms.toFixed(0)))
        .join(' / ');
      // An h2load row compares with the load client on the same protocol, in that protocol's column.
      const base = protocol.startsWith('h2load-') ? protocol.slice('h2load-'.length) : null;
      const vs = (p) => (base === null || base === p ? ratio(rate, med(s, `${mode.key} ${p}`, 'rate')) : '—');
      const vsH2 = vs('h2');
      const vsH1 = vs('h1');
      const vsCaddy = caddyServer && caddyServer !== s ? ratio(rate, med(caddyServer, key, 'rate')) : 'n/a';
      const ms = (us) => (Number.isFinite(us) ? (us / 1000).toFixed(2) : '—');
      if (mode.key === 'rps') {
        const clientShare = med(s, key, 'client_cpu_s') / duration;
        const clientPerRequest = median(
          (s.results.get(key) ?? []).map((m) => (m === null ? Number.NaN : m.client_cpu_s / m.requests)),
        );
        console.log(
          `| ${s.name} | ${protocol} | ${Number.isFinite(rate) ? fmt(rate) : 'failed'} | ${all} | ${ms(med(s, key, 'p50_us'))} | ${ms(med(s, key, 'p99_us'))} | ${vsH2} | ${vsH1} | ${vsCaddy} | ${(med(s, key, 'serverCpuPerUnit') * 1e6).toFixed(1)} | ${(clientPerRequest * 1e6).toFixed(1)} | ${Math.round(clientShare * 100)}% |`,
        );
      } else {
        const ms = med(s, key, 'median_ms');
        console.log(
          `| ${s.name} | ${protocol} | ${Number.isFinite(ms) ? ms.toFixed(1) : 'failed'} | ${all} | ${(TRANSFER_BYTES / (1 << 20) / (ms / 1000)).toFixed(0)} | ${vsH2} | ${vsH1} | ${vsCaddy} | ${(med(s, key, 'serverCpuPerUnit') * 1e3).toFixed(1)} |`,
        );
      }
    }
  }
}
if (withH2load)
  console.log(
    '\nh2load-h2 and h2load-h1 rows: Debian\'s h2load at the same concurrency against the same server (it reports no percentiles); their "vs its h2/h1" compare h2load with the load client.',
  );
const problems = servers.flatMap((s) => [...s.results.values()].flat().filter((m) => m?.problem));
if (problems.length > 0) console.log(`\n${problems.length} pass(es) had errors or wrong bodies: see stderr.`);
console.log(
  '\nRatios are of throughput (requests/s, transfers/s): above 1x is faster. "client CPU share" is the load client\'s share of its core during the run: near 100% it, not the server, set the pace. CPU times are user + system from /proc (10 ms ticks).',
);

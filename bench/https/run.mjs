// HTTPS benchmark: every server side by side in one run, each pinned to core 0 and the client to
// core 1, rounds interleaved. Three measures: keep-alive requests/s (wrk over TLS); new
// handshakes/s (`openssl s_time -new`: one client, a full handshake per connection, never
// resumed — wrk with `Connection: close` stalls on TLS 1.3 reconnects, so it is not used); and
// 1 MiB sendFile throughput (MiB/s). Ratios are to node:https and to nginx. Each row also gives
// the server's CPU time (user + system, every thread and child process) per request, handshake or
// MiB: on a loaded machine the rates mostly measure the scheduler, the CPU cost far less so.
//
//   node bench/https/run.mjs [--duration 10] [--runs 3] [--connections 50]
//                            [--servers zephyr-uring,zephyr-uring-ktls,node-https,fastify-https,nginx]
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { selfSignedCertificate } from '../../scripts/self-signed-cert.mjs';
import { choices, fmt, median, positive } from '../lib/cli.mjs';
import { cpuSeconds } from '../lib/process-cpu.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const duration = positive('duration', 10);
const runs = positive('runs', 3);
const connections = positive('connections', 50);
const ALL = ['zephyr-uring', 'zephyr-uring-ktls', 'node-https', 'fastify-https', 'nginx'];
const chosen = choices('servers', ALL);

const MiB = 1 << 20;
const MODES = [
  { name: 'keep-alive GET /', path: '/', args: [], unit: 'req/s' },
  { name: 'new handshakes (s_time -new)', client: 's_time', unit: 'handshakes/s' },
  { name: 'sendFile 1 MiB', path: '/file', args: [], unit: 'MiB/s', connections: 8, scale: 1 },
];

const dir = mkdtempSync(join(tmpdir(), 'zephyr-bench-https-'));
const CERT = join(dir, 'cert.pem');
const KEY = join(dir, 'key.pem');
const FILE = join(dir, 'file.bin');
selfSignedCertificate({ cert: CERT, key: KEY, san: 'IP:127.0.0.1' });
writeFileSync(FILE, Buffer.alloc(MiB, 'z'));
// nginx's workers drop to an unprivileged user: they must be able to reach the file.
chmodSync(dir, 0o755);
chmodSync(FILE, 0o644);

/** The kernel's reason when it has no TLS offload (the engine's own probe says the same). */
function kernelTlsNote() {
  return existsSync('/proc/net/tls_stat')
    ? 'the kernel has the tls module, but the io_uring engine does not hand it the keys yet: rustls in user space'
    : 'no tls ULP on this kernel (/proc/net/tls_stat absent): rustls in user space';
}

function nginxCommand(port) {
  if (!existsSync('/usr/sbin/nginx')) {
    // Debian's nginx, installed once if missing (the bench's only system dependency besides wrk).
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'nginx'], { stdio: 'inherit' });
  }
  const prefix = join(dir, `nginx-${port}`);
  mkdirSync(prefix, { recursive: true });
  const conf = readFileSync(join(here, 'servers/nginx.conf.template'), 'utf8')
    .replaceAll('@DIR@', prefix)
    .replaceAll('@PORT@', String(port))
    .replaceAll('@CERT@', CERT)
    .replaceAll('@KEY@', KEY)
    .replaceAll('@FILE@', FILE);
  writeFileSync(join(prefix, 'nginx.conf'), conf);
  return ['/usr/sbin/nginx', '-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log')];
}

function command(name, port) {
  if (name === 'nginx') return nginxCommand(port);
  const script = name === 'zephyr-uring-ktls' ? 'zephyr-uring' : name;
  return [process.execPath, join(here, `servers/${script}.mjs`)];
}

/** Starts a server on core 0; resolves once it answers over TLS. */
async function startServer(name, port) {
  const argv = command(name, port)
    .map((a) => `'${a}'`)
    .join(' ');
  const child = spawn('bash', ['-c', `ulimit -n 20000 2>/dev/null; exec taskset -c 0 ${argv}`], {
    env: {
      ...process.env,
      PORT: String(port),
      CERT,
      KEY,
      FILE,
      KERNEL_TLS: name === 'zephyr-uring-ktls' ? '1' : '0',
      ZEPHYR_IO_ENGINE: '',
      NODE_TLS_REJECT_UNAUTHORIZED: '0',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout.resume();
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    try {
      const out = execFileSync('curl', ['-sk', '--max-time', '2', `https://127.0.0.1:${port}/`], {
        encoding: 'utf8',
      });
      if (out === 'Hello, World!') return child;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  await stopServer(child);
  throw new Error(`${name} did not answer on port ${port}`);
}

/** SIGTERM (nginx's master then stops its workers, which a SIGKILL would orphan), then SIGKILL. */
async function stopServer(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  if ((await Promise.race([exited, sleep(3000).then(() => 'late')])) === 'late') child.kill('SIGKILL');
}

/** Full handshakes per second from one `openssl s_time -new` client (no resumption). */
function sTime(port, seconds) {
  const started = process.hrtime.bigint();
  const out = execFileSync(
    'taskset',
    ['-c', '1', 'openssl', 's_time', '-connect', `127.0.0.1:${port}`, '-new', '-time', String(seconds)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const count = Number(/(\d+) connections in [\d.]+s;/.exec(out)?.[1]);
  if (!Number.isFinite(count) || count === 0) throw new Error(`s_time failed on port ${port}\n${out}`);
  return { rate: count / wall, count };
}

function wrk(port, mode, seconds) {
  if (mode.client === 's_time') return sTime(port, seconds);
  const out = execFileSync(
    'taskset',
    ['-c', '1', 'wrk', '-t1', `-c${mode.connections ?? connections}`, `-d${seconds}s`, ...mode.args].concat([
      `https://127.0.0.1:${port}${mode.path}`,
    ]),
    { encoding: 'utf8' },
  );
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const count = Number(/(\d+) requests in/.exec(out)?.[1]);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1];
  if (non2xx || !Number.isFinite(rps) || rps === 0)
    throw new Error(`wrk failed (${mode.name}): non2xx=${non2xx}\n${out}`);
  // sendFile: every response is 1 MiB, so responses/s are MiB/s.
  return { rate: rps, count };
}

/** One measured pass: the rate, and the server's CPU µs per request (handshake, MiB). */
function measure(server, mode, seconds) {
  const before = cpuSeconds(server.child.pid);
  const { rate, count } = wrk(server.port, mode, seconds);
  const cpuUs = ((cpuSeconds(server.child.pid) - before) * 1e6) / count;
  return { rate, cpuUs };
}

console.log(
  `# bench/https — wrk -t1 -c${connections} (sendFile: -c8) -d${duration}s, ${runs} runs (median), server on core 0, wrk on core 1`,
);
console.log(`# node ${process.version}, ${execFileSync('uname', ['-sr'], { encoding: 'utf8' }).trim()}`);
if (chosen.includes('zephyr-uring-ktls')) console.log(`# zephyr-uring-ktls: ${kernelTlsNote()}`);
const servers = [];
let port = 4300;
try {
  for (const name of chosen) {
    const p = port++;
    servers.push({ name, port: p, child: await startServer(name, p), results: new Map(), cpu: new Map() });
  }
  // Warm-up (JIT, caches): a loaded machine may starve a 1 s pass; the measured runs still fail loudly.
  for (const s of servers)
    for (const mode of MODES) {
      try {
        wrk(s.port, mode, 1);
      } catch {
        process.stderr.write(`warm-up of ${s.name} (${mode.name}) got nothing through\n`);
      }
    }
  for (let r = 0; r < runs; r++) {
    for (const mode of MODES) {
      for (const s of servers) {
        const { rate, cpuUs } = measure(s, mode, duration);
        s.results.set(mode.name, [...(s.results.get(mode.name) ?? []), rate]);
        s.cpu.set(mode.name, [...(s.cpu.get(mode.name) ?? []), cpuUs]);
        process.stderr.write(
          `run ${r + 1}/${runs} ${mode.name.padEnd(26)} ${s.name.padEnd(18)} ${fmt(rate)} ${mode.unit}, server CPU ${cpuUs.toFixed(1)} µs each\n`,
        );
      }
    }
  }
  for (const mode of MODES) {
    const base = servers.find((s) => s.name === 'node-https');
    const nginx = servers.find((s) => s.name === 'nginx');
    const med = (s) => median(s.results.get(mode.name));
    console.log(`\n## ${mode.name} (${mode.unit})\n`);
    const each = mode.unit.split('/')[0].replace(/s$/, '');
    console.log(
      `| server | ${mode.unit} (median) | runs | vs node:https | vs nginx | server CPU µs per ${each} (median) |`,
    );
    console.log('|---|---:|---|---:|---:|---:|');
    for (const s of [...servers].sort((a, b) => med(b) - med(a))) {
      const all = s.results.get(mode.name).map(fmt).join(' / ');
      const vsNode = base ? `${(med(s) / med(base)).toFixed(2)}x` : 'n/a';
      const vsNginx = nginx ? `${(med(s) / med(nginx)).toFixed(2)}x` : 'n/a';
      const cpu = median(s.cpu.get(mode.name)).toFixed(1);
      console.log(`| ${s.name} | ${fmt(med(s))} | ${all} | ${vsNode} | ${vsNginx} | ${cpu} |`);
    }
  }
} finally {
  await Promise.all(servers.map((s) => stopServer(s.child)));
}

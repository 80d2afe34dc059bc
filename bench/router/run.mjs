// Runs every server in servers/ side by side: each pinned to core 0, wrk pinned to core 1, the
// servers interleaved run by run so drift on this shared machine hits them all alike. Prints
// medians and ratios against Fastify.
//
//   pnpm --filter @zephyr/bench run bench:router      (RUNS=5 DURATION=5 CONNECTIONS=50 to tune)
import { execFileSync, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const servers = ['zephyr-io_uring', 'zephyr-node', 'fastify', 'hono', 'node-http', 'uring-raw'];
const scenarios = [
  ['GET /users/:id (param, JSON)', '/users/42'],
  ['GET /tasks/feeds/latest (static, last of 100)', '/tasks/feeds/latest'],
];
const runs = Number(process.env.RUNS ?? 5);
const duration = Number(process.env.DURATION ?? 5);
const connections = Number(process.env.CONNECTIONS ?? 50);
const basePort = 3400;

async function startServer(name, port) {
  const file = fileURLToPath(new URL(`./servers/${name}.mjs`, import.meta.url));
  const child = spawn('taskset', ['-c', '0', process.execPath, file], {
    env: { ...process.env, PORT: String(port), NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/users/1`);
      await res.arrayBuffer();
      if (res.ok) return child;
    } catch {}
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`${name} did not start`);
}

function wrk(port, path, seconds) {
  const out = execFileSync(
    'taskset',
    ['-c', '1', 'wrk', '-t1', `-c${connections}`, `-d${seconds}s`, `http://127.0.0.1:${port}${path}`],
    { encoding: 'utf8' },
  );
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const [connect, read, write, timeout] = (
    /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out) ?? []
  )
    .slice(1)
    .map(Number);
  if (non2xx > 0 || connect || read || write) {
    throw new Error(
      `wrk saw errors against ${path}: non2xx=${non2xx} connect=${connect} read=${read} write=${write}\n${out}`,
    );
  }
  // wrk's "timeouts" are requests slower than 2 s: reported, not fatal, since on this shared
  // machine a stall of the whole box produces them too.
  if (timeout) console.error(`  (wrk: ${timeout} requests over 2 s against ${path})`);
  return rps;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const results = new Map(); // `${server}|${scenario}` -> rps[]
for (let run = 1; run <= runs; run++) {
  for (const [i, name] of servers.entries()) {
    const port = basePort + i;
    const child = await startServer(name, port);
    try {
      for (const [label, path] of scenarios) {
        wrk(port, path, 2); // warm-up after every (re)start: JIT, caches
        const rps = wrk(port, path, duration);
        const key = `${name}|${label}`;
        results.set(key, [...(results.get(key) ?? []), rps]);
        console.error(`run ${run}/${runs} ${name.padEnd(16)} ${label.padEnd(44)} ${rps.toFixed(0)} req/s`);
      }
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }
}

for (const [label] of scenarios) {
  const base = median(results.get(`fastify|${label}`));
  console.log(`\n${label} — wrk -t1 -c${connections} -d${duration}s, ${runs} runs, median req/s`);
  console.log('| server | median req/s | runs | vs Fastify |');
  console.log('|---|---:|---|---:|');
  for (const name of servers) {
    const xs = results.get(`${name}|${label}`);
    const m = median(xs);
    console.log(
      `| ${name} | ${m.toFixed(0)} | ${xs.map((x) => x.toFixed(0)).join(', ')} | ${(m / base).toFixed(2)}x |`,
    );
  }
}

// Ours − floor, paired: the Zephyr server untraced, 100% sampled (with and without the ring) and
// the floor (the OTel SDK alone making the same span, exported the same way) run AT THE SAME TIME,
// pinned to the same core, each under its own h2load at the same fixed rate, each exporting to a
// collector of its own. Every round starts fresh processes (ports rotated) and warms them at that
// rate; each variant's server CPU per request is then read over the same seconds, so whatever
// else loads the machine (and what the neighbours do to the core's caches) falls on all of them
// alike. run.mjs measures the variants one after another, after a saturated phase: on a loaded
// machine one pair of such runs can differ by a microsecond either way, more than what is measured.
//
//   cd bench && node tracing/paired.mjs      (ROUNDS=9 DURATION=5 RATE=10000 per server to tune)
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { answers, collectorBytes, cpuSeconds, fixedRate, median, path } from './harness.mjs';

/** [label, tracing mode, extra env]; the first is the untraced baseline. */
const variants = [
  ['untraced', 'off', {}],
  ['ours (100% sampled)', 'sampled', {}],
  ['ours, ring off', 'sampled', { ZEPHYR_BENCH_RING: 'off' }],
  ['floor (OTel SDK alone)', 'floor', {}],
];
const OURS = 'ours (100% sampled)';
const NO_RING = 'ours, ring off';
const FLOOR = 'floor (OTel SDK alone)';
const rounds = Number(process.env.ROUNDS ?? 9);
const duration = Number(process.env.DURATION ?? 5);
const rate = Number(process.env.RATE ?? 10_000);
const connections = Number(process.env.CONNECTIONS ?? 50);
const basePort = 3520;

function start(file, core, env) {
  return spawn(
    'taskset',
    ['-c', core, process.execPath, fileURLToPath(new URL(`./${file}.mjs`, import.meta.url))],
    {
      env: { ...process.env, ...env, NODE_ENV: 'production' },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
}

async function until(ready, what) {
  for (let i = 0; i < 100; i++) {
    if (await ready()) return;
    await sleep(100);
  }
  throw new Error(`${what} did not start`);
}

const cpu = new Map(variants.map(([label]) => [label, []]));
const sent = new Map(variants.map(([label]) => [label, []]));
for (let round = 1; round <= rounds; round++) {
  // Ports rotate, so no variant keeps the same place in the kernel's and h2load's order.
  const slots = variants.map((v, i) => ({ v, port: basePort + 2 * ((i + round) % variants.length) }));
  const children = [];
  try {
    for (const s of slots) {
      const collectorPort = s.port + 1;
      s.collectorPort = collectorPort;
      children.push(start('collector', '1', { PORT: String(collectorPort) }));
      const [, mode, env] = s.v;
      s.child = start('servers/zephyr', '0', {
        ...env,
        PORT: String(s.port),
        ZEPHYR_BENCH_TRACING: mode,
        ZEPHYR_BENCH_COLLECTOR: `http://127.0.0.1:${collectorPort}/v1/traces`,
      });
      children.push(s.child);
    }
    for (const s of slots) {
      await until(
        () => answers(`http://127.0.0.1:${s.collectorPort}/v1/traces`, { method: 'POST', body: '' }),
        'collector',
      );
      await until(() => answers(`http://127.0.0.1:${s.port}${path}`), s.v[0]);
    }
    // Warm-up at the same rate (JIT, caches, a batch processor in its steady state).
    await Promise.all(slots.map((s) => fixedRate(s.port, { rate, connections, seconds: 2 })));
    const before = await Promise.all(
      slots.map(async (s) => ({
        cpu: cpuSeconds(s.child.pid),
        bytes: await collectorBytes(s.collectorPort),
      })),
    );
    const done = await Promise.all(
      slots.map((s) => fixedRate(s.port, { rate, connections, seconds: duration })),
    );
    const line = [];
    for (const [i, s] of slots.entries()) {
      const us = ((cpuSeconds(s.child.pid) - before[i].cpu) / done[i]) * 1e6;
      const bytes = ((await collectorBytes(s.collectorPort)) - before[i].bytes) / done[i];
      cpu.get(s.v[0]).push(us);
      sent.get(s.v[0]).push(bytes);
      line.push(`${s.v[0]} ${us.toFixed(2)} µs (${bytes.toFixed(0)} B)`);
    }
    console.error(`round ${round}/${rounds}: ${line.join(' | ')}`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(
      children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)),
    );
  }
}

const untraced = median(cpu.get(variants[0][0]));
console.log(
  `\nAt ${rate} req/s per server, all ${variants.length} served at once on one core, ${rounds} rounds of ${duration} s (medians):`,
);
console.log(
  '| variant | server CPU µs/req | added over untraced | % of an untraced request | OTLP bytes/req |',
);
console.log('|---|---:|---:|---:|---:|');
for (const [label] of variants) {
  const us = median(cpu.get(label));
  const added = us - untraced;
  console.log(
    `| ${label} | ${us.toFixed(2)} | ${added.toFixed(2)} | ${((added / untraced) * 100).toFixed(1)}% | ${median(sent.get(label)).toFixed(0)} |`,
  );
}
/** The median over rounds of a − b measured in the same round: steadier than a difference of medians. */
const paired = (a, b) => median(cpu.get(a).map((x, i) => x - cpu.get(b)[i]));
const share = paired(OURS, FLOOR);
console.log(
  `\nOurs − floor, paired by round: ${cpu
    .get(OURS)
    .map((x, i) => (x - cpu.get(FLOOR)[i]).toFixed(2))
    .join(
      ', ',
    )} µs/req; median ${share.toFixed(2)} µs = ${((share / untraced) * 100).toFixed(1)}% of an untraced request (target ≤ 15%).`,
);
const ring = paired(OURS, NO_RING);
console.log(
  `Of which the in-process ring (ours − ours with ring off), paired median: ${ring.toFixed(2)} µs/req.`,
);

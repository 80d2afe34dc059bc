// What tracing costs a request, in one run side by side: Zephyr with tracing off, subscribed but
// not sampled, and 100% sampled with the batch exporter to a local OTLP collector; and, for
// comparison, a bare node:http server without and with the official OpenTelemetry SDK + HTTP
// instrumentation; and the floor: untraced Zephyr with the SDK alone making the same span per
// request, exported the same way (what the SDK itself costs a sampled request on this engine). Servers pinned to core 0, wrk to
// core 1, interleaved run by run. Prints medians, each traced variant's ratio to its own untraced
// figure, and the server CPU Zephyr adds per sampled request above that floor.
// Then each Zephyr variant again at a fixed rate (h2load --rps, RATE req/s in all): at full load a
// batch processor whose queue fills drops spans, which then cost nothing, so the saturated figures
// compare drop rates as much as tracing; below saturation every span is exported, and the server
// CPU per request is what tracing costs.
//
//   pnpm --filter @zephyr/bench run bench:tracing      (RUNS=5 DURATION=5 CONNECTIONS=50 RATE=40000 to tune)
//   ONLY=zephyr RUNS=3 node tracing/run.mjs              (a quick look at Zephyr's variants alone)
import { execFileSync, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { answers, collectorBytes as bytesAt, cpuSeconds, fixedRate, median, path } from './harness.mjs';

/** [label, server file, tracing mode, baseline label]. */
const allVariants = [
  ['zephyr, tracing off', 'zephyr', 'off', null],
  ['zephyr, subscribed, not sampled', 'zephyr', 'unsampled', 'zephyr, tracing off'],
  ['zephyr, 100% sampled, batch OTLP', 'zephyr', 'sampled', 'zephyr, tracing off'],
  ['node:http, no OTel', 'node-http', 'off', null],
  ['node:http + OTel SDK, 100% sampled', 'node-http', 'sampled', 'node:http, no OTel'],
  ['zephyr + the OTel SDK alone, one span per request (floor)', 'zephyr', 'floor', 'zephyr, tracing off'],
];
const ZEPHYR_OFF = 'zephyr, tracing off';
const ZEPHYR_SAMPLED = 'zephyr, 100% sampled, batch OTLP';
const FLOOR = 'zephyr + the OTel SDK alone, one span per request (floor)';
// ONLY=zephyr runs the variants whose label contains it (a baseline is kept with its variants).
const only = process.env.ONLY;
const variants = allVariants.filter(
  ([label], _, all) =>
    only === undefined ||
    label.includes(only) ||
    all.some(([other, , , baseline]) => baseline === label && other.includes(only)),
);
const runs = Number(process.env.RUNS ?? 5);
const duration = Number(process.env.DURATION ?? 5);
const connections = Number(process.env.CONNECTIONS ?? 50);
const rate = Number(process.env.RATE ?? 40_000);
const basePort = 3500;
const collectorPort = 3499;

function start(file, env, ready) {
  const child = spawn(
    'taskset',
    [
      '-c',
      file === 'collector' ? '1' : '0',
      process.execPath,
      fileURLToPath(new URL(`./${file}.mjs`, import.meta.url)),
    ],
    {
      env: { ...process.env, ...env, NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return (async () => {
    for (let i = 0; i < 100; i++) {
      if (await ready()) return child;
      await sleep(100);
    }
    child.kill('SIGKILL');
    throw new Error(`${file} did not start`);
  })();
}

function wrk(port, seconds) {
  const out = execFileSync(
    'taskset',
    ['-c', '1', 'wrk', '-t1', `-c${connections}`, `-d${seconds}s`, `http://127.0.0.1:${port}${path}`],
    { encoding: 'utf8' },
  );
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  if (non2xx > 0 || /Socket errors: connect [1-9]|read [1-9]|write [1-9]/.test(out)) {
    throw new Error(`wrk saw errors:\n${out}`);
  }
  return { rps, requests };
}

const collectorUrl = `http://127.0.0.1:${collectorPort}/v1/traces`;
const collector = await start('collector', { PORT: String(collectorPort) }, () =>
  answers(collectorUrl, { method: 'POST', body: '' }),
);
const results = new Map();
/** The server's CPU time per request: steadier than req/s on a loaded machine (see the note below). */
const cpu = new Map();
/**
 * OTLP bytes the collector received per request: a batch processor whose queue is full drops
 * spans, and a dropped span is never serialised, so two traced variants compare fairly only when
 * they export about as much per request.
 */
const sent = new Map();
const collectorBytes = () => bytesAt(collectorPort);
/** At the fixed rate: server CPU µs per request and OTLP bytes per request, run by run. */
const fixedCpu = new Map();
const fixedSent = new Map();
try {
  for (let run = 1; run <= runs; run++) {
    for (const [i, [label, file, mode]] of variants.entries()) {
      const port = basePort + i;
      const child = await start(
        `servers/${file}`,
        { PORT: String(port), ZEPHYR_BENCH_TRACING: mode, ZEPHYR_BENCH_COLLECTOR: collectorUrl },
        () => answers(`http://127.0.0.1:${port}${path}`),
      );
      try {
        wrk(port, 2); // warm-up: JIT, caches
        const sentBefore = await collectorBytes();
        const cpuBefore = cpuSeconds(child.pid);
        const { rps, requests } = wrk(port, duration);
        const cpuUs = ((cpuSeconds(child.pid) - cpuBefore) / requests) * 1e6;
        const otlpBytes = ((await collectorBytes()) - sentBefore) / requests;
        results.set(label, [...(results.get(label) ?? []), rps]);
        cpu.set(label, [...(cpu.get(label) ?? []), cpuUs]);
        sent.set(label, [...(sent.get(label) ?? []), otlpBytes]);
        console.error(
          `run ${run}/${runs} ${label.padEnd(38)} ${rps.toFixed(0)} req/s, ${cpuUs.toFixed(2)} µs CPU/req, ${otlpBytes.toFixed(0)} OTLP bytes/req`,
        );
        if (file === 'zephyr') {
          const sentAtRate = await collectorBytes();
          const cpuAtRate = cpuSeconds(child.pid);
          const done = await fixedRate(port, { rate, connections, seconds: duration });
          const us = ((cpuSeconds(child.pid) - cpuAtRate) / done) * 1e6;
          const bytes = ((await collectorBytes()) - sentAtRate) / done;
          fixedCpu.set(label, [...(fixedCpu.get(label) ?? []), us]);
          fixedSent.set(label, [...(fixedSent.get(label) ?? []), bytes]);
          console.error(
            `run ${run}/${runs} ${label.padEnd(38)} at ${rate} req/s: ${us.toFixed(2)} µs CPU/req, ${bytes.toFixed(0)} OTLP bytes/req`,
          );
        }
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    }
  }
} finally {
  collector.kill('SIGTERM');
}

console.log(`\nGET ${path} — wrk -t1 -c${connections} -d${duration}s, ${runs} runs, median req/s`);
console.log(
  '| variant | median req/s | runs | vs untraced | overhead | server CPU µs/req (median) | CPU overhead | OTLP bytes/req |',
);
console.log('|---|---:|---|---:|---:|---:|---:|---:|');
for (const [label, , , baseline] of variants) {
  const xs = results.get(label);
  const m = median(xs);
  const base = baseline === null ? m : median(results.get(baseline));
  const ratio = m / base;
  const us = median(cpu.get(label));
  const baseUs = baseline === null ? us : median(cpu.get(baseline));
  console.log(
    `| ${label} | ${m.toFixed(0)} | ${xs.map((x) => x.toFixed(0)).join(', ')} | ${ratio.toFixed(3)}x | ${((1 - ratio) * 100).toFixed(1)}% | ${us.toFixed(2)} | ${((us / baseUs - 1) * 100).toFixed(1)}% | ${median(sent.get(label)).toFixed(0)} |`,
  );
}
console.log(
  "\nCPU µs/req is the server process's user+system time over the requests wrk counted: on an idle\n" +
    'machine, where the server is the bottleneck, it tracks 1/req/s; on a loaded one it is the steadier figure.\n' +
    'OTLP bytes/req is what the collector received over the same requests: a sampled variant that\n' +
    'exports fewer bytes per request than another has dropped spans (its batch queue was full) and\n' +
    'saved their serialisation; compare CPU only between variants that export about as much.',
);
/** Server CPU µs a variant adds per request over its own untraced baseline. */
const addedUs = (label) => {
  const baseline = variants.find(([l]) => l === label)?.[3];
  return median(cpu.get(label)) - median(cpu.get(baseline));
};
const UNSAMPLED = 'zephyr, subscribed, not sampled';
const offUs = cpu.has(ZEPHYR_OFF) ? median(cpu.get(ZEPHYR_OFF)) : undefined;
const share = (us) => `${((us / offUs) * 100).toFixed(1)}%`;
if (offUs !== undefined && (cpu.has(UNSAMPLED) || (cpu.has(ZEPHYR_SAMPLED) && cpu.has(FLOOR)))) {
  console.log(`\nServer CPU added per request over untraced Zephyr (${offUs.toFixed(2)} µs/req), medians:`);
  console.log('| what | µs/req | % of an untraced request | target |');
  console.log('|---|---:|---:|---|');
  if (cpu.has(UNSAMPLED)) {
    const us = addedUs(UNSAMPLED);
    console.log(`| not sampled | ${us.toFixed(2)} | ${share(us)} | ≤ 3% |`);
  }
  if (cpu.has(ZEPHYR_SAMPLED) && cpu.has(FLOOR)) {
    const ours = addedUs(ZEPHYR_SAMPLED);
    const floor = addedUs(FLOOR);
    console.log(
      `| 100% sampled: the OTel SDK alone, same span and exporter (floor) | ${floor.toFixed(2)} | ${share(floor)} | |`,
    );
    console.log(`| 100% sampled: Zephyr (ours) | ${ours.toFixed(2)} | ${share(ours)} | |`);
    console.log(
      `| **ours − floor** (Zephyr's own share) | ${(ours - floor).toFixed(2)} | ${share(ours - floor)} | ≤ 15% |`,
    );
  }
}
if (offUs !== undefined && cpu.has(ZEPHYR_SAMPLED) && cpu.has(FLOOR)) {
  // Ours and the floor run back to back in each run; read them pair by pair, and trust only the
  // pairs whose batch processors exported alike: a full queue drops spans, which are then never
  // serialised, so a pair that dropped unevenly measures the drops, not Zephyr.
  const pairs = cpu.get(ZEPHYR_SAMPLED).map((ours, i) => ({
    diff: ours - cpu.get(FLOOR)[i],
    ours: sent.get(ZEPHYR_SAMPLED)[i],
    floor: sent.get(FLOOR)[i],
  }));
  const alike = pairs.filter((p) => Math.abs(p.ours - p.floor) <= 0.05 * Math.max(p.ours, p.floor));
  console.log(
    `\nOurs − floor run by run, µs/req (OTLP bytes/req ours/floor): ${pairs
      .map((p) => `${p.diff.toFixed(2)} (${p.ours.toFixed(0)}/${p.floor.toFixed(0)})`)
      .join(', ')}`,
  );
  if (alike.length === 0)
    console.log('No run exported alike (within 5%): ours − floor is not readable here.');
  else {
    const d = median(alike.map((p) => p.diff));
    console.log(
      `Ours − floor over the ${alike.length} run(s) that exported alike (within 5%): ${d.toFixed(2)} µs/req, ${share(d)} of an untraced request (target ≤ 15%).`,
    );
  }
}
if (fixedCpu.has(ZEPHYR_OFF)) {
  const offAtRate = median(fixedCpu.get(ZEPHYR_OFF));
  const pct = (us) => `${((us / offAtRate) * 100).toFixed(1)}%`;
  console.log(
    `\nAt a fixed ${rate} req/s (h2load --h1 -c${connections} --rps, ${duration} s; below every Zephyr variant's capacity, so no span is dropped), medians:`,
  );
  console.log(
    '| variant | server CPU µs/req | added over untraced | % of an untraced request at this rate | OTLP bytes/req |',
  );
  console.log('|---|---:|---:|---:|---:|');
  for (const [label] of variants) {
    if (!fixedCpu.has(label)) continue;
    const us = median(fixedCpu.get(label));
    console.log(
      `| ${label} | ${us.toFixed(2)} | ${(us - offAtRate).toFixed(2)} | ${pct(us - offAtRate)} | ${median(fixedSent.get(label)).toFixed(0)} |`,
    );
  }
  if (fixedCpu.has(ZEPHYR_SAMPLED) && fixedCpu.has(FLOOR)) {
    const diffs = fixedCpu.get(ZEPHYR_SAMPLED).map((ours, i) => ours - fixedCpu.get(FLOOR)[i]);
    const d = median(diffs);
    console.log(
      `Ours − floor at ${rate} req/s, run by run: ${diffs.map((x) => x.toFixed(2)).join(', ')} µs/req; median ${d.toFixed(2)} µs = ${pct(d)} of an untraced request at this rate, ${offUs === undefined ? '' : `${share(d)} of one at full load `}(target ≤ 15%).`,
    );
  }
}

// Runtime benchmark: in-thread tell throughput, ask latency, cross-thread throughput; Zephyr
// against nact and bare baselines, side by side, interleaved runs, medians and ratios.
//   pnpm --filter @zephyr/bench bench:runtime        (RUNS=7 for more runs)
import { availableParallelism, loadavg } from 'node:os';
import * as cross from './cross-thread.mjs';
import * as inThread from './in-thread.mjs';
import { interleave, median, printTable } from './stats.mjs';

const RUNS = Number(process.env.RUNS ?? 5);
const fmt = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : `${(x / 1e3).toFixed(0)}k`);

async function throughput(title, entries, reference) {
  const made = [];
  for (const [name, factory, n] of entries) made.push({ name, ...(await factory(n)) });
  const samples = await interleave(made, RUNS);
  for (const m of made) await m.close();
  const ref = median(samples.get(reference));
  console.log(`\n## ${title} (msgs/s, median of ${RUNS} runs; ratio = contender / ${reference})`);
  printTable(
    made.map((m) => {
      const s = samples.get(m.name);
      return {
        contender: m.name,
        median: fmt(median(s)),
        min: fmt(Math.min(...s)),
        max: fmt(Math.max(...s)),
        ratio: (median(s) / ref).toFixed(2),
      };
    }),
  );
  return samples;
}

console.log(
  `# Runtime benchmark — node ${process.version}, ${availableParallelism()} cores, load ${loadavg()[0].toFixed(1)}`,
);

await throughput(
  'In-thread tell throughput (one actor)',
  [
    ['zephyr', inThread.zephyrTell, 1_000_000],
    ['nact', inThread.nactTell, 100_000],
    ['bare ring buffer', inThread.ringTell, 1_000_000],
    ['queueMicrotask per msg', inThread.microtaskTell, 1_000_000],
    ['EventEmitter.emit (sync)', inThread.emitterTell, 1_000_000],
  ],
  'zephyr',
);

{
  const entries = [
    ['zephyr', inThread.zephyrAsk, 100_000],
    ['nact', inThread.nactAsk, 20_000],
    ['promise + queueMicrotask', inThread.microtaskAsk, 100_000],
  ];
  const made = [];
  for (const [name, factory, n] of entries) made.push({ name, ...(await factory(n)) });
  const samples = await interleave(made, RUNS);
  for (const m of made) await m.close();
  const ref = median(samples.get('zephyr').map((s) => s[0]));
  console.log(
    `\n## In-thread ask round trip (µs, median over ${RUNS} runs of each run's p50/p99; ratio = p50 / zephyr p50)`,
  );
  printTable(
    made.map((m) => {
      const s = samples.get(m.name);
      const p50 = median(s.map((x) => x[0]));
      return {
        contender: m.name,
        p50: p50.toFixed(2),
        p99: median(s.map((x) => x[1])).toFixed(2),
        ratio: (p50 / ref).toFixed(2),
      };
    }),
  );
}

await throughput(
  'Cross-thread throughput (main thread -> one worker; small nested message)',
  [
    ['zephyr (batched msgpack records, MessagePort)', cross.zephyrCrossThread, 500_000],
    ['raw batched msgpack, MessagePort', cross.portBatch, 500_000],
    ['raw batched msgpack, SharedArrayBuffer ring', cross.sabBatch, 500_000],
    ['postMessage per msg (structured clone)', cross.cloneEach, 100_000],
    ['msgpack per msg + postMessage', cross.msgpackEach, 100_000],
  ],
  'zephyr (batched msgpack records, MessagePort)',
);

{
  const costs = Array.from({ length: RUNS }, () => cross.codecCost(200_000));
  console.log('\n## Where cross-thread time goes (ns per message, one thread, median; 1024-message frames)');
  const m = (k) => median(costs.map((c) => c[k]));
  printTable([
    {
      encoding: 'msgpack maps (plain batching)',
      'encode ns': m('encodeNs').toFixed(0),
      'decode ns': m('decodeNs').toFixed(0),
      'bytes/msg': m('frameBytesPerMsg').toFixed(0),
    },
    {
      encoding: 'msgpack records (zephyr link)',
      'encode ns': m('recordEncodeNs').toFixed(0),
      'decode ns': m('recordDecodeNs').toFixed(0),
      'bytes/msg': m('recordBytesPerMsg').toFixed(0),
    },
    {
      encoding: 'structuredClone (for scale)',
      'encode ns': m('cloneNs').toFixed(0),
      'decode ns': '-',
      'bytes/msg': '-',
    },
  ]);
}

// Database benchmark: Zephyr against raw pg, plain Kysely and Drizzle on PostgreSQL, with PGlite
// figures beside them. Side by side in one process: every round runs each contestant's operations in
// interleaved slices, so a load spike on a shared machine lands on all of them alike; the figures are
// medians over rounds, and the ratios are taken within each round before the median.
//   eval "$(bash .ci/services.sh)" && pnpm --filter @zephyr/bench bench:db
//   flags (or the same names in upper case as environment variables):
//     --rounds 20   --scale 1 (operations per round: 1000, 500, 100 × scale)   --slices 10
//     --only 'zephyr model,drizzle (prepared)'   --scenarios selectByPk,insertOne
import { flag, median, positive, positiveNumber } from '../lib/cli.mjs';
import {
  drizzlePrepared,
  plainKysely,
  rawPg,
  rawPgJoin,
  rawPgNamed,
  setUpPostgres,
  zephyrPGlite,
  zephyrPostgres,
} from './contestants.mjs';
import { POSTS, USERS } from './schema.mjs';

const url = process.env.ZEPHYR_BENCH_PG_URL ?? process.env.ZEPHYR_TEST_PG_URL;
if (!url) {
  console.error('set ZEPHYR_TEST_PG_URL (eval "$(bash .ci/services.sh)") or ZEPHYR_BENCH_PG_URL');
  process.exit(1);
}
const ROUNDS = positive('rounds', process.env.ROUNDS ?? 20);
const SCALE = positiveNumber('scale', process.env.SCALE ?? 1);
// Each round runs every contestant's operations in this many slices, contestants taking turns.
const SLICES = positive('slices', process.env.SLICES ?? 10);
const list = (text) =>
  text === undefined
    ? undefined
    : text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
const ONLY = list(flag('only', process.env.ONLY));
const ONLY_SCENARIOS = list(flag('scenarios', process.env.SCENARIOS));

const SCENARIOS = [
  {
    key: 'selectByPk',
    title: 'select by primary key',
    ops: Math.round(1000 * SCALE),
    arg: (i) => 1 + ((i * 7919) % USERS),
  },
  { key: 'insertOne', title: 'insert one row (returning it)', ops: Math.round(500 * SCALE), arg: (i) => i },
  {
    key: 'select100WithRelation',
    title: 'select 100 rows with one relation (belongsTo)',
    ops: Math.round(100 * SCALE),
    arg: (i) => (i * 997) % (POSTS - 200),
  },
].filter((s) => ONLY_SCENARIOS === undefined || ONLY_SCENARIOS.includes(s.key));
const BASELINE = 'raw pg';
const DRIZZLE = 'drizzle (prepared)';
const MODEL = 'zephyr model';

const schemaName = `zbench_${process.pid}`;
const tearDown = await setUpPostgres(url, schemaName);
const everyone = [
  await rawPg(url, schemaName),
  await rawPgNamed(url, schemaName),
  await rawPgJoin(url, schemaName),
  await plainKysely(url, schemaName),
  await drizzlePrepared(url, schemaName),
  ...(await zephyrPostgres(url, schemaName)),
  ...(ONLY === undefined || ONLY.some((n) => n.includes('PGlite')) ? await zephyrPGlite() : []),
];
// The unnamed entry only closes the PGlite instance the PGlite contestants share.
const contestants = everyone.filter((c) => c.name !== '' && (ONLY === undefined || ONLY.includes(c.name)));
if (ONLY !== undefined) {
  const unknown = ONLY.filter((n) => !contestants.some((c) => c.name === n));
  if (unknown.length > 0)
    throw new Error(`--only: no contestant ${unknown.map((n) => `"${n}"`).join(', ')}; see contestants.mjs`);
}

/**
 * One slice: wall time, this process's user CPU time and its user + system CPU time, in µs, for `ops`
 * operations from `first`.
 */
async function slice(fn, scenario, first, ops) {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = first; i < first + ops; i++) await fn(scenario.arg(i));
  const wall = Number(process.hrtime.bigint() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { wall, cpu: used.user, total: used.user + used.system };
}

const quartiles = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))];
  return [at(0.25), at(0.75)];
};
const x = (n) => (Number.isFinite(n) ? `${n.toFixed(2)}x` : '  -  ');

console.log(
  `@zephyr/db benchmark — node ${process.version}, ${ROUNDS} rounds × ${SLICES} interleaved slices, scale ${SCALE}`,
);
console.log(
  `PostgreSQL at ${new URL(url).host}, pool max 4, one operation at a time (latency, not throughput)`,
);
console.log(
  "Per operation, medians of rounds: wall µs; this process's user CPU µs (the library's own work, which\n" +
    'load moves far less); and its user + system CPU µs (exact, where the kernel splits the two only by\n' +
    'sampling at its ticks; system time also carries loopback delivery). Ratios are taken within each\n' +
    'round, then the median.\n',
);
const summary = new Map();
for (const scenario of SCENARIOS) {
  const players = contestants.filter((c) => typeof c[scenario.key] === 'function');
  if (players.length === 0) continue;
  const per = Math.max(1, Math.floor(scenario.ops / SLICES));
  const ops = per * SLICES;
  // Warm-up: JIT, and each statement prepared and described on the session before it is timed.
  for (const c of players) await slice(c[scenario.key], scenario, 0, Math.max(20, Math.ceil(ops / 5)));
  // rounds[r].get(name) = { wall, cpu } per operation in round r
  const rounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    const totals = new Map(players.map((c) => [c.name, { wall: 0, cpu: 0, total: 0 }]));
    for (let s = 0; s < SLICES; s++) {
      // Rotate who goes first, so no contestant always runs right after another's garbage.
      for (let k = 0; k < players.length; k++) {
        const c = players[(k + s + round) % players.length];
        const { wall, cpu, total } = await slice(c[scenario.key], scenario, (round * SLICES + s) * per, per);
        const t = totals.get(c.name);
        t.wall += wall;
        t.cpu += cpu;
        t.total += total;
      }
    }
    for (const t of totals.values()) {
      t.wall /= ops;
      t.cpu /= ops;
      t.total /= ops;
    }
    rounds.push(totals);
  }
  const col = (name, field) => rounds.map((r) => r.get(name)?.[field] ?? Number.NaN);
  const perRound = (name, against, field) => {
    if (!players.some((c) => c.name === against)) return [Number.NaN];
    const a = col(name, field);
    const b = col(against, field);
    return a.map((v, i) => v / b[i]);
  };
  console.log(`${scenario.title}  (${ops} ops per contestant × ${ROUNDS} rounds)`);
  console.log(
    `  ${'contestant'.padEnd(26)} ${'wall µs'.padStart(9)} ${'vs raw pg'.padStart(10)} ${'vs drizzle'.padStart(11)}   ${'user µs'.padStart(8)} ${'vs drizzle'.padStart(11)}   ${'user+sys'.padStart(8)} ${'vs drizzle'.padStart(11)}`,
  );
  for (const c of players) {
    const stats = {
      wall: median(col(c.name, 'wall')),
      cpu: median(col(c.name, 'cpu')),
      vsRaw: perRound(c.name, BASELINE, 'wall'),
      vsDrizzle: perRound(c.name, DRIZZLE, 'wall'),
      cpuVsDrizzle: perRound(c.name, DRIZZLE, 'cpu'),
      total: median(col(c.name, 'total')),
      totalVsDrizzle: perRound(c.name, DRIZZLE, 'total'),
    };
    summary.set(`${scenario.key}/${c.name}`, stats);
    console.log(
      `  ${c.name.padEnd(26)} ${stats.wall.toFixed(1).padStart(9)} ${x(median(stats.vsRaw)).padStart(10)} ${x(median(stats.vsDrizzle)).padStart(11)}   ${stats.cpu.toFixed(1).padStart(8)} ${x(median(stats.cpuVsDrizzle)).padStart(11)}   ${stats.total.toFixed(1).padStart(8)} ${x(median(stats.totalVsDrizzle)).padStart(11)}`,
    );
  }
  console.log('');
}

// The issue's targets: the model at or ahead of Drizzle's prepared statements on every scenario, and
// a single insert within 1.10x raw pg — with the validation the model does and Drizzle does not.
// Judged on the per-round ratios; the quartiles show whether the rounds agree.
const verdict = (ratios, limit) => {
  const m = median(ratios);
  if (!Number.isFinite(m)) return 'not measured';
  const [q1, q3] = quartiles(ratios);
  const agree =
    q3 <= limit ? 'met in 3 of 4 rounds' : q1 > limit ? 'MISSED in 3 of 4 rounds' : 'rounds disagree';
  return `${x(m)} (rounds ${x(q1)}–${x(q3)}; target ≤ ${limit.toFixed(2)}: ${m <= limit ? 'met' : 'MISSED'}, ${agree})`;
};
console.log('targets (zephyr model; medians of per-round ratios, interquartile range in brackets)');
for (const s of SCENARIOS) {
  const model = summary.get(`${s.key}/${MODEL}`);
  if (model === undefined) continue;
  console.log(`  ${s.key}`);
  console.log(`    wall vs drizzle prepared  ${verdict(model.vsDrizzle, 1)}`);
  console.log(`    user cpu vs drizzle       ${verdict(model.cpuVsDrizzle, 1)}`);
  console.log(`    user+sys vs drizzle       ${verdict(model.totalVsDrizzle, 1)}`);
  if (s.key === 'insertOne') console.log(`    wall vs raw pg            ${verdict(model.vsRaw, 1.1)}`);
}

for (const c of everyone) await c.close();
await tearDown();

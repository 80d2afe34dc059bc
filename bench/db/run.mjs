// Database benchmark: Zephyr against raw pg, plain Kysely and Drizzle on PostgreSQL, with PGlite
// figures beside them. Side by side in one run, several rounds in rotated order, medians, ratios.
//   eval "$(bash .ci/services.sh)" && pnpm --filter @zephyr/bench bench:db
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
// More rounds of fewer operations (e.g. ROUNDS=45 SCALE=0.2) interleave the contestants more finely,
// so a load spike on a shared machine hits them alike.
const ROUNDS = Number(process.env.ROUNDS ?? 10);
const SCALE = Number(process.env.SCALE ?? 1);
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
];
const BASELINE = 'raw pg';

const schemaName = `zbench_${process.pid}`;
const tearDown = await setUpPostgres(url, schemaName);
const contestants = [
  await rawPg(url, schemaName),
  await rawPgNamed(url, schemaName),
  await rawPgJoin(url, schemaName),
  await plainKysely(url, schemaName),
  await drizzlePrepared(url, schemaName),
  ...(await zephyrPostgres(url, schemaName)),
  ...(await zephyrPGlite()),
];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Wall time per operation, and this process's user CPU time per operation: the work the library
 * does, which load moves far less than wall time. (System time is left out: on loopback it also
 * carries the kernel's delivery to the server.)
 */
async function time(fn, scenario, ops) {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) await fn(scenario.arg(i));
  const wall = Number(process.hrtime.bigint() - start) / 1000 / ops;
  const used = process.cpuUsage(cpu);
  return { wall, cpu: used.user / ops };
}

console.log(
  `@zephyr/db benchmark — node ${process.version}, ${ROUNDS} rounds, medians of µs per operation (lower is better)`,
);
console.log(
  `PostgreSQL at ${new URL(url).host}, pool max 4, one operation at a time (latency, not throughput)\n`,
);
const summary = [];
for (const scenario of SCENARIOS) {
  const players = contestants.filter((c) => typeof c[scenario.key] === 'function');
  const samples = new Map(players.map((c) => [c.name, []]));
  const cpuSamples = new Map(players.map((c) => [c.name, []]));
  for (const c of players) await time(c[scenario.key], scenario, Math.ceil(scenario.ops / 5)); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order each round so no contestant always runs first (or right after another's GC).
    for (let k = 0; k < players.length; k++) {
      const c = players[(k + round) % players.length];
      const { wall, cpu } = await time(c[scenario.key], scenario, scenario.ops);
      samples.get(c.name).push(wall);
      cpuSamples.get(c.name).push(cpu);
    }
  }
  const base = median(samples.get(BASELINE));
  console.log(`${scenario.title}  (${scenario.ops} ops × ${ROUNDS} rounds)`);
  for (const c of players) {
    const m = median(samples.get(c.name));
    const ratio = m / base;
    const cpu = median(cpuSamples.get(c.name));
    console.log(
      `  ${c.name.padEnd(28)} ${m.toFixed(1).padStart(9)} µs   ${ratio.toFixed(2)}x ${BASELINE}   (user cpu ${cpu.toFixed(1).padStart(7)} µs)`,
    );
    summary.push({ scenario: scenario.key, name: c.name, us: m, ratio, rounds: samples.get(c.name) });
  }
  console.log('');
}

const get = (scenario, name) => summary.find((s) => s.scenario === scenario && s.name === name);
// The targets: the model at or ahead of Drizzle's prepared statements on every scenario, and
// a single insert within 1.10x raw pg — with the validation the model does and Drizzle does not.
console.log('targets');
for (const s of SCENARIOS) {
  const model = get(s.key, 'zephyr model');
  const drizzle = get(s.key, 'drizzle (prepared)');
  const vsDrizzle = model.us / drizzle.us;
  // The same ratio taken within each round (the two ran seconds apart), then the median.
  const paired = median(model.rounds.map((us, r) => us / drizzle.rounds[r]));
  const parts = [
    `zephyr model ${model.ratio.toFixed(2)}x raw pg`,
    `${vsDrizzle.toFixed(2)}x drizzle prepared (target ≤ 1.00: ${vsDrizzle <= 1 ? 'met' : 'MISSED'}; per round ${paired.toFixed(2)}x)`,
  ];
  if (s.key === 'insertOne') parts.push(`raw pg target ≤ 1.10: ${model.ratio <= 1.1 ? 'met' : 'MISSED'}`);
  console.log(`  ${s.key.padEnd(24)} ${parts.join('; ')}`);
}

for (const c of contestants) await c.close();
await tearDown();

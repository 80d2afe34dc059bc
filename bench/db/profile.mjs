// Profiles one scenario of bench:db for one contestant, against the real PostgreSQL: run it under
// `node --cpu-prof` and open the .cpuprofile. Also prints this process's CPU time per operation,
// which, unlike wall time, a loaded machine barely moves.
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/db/profile.mjs insertOne "zephyr model" 20000
import { drizzlePrepared, rawPg, setUpPostgres, zephyrPostgres } from './contestants.mjs';

const url = process.env.ZEPHYR_BENCH_PG_URL ?? process.env.ZEPHYR_TEST_PG_URL;
const [scenario = 'insertOne', name = 'zephyr model', opsText = '5000'] = process.argv.slice(2);
const ops = Number(opsText);
const schemaName = `zprof_${process.pid}`;
const tearDown = await setUpPostgres(url, schemaName);
const all = [
  await rawPg(url, schemaName),
  await drizzlePrepared(url, schemaName),
  ...(await zephyrPostgres(url, schemaName)),
];
const c = all.find((x) => x.name === name);
const arg = {
  selectByPk: (i) => 1 + ((i * 7919) % 1000),
  insertOne: (i) => i,
  select100WithRelation: (i) => (i * 997) % 9800,
}[scenario];
for (let i = 0; i < 500; i++) await c[scenario](arg(i));
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
for (let i = 0; i < ops; i++) await c[scenario](arg(i));
const wall = Number(process.hrtime.bigint() - t0) / 1000 / ops;
const cpu = process.cpuUsage(cpu0);
console.log(
  `${name} ${scenario}: wall ${wall.toFixed(1)} µs/op, cpu ${((cpu.user + cpu.system) / ops).toFixed(1)} µs/op (user ${(cpu.user / ops).toFixed(1)})`,
);
for (const x of all) await x.close();
await tearDown();

// Actor-routes benchmark: a ~5 ms CPU route (POST /heavy) loaded by wrk while a light route
// (GET /light) is probed at a steady rate. Four servers side by side: Zephyr with the heavy route
// on actors (actorRoute + createActorPool), Zephyr inline, Fastify inline, Fastify + Piscina.
// Reports the heavy route's throughput, the server's CPU per heavy request, and the light route's
// latency under that load, with ratios.
//
//   node bench/actor-routes/run.mjs [--duration 10] [--runs 3] [--connections 32] [--rate 200]
//        [--warmup 30] [--processes 3] [--threads <n>] [--work-ms 5] [--servers zephyr-actors,...] [--server-cpus 0] [--client-cpus 1]
//        [--rounds <n>] [--pool-young-gen-mb 6|v8] [--pool-nice 0] [--node-flags <flag>[,<flag>…]] [--paired <a>,<b>|none] [--pair-cpus 0,1]
//   --paired: after the table, the heavy route of two servers (default zephyr-actors and
//   fastify-piscina) loaded at the same time on --pair-cpus, one each, swapped every round
//   (2 × --runs rounds per process pair); prints the median of the rounds' throughput ratios.
//   --node-flags: Node/V8 flags every server is started with alike (none by default), e.g.
//   --node-flags --no-parallel-scavenge.
//   Opt-in diagnostics (--servers ...): zephyr-piscina (Zephyr's front, Piscina's pool) splits a gap
//   into the front's share and the pool's; zephyr-worker and zephyr-worker-transfer (Zephyr's front,
//   one bare Worker: structured-clone messages, or bytes in a transferred ArrayBuffer per
//   message) give the floor of a worker round trip and what an ArrayBuffer per message adds to it.
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, getPriority } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { choices, flag, fmt, median, positive, positiveNumber } from '../lib/cli.mjs';
import { work } from './work.mjs';

const here = dirname(fileURLToPath(import.meta.url));

const duration = positiveNumber('duration', 10);
// The light probe skips a run's first and last second (see the runs below).
if (duration <= 2)
  throw new Error('--duration must be over 2 (s): the light probe skips the first and last second');
const runs = positiveNumber('runs', 3);
const connections = positiveNumber('connections', 32);
const rate = positiveNumber('rate', 200);
// Load each server gets before its first measured run, both routes as in a run. At ~130 heavy
// req/s V8 is still optimizing functions of the request path for ~30 s (compiles per 10 s of
// load, zephyr-actors: 88, 69, 31, 6, 4, 5): a shorter warm-up measures the JIT, not the server.
const warmup = positiveNumber('warmup', 30);
// Fresh server processes, each warmed up and run `runs` times: V8 compiles the handler's hot path
// (createHash inlined into the loop or not) differently from process to process, a swing of a few
// percent that a single process per server would turn into a systematic gap between servers.
const processes = positiveNumber('processes', 3);
const workMs = positiveNumber('work-ms', 5);
const threads = positiveNumber('threads', Math.max(1, availableParallelism() - 1));
// Both pools' threads get the same young-generation cap (see work.mjs); `v8` leaves V8's sizing.
// 6 MB is where Piscina's bare worker stays on this handler; Zephyr's threads, having loaded more,
// would otherwise run at 8 MB semi-spaces (see the runtime README, "Worker threads").
const poolYoungGen = flag('pool-young-gen-mb', '6');
if (poolYoungGen !== 'v8' && !/^[1-9]\d*$/.test(poolYoungGen))
  throw new Error('--pool-young-gen-mb must be a positive integer or v8');
// Both pools' threads run this many nice steps below their process (Zephyr's
// `threads.niceIncrement`, Piscina's `niceIncrement`); checked after each warm-up, since Piscina
// ignores it without its optional native addon.
const poolNice = Number(flag('pool-nice', '0'));
if (!Number.isInteger(poolNice) || poolNice < 0 || poolNice > 19)
  throw new Error('--pool-nice must be an integer in 0..19');
const serverCpus = flag('server-cpus', '0');
/** Flags every server is started with (none by default), so that peers are run alike. */
const nodeFlags = flag('node-flags', '')
  .split(',')
  .filter((f) => f !== '');
for (const f of nodeFlags) if (!f.startsWith('--')) throw new Error(`--node-flags: ${f} is not a flag`);
const clientCpus = flag('client-cpus', '1');
const SERVERS = {
  'zephyr-actors': { file: 'zephyr.mjs', MODE: 'actors', pool: true },
  'zephyr-inline': { file: 'zephyr.mjs', MODE: 'inline', pool: false },
  'fastify-inline': { file: 'fastify.mjs', MODE: 'inline', pool: false },
  'fastify-piscina': { file: 'fastify.mjs', MODE: 'piscina', pool: true },
  'zephyr-piscina': { file: 'zephyr-piscina.mjs', MODE: 'piscina', pool: true },
  // One bare worker whatever --threads says: `pool` is its thread count.
  'zephyr-worker': { file: 'zephyr-worker.mjs', MODE: 'worker', pool: 1, env: { FRAMES: 'clone' } },
  'zephyr-worker-transfer': {
    file: 'zephyr-worker.mjs',
    MODE: 'worker',
    pool: 1,
    env: { FRAMES: 'transfer' },
  },
};
/** Threads of a server's pool: `--threads` for a pool server, 0 for an inline one. */
const poolThreads = (name) => {
  const { pool } = SERVERS[name];
  return pool === true ? threads : pool || 0;
};
const PEERS = ['zephyr-actors', 'zephyr-inline', 'fastify-inline', 'fastify-piscina'];
const chosen = choices('servers', Object.keys(SERVERS), PEERS);
// The heavy-throughput target measured a second way, with the two servers loaded at the same time,
// one per core (each with its own wrk on that core), swapping cores every round: both then meet
// the same slowdowns of a shared host, which one server after the other (the table) do not.
// `none` skips it.
const pairFlag = flag('paired', 'zephyr-actors,fastify-piscina');
const paired = pairFlag === 'none' ? [] : pairFlag.split(',');
if (
  paired.length > 0 &&
  (paired.length !== 2 || paired[0] === paired[1] || !paired.every((n) => n in SERVERS))
)
  throw new Error(`--paired must be none or two different servers of ${Object.keys(SERVERS).join(', ')}`);
const pairCpus = flag('pair-cpus', '0,1').split(',');
if (pairCpus.length !== 2 || pairCpus[0] === pairCpus[1] || !pairCpus.every((c) => /^\d+$/.test(c)))
  throw new Error('--pair-cpus must be two different CPU numbers, e.g. 0,1');
// Rounds per pair of processes, even so that each server has each core as often.
const pairRounds = 2 * runs;

/**
 * Milliseconds one round of the work function takes here when nothing else slows the machine: the
 * fastest twentieth of 3 s of timings. A shared host only ever makes a timing slower, and a median
 * taken in a slow spell calibrated 2962 rounds in one run and 6668 in the next.
 */
function msPerRound() {
  const probe = 200;
  for (let i = 0; i < 50; i++) work('warm-up', probe);
  const times = [];
  const until = performance.now() + 3000;
  while (performance.now() < until) {
    const start = performance.now();
    work('calibrate', probe);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 20)] / probe;
}

const pinned = (cpus, argv) => (cpus === 'all' ? argv : ['taskset', '-c', cpus, ...argv]);

/** Kills `child` and waits for it to be gone (its port free for the next process). */
function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  return exited;
}

async function startServer(name, port, rounds, cpus = serverCpus) {
  const { file, MODE, env = {} } = SERVERS[name];
  const [cmd, ...args] = pinned(cpus, [process.execPath, ...nodeFlags, join(here, 'servers', file)]);
  const child = spawn(cmd, args, {
    env: {
      ...process.env,
      PORT: String(port),
      MODE,
      ROUNDS: String(rounds),
      THREADS: String(threads),
      ...(poolYoungGen === 'v8' ? {} : { POOL_YOUNG_GEN_MB: poolYoungGen }),
      POOL_NICE: String(poolNice),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout.resume();
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/light`);
      if ((await res.text()) === 'light') return child;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  child.kill();
  throw new Error(`${name} did not answer on port ${port}`);
}

/** Throws unless `--pool-nice` reached every pool thread of server `name` (process `pid`). */
function checkPoolNice(name, pid) {
  if (poolNice === 0 || poolThreads(name) === 0) return;
  let niced = 0;
  // On Linux a thread id is a valid `getPriority` target: the thread's own nice.
  for (const tid of readdirSync(`/proc/${pid}/task`)) if (getPriority(Number(tid)) === poolNice) niced++;
  if (niced < poolThreads(name))
    throw new Error(
      `${name}: ${niced} of its ${poolThreads(name)} pool threads run at --pool-nice ${poolNice}`,
    );
}

function run(argv, env = {}, cpus = clientCpus) {
  const [cmd, ...args] = pinned(cpus, argv);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${argv[0]} exited ${code}\n${out}`)),
    );
  });
}

async function heavy(port, seconds, cpus = clientCpus) {
  const out = await run(
    [
      'wrk',
      '-t1',
      `-c${connections}`,
      `-d${seconds}s`,
      '-s',
      join(here, 'heavy.lua'),
      `http://127.0.0.1:${port}/heavy`,
    ],
    {},
    cpus,
  );
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1];
  if (non2xx || !Number.isFinite(rps) || !(requests > 0))
    throw new Error(`wrk failed: non2xx=${non2xx}\n${out}`);
  return { rps, requests };
}

/**
 * What each thread of process `pid` has used so far, by thread id: CPU nanoseconds (schedstat) and
 * context switches (status): voluntary ones (it slept) and involuntary ones (it was preempted; on
 * a core shared with the event loop, each one costs the pool thread its cache).
 */
function cpuByThread(pid) {
  const threads = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      const vol = Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1]);
      const invol = Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1]);
      threads.set(tid, { ns, vol, invol });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return threads;
}

/**
 * The server's CPU between two `cpuByThread` snapshots, in ms per request: all threads (a steadier
 * figure than req/s on a machine that is not idle), and split into the event loop (the thread
 * whose id is the pid), the pool (the `pool` busiest other threads: a pool server's workers do
 * nearly all its work) and the rest (V8's platform threads, libuv's, the engine's). With it, each
 * group's context switches per request (`switches`: voluntary / involuntary).
 */
function cpuPerRequest(pid, before, after, requests, pool) {
  const ms = (ns) => ns / requests / 1e6;
  const zero = { ns: 0, vol: 0, invol: 0 };
  let main = zero;
  const others = [];
  for (const [tid, now] of after) {
    const was = before.get(tid) ?? zero;
    const used = { ns: now.ns - was.ns, vol: now.vol - was.vol, invol: now.invol - was.invol };
    if (tid === String(pid)) main = used;
    else others.push(used);
  }
  others.sort((a, b) => b.ns - a.ns);
  const sum = (xs) =>
    xs.reduce((a, b) => ({ ns: a.ns + b.ns, vol: a.vol + b.vol, invol: a.invol + b.invol }), zero);
  const poolUse = sum(others.slice(0, pool));
  const restUse = sum(others.slice(pool));
  const perRequest = (u) => ({ vol: u.vol / requests, invol: u.invol / requests });
  return {
    total: ms(main.ns + poolUse.ns + restUse.ns),
    main: ms(main.ns),
    pool: ms(poolUse.ns),
    rest: ms(restUse.ns),
    switches: { main: perRequest(main), pool: perRequest(poolUse), rest: perRequest(restUse) },
  };
}

/** The CPUs of a taskset list ("0", "0,2", "0-1"); `all` is every CPU. */
function cpuList(list) {
  if (list === 'all') return null;
  const cpus = [];
  for (const part of list.split(',')) {
    const [a, b = a] = part.split('-').map(Number);
    for (let c = a; c <= b; c++) cpus.push(c);
  }
  return cpus;
}

/**
 * Busy and total clock ticks of the server's CPUs so far (`/proc/stat`; idle and iowait count as
 * not busy). The server and its threads are alone on these CPUs, so busy / total over a run says
 * whether the core was the bottleneck, or slept while requests waited (a hand-off bubble).
 */
function coreTicks(cpus) {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n');
  const names = cpus === null ? ['cpu'] : cpus.map((c) => `cpu${c}`);
  let busy = 0;
  let total = 0;
  for (const line of lines) {
    const [name, ...fields] = line.split(/\s+/);
    if (!names.includes(name)) continue;
    const ticks = fields.filter(Boolean).slice(0, 8).map(Number); // guest time is within user
    const sum = ticks.reduce((a, b) => a + b, 0);
    total += sum;
    busy += sum - ticks[3] - ticks[4];
  }
  return { busy, total };
}
const serverCpuList = cpuList(serverCpus);
/** The share of the server's CPUs' time they were busy between two `coreTicks`, in %. */
const busyPercent = (before, after) =>
  (100 * (after.busy - before.busy)) / Math.max(1, after.total - before.total);

/**
 * Waits until process `pid` is quiet: under 2 ms of CPU per 100 ms (or 5 s at most). When wrk
 * stops, a server still has its last `--connections` requests queued (a pool's mailbox, an event
 * loop's backlog: ~230 ms of CPU at 32 × 7 ms) and serves them on the shared cpus; unwaited, that
 * fell into the next server's run, 3% of its core (0.3% after fastify-inline), and skewed the
 * order-dependent req/s of the four-server run.
 */
async function settle(pid) {
  let before = cpuByThread(pid);
  for (let i = 0; i < 50; i++) {
    await sleep(100);
    const now = cpuByThread(pid);
    if (totalNs(before, now) < 2e6) return;
    before = now;
  }
}

/** CPU nanoseconds all threads of a process used between two `cpuByThread` snapshots. */
function totalNs(before, after) {
  let ns = 0;
  for (const [tid, now] of after) ns += now.ns - (before.get(tid)?.ns ?? 0);
  return ns;
}

async function light(port, ms) {
  const out = await run([process.execPath, join(here, 'light-probe.mjs')], {
    URL: `http://127.0.0.1:${port}/light`,
    RATE: String(rate),
    DURATION: String(ms),
  });
  const result = JSON.parse(out);
  if (result.failed > 0)
    throw new Error(
      `light probe: ${result.failed} of ${result.sent} failed: ${JSON.stringify(result.reasons)}`,
    );
  return result;
}

/** Every server process started so far, for the `finally` that kills what is left. */
const started = [];

/**
 * The heavy route of the two `paired` servers loaded at once, one per `pairCpus` core (its wrk on
 * that core too), for `pairRounds` rounds per process pair, swapping cores every round. Returns
 * each round's req/s ratio (first / second) and each server's req/s and CPU per request.
 */
async function pairedRounds() {
  const ratios = [];
  const per = paired.map((name) => ({ name, rps: [], cpu: [] }));
  const port = (i) => 4390 + i;
  for (let proc = 0; proc < processes; proc++) {
    const pair = [];
    for (const [i, name] of paired.entries())
      pair.push(await startServer(name, port(i), rounds, pairCpus[i]));
    started.push(...pair);
    await Promise.all(pair.map((_, i) => heavy(port(i), warmup, pairCpus[i])));
    for (const [i, name] of paired.entries()) checkPoolNice(name, pair[i].pid);
    for (let r = 0; r < pairRounds; r++) {
      const cores = r % 2 === 0 ? pairCpus : [pairCpus[1], pairCpus[0]];
      for (const [i, child] of pair.entries())
        execFileSync('taskset', ['-a', '-p', '-c', cores[i], String(child.pid)], { stdio: 'ignore' });
      await Promise.all(pair.map((child) => settle(child.pid)));
      const before = pair.map((child) => cpuByThread(child.pid));
      const loads = await Promise.all(pair.map((_, i) => heavy(port(i), duration, cores[i])));
      const line = [];
      for (const [i, child] of pair.entries()) {
        const cpu = cpuPerRequest(
          child.pid,
          before[i],
          cpuByThread(child.pid),
          loads[i].requests,
          poolThreads(paired[i]),
        );
        per[i].rps.push(loads[i].rps);
        per[i].cpu.push(cpu);
        line.push(
          `${paired[i]} on cpu ${cores[i]} ${fmt(loads[i].rps)} req/s, ${cpu.total.toFixed(2)} ms CPU/req (${split(cpu)})`,
        );
      }
      ratios.push(loads[0].rps / loads[1].rps);
      process.stderr.write(
        `paired: process ${proc + 1}/${processes} round ${r + 1}/${pairRounds}: ${line.join('; ')}; ratio ${ratios.at(-1).toFixed(3)}\n`,
      );
    }
    await Promise.all(pair.map(stop));
  }
  return { ratios, per };
}

const ms = (n) => n.toFixed(n < 10 ? 2 : 1);
/** The median over a server's runs of one part of its CPU per request. */
const cpuMedian = (s, part) => median(s.cpu.map((c) => c[part]));
/** A CPU split as "event loop / pool / rest" ms per request (the pool is "-" for inline servers). */
const split = (c) => `${c.main.toFixed(2)} / ${c.pool > 0 ? c.pool.toFixed(2) : '-'} / ${c.rest.toFixed(2)}`;
/** Context switches per request, "voluntary/involuntary" for the event loop, the pool and the rest. */
const switchSplit = (w, hasPool) => {
  const one = (x) => `${x.vol.toFixed(1)}/${x.invol.toFixed(1)}`;
  return `${one(w.main)} · ${hasPool ? one(w.pool) : '-'} · ${one(w.rest)}`;
};
/** The median over a server's runs of each part's context switches per request. */
const switchMedian = (s) => {
  const part = (name) => ({
    vol: median(s.cpu.map((c) => c.switches[name].vol)),
    invol: median(s.cpu.map((c) => c.switches[name].invol)),
  });
  return { main: part('main'), pool: part('pool'), rest: part('rest') };
};

// `--rounds` fixes the work instead, to compare runs made on different days.
// Either way the header says what the rounds take here.
const roundMs = msPerRound();
const rounds = flag('rounds', '') === '' ? Math.max(1, Math.round(workMs / roundMs)) : positive('rounds', 1);
console.log(
  `# bench/actor-routes — heavy: wrk -t1 -c${connections} -d${duration}s POST /heavy (${rounds} SHA-256 rounds ≈ ${(rounds * roundMs).toPrecision(2)} ms here); ` +
    `light: GET /light at ${rate}/s open-loop; ${processes} processes per server, each ${warmup} s warm-up then ${runs} runs (medians over all runs); pool threads ${threads} (young generation ${poolYoungGen === 'v8' ? "V8's sizing" : `${poolYoungGen} MB`}${poolNice > 0 ? `, nice +${poolNice}` : ''}); ` +
    `server cpus ${serverCpus}, clients cpus ${clientCpus}` +
    (nodeFlags.length > 0 ? `; servers run with ${nodeFlags.join(' ')}` : ''),
);
console.log(`# node ${process.version}, ${execFileSync('uname', ['-sr'], { encoding: 'utf8' }).trim()}`);

const servers = chosen.map((name, i) => ({
  name,
  port: 4300 + i,
  /** The running process (a fresh one for each of `--processes`). */
  child: undefined,
  rps: [],
  /** Each run's `cpuPerRequest`. */
  cpu: [],
  p99: [],
  p50: [],
  idle: [],
  /** Each run's busy share of the server's CPUs, %. */
  busy: [],
  /** Each run's share of the server's CPUs used by the server's own threads, %. */
  own: [],
  /** Each run's share of the server's CPUs used by the other (idle) servers, %. */
  neighbours: [],
  /** Median heavy req/s of each process. */
  perProcess: [],
}));
try {
  for (let proc = 0; proc < processes; proc++) {
    for (const s of servers) {
      s.child = await startServer(s.name, s.port, rounds);
      started.push(s.child);
    }
    for (const s of servers) {
      await Promise.all([heavy(s.port, warmup), light(s.port, warmup * 1000)]); // JIT, pools, threads
      checkPoolNice(s.name, s.child.pid);
      await settle(s.child.pid); // its queued requests would delay the idle probe
      s.idle.push((await light(s.port, 2000)).p99);
    }
    const first = servers.map((s) => s.rps.length);
    for (let r = 0; r < runs; r++) {
      // Each run starts with the next server: on a machine that drifts, a fixed order would give
      // the first server the same share of every slowdown.
      const turn = proc * runs + r;
      const order = servers.map((_, i) => servers[(i + turn) % servers.length]);
      for (const s of order) {
        // The probe starts 1 s into the load and stops 1 s before its end: only loaded samples.
        const loaded = sleep(1000).then(() => light(s.port, (duration - 2) * 1000));
        const cpuBefore = cpuByThread(s.child.pid);
        const others = servers.filter((o) => o !== s);
        const othersBefore = others.map((o) => cpuByThread(o.child.pid));
        const ticksBefore = coreTicks(serverCpuList);
        const startedAt = performance.now();
        const [{ rps, requests }, probe] = await Promise.all([heavy(s.port, duration), loaded]);
        const busy = busyPercent(ticksBefore, coreTicks(serverCpuList));
        const wallMs = performance.now() - startedAt;
        const othersNs = others.reduce(
          (sum, o, i) => sum + totalNs(othersBefore[i], cpuByThread(o.child.pid)),
          0,
        );
        // The light probe's requests are in it too: the same few for every server.
        const cpu = cpuPerRequest(
          s.child.pid,
          cpuBefore,
          cpuByThread(s.child.pid),
          requests,
          poolThreads(s.name),
        );
        await settle(s.child.pid);
        s.rps.push(rps);
        s.cpu.push(cpu);
        s.busy.push(busy);
        // The server's own threads' share of its CPUs over the same seconds: busy − this is time
        // the core gave to something else (interrupts, other processes), not to the server.
        const cpuCount = serverCpuList?.length ?? availableParallelism();
        s.own.push((100 * cpu.total * requests) / (wallMs * cpuCount));
        // The other servers, idle meanwhile but on the same CPUs: what their threads did then is
        // taken from this server's run (`settle` keeps their queued requests out of it).
        s.neighbours.push((100 * othersNs) / 1e6 / (wallMs * cpuCount));
        s.p99.push(probe.p99);
        s.p50.push(probe.p50);
        process.stderr.write(
          `process ${proc + 1}/${processes} run ${r + 1}/${runs} ${s.name.padEnd(16)} heavy ${fmt(rps)} req/s, ${cpu.total.toFixed(2)} ms CPU/req (${split(cpu)}), server cpus ${busy.toFixed(1)}% busy (${s.own.at(-1).toFixed(1)}% by the server, ${s.neighbours.at(-1).toFixed(1)}% by the idle others), switches/req vol/invol ${switchSplit(cpu.switches, SERVERS[s.name].pool)}, light p50 ${ms(probe.p50)} ms p99 ${ms(probe.p99)} ms\n`,
        );
      }
    }
    for (const [i, s] of servers.entries()) s.perProcess.push(median(s.rps.slice(first[i])));
    await Promise.all(servers.map((s) => stop(s.child)));
  }
  const ref = servers.find((s) => s.name === 'zephyr-actors');
  console.log(
    '\n| server | heavy req/s (median) | server CPU ms/heavy req | of which event loop / pool / rest | server cpus busy % (by the server itself / by the idle others) | context switches/heavy req, voluntary/involuntary: event loop · pool · rest | light p50 loaded (ms) | light p99 loaded (ms) | light p99 idle (ms) | heavy vs zephyr-actors | light p99 vs zephyr-actors |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of servers) {
    const heavyRatio = ref ? `${(median(s.rps) / median(ref.rps)).toFixed(2)}x` : 'n/a';
    const p99Ratio = ref ? `${(median(s.p99) / median(ref.p99)).toFixed(1)}x` : 'n/a';
    console.log(
      `| ${s.name} | ${fmt(median(s.rps))} (${s.rps.map(fmt).join(' / ')}) | ${cpuMedian(s, 'total').toFixed(2)} | ${split({ main: cpuMedian(s, 'main'), pool: cpuMedian(s, 'pool'), rest: cpuMedian(s, 'rest') })} | ${median(s.busy).toFixed(1)} (${median(s.own).toFixed(1)} / ${median(s.neighbours).toFixed(1)}) | ${switchSplit(switchMedian(s), SERVERS[s.name].pool)} | ${ms(median(s.p50))} | ${ms(median(s.p99))} (${s.p99.map(ms).join(' / ')}) | ${ms(median(s.idle))} | ${heavyRatio} | ${p99Ratio} |`,
    );
  }
  console.log('\nheavy req/s of each server process (median of its runs):');
  for (const s of servers) console.log(`  ${s.name.padEnd(22)} ${s.perProcess.map(fmt).join(' / ')}`);
  const by = (name) => servers.find((s) => s.name === name);
  const inline = by('zephyr-inline');
  const piscina = by('fastify-piscina');
  if (ref && inline)
    console.log(
      `\nlight p99 under load, zephyr-inline / zephyr-actors: ${(median(inline.p99) / median(ref.p99)).toFixed(1)}x (target ≥ 10x)`,
    );
  if (ref && piscina) {
    console.log(
      `heavy throughput, zephyr-actors / fastify-piscina: ${(median(ref.rps) / median(piscina.rps)).toFixed(2)}x (target ≥ 1x)`,
    );
    // Run k of every server is the same round of turns, seconds apart: the median of those
    // ratios leaves out the drift between rounds that the medians above take in.
    const perRun = ref.rps.map((rps, k) => rps / piscina.rps[k]);
    console.log(
      `the same, run by run: ${median(perRun).toFixed(2)}x (median of ${perRun.length} runs' ratios; ${perRun.map((r) => r.toFixed(2)).join(' ')})`,
    );
    console.log(
      `server CPU per heavy request, fastify-piscina / zephyr-actors: ${(cpuMedian(piscina, 'total') / cpuMedian(ref, 'total')).toFixed(2)}x (above 1x: actor routes spend less)`,
    );
  }
  const front = by('zephyr-piscina');
  if (front && piscina)
    console.log(
      `the front's share: server CPU per heavy request, fastify-piscina / zephyr-piscina: ${(cpuMedian(piscina, 'total') / cpuMedian(front, 'total')).toFixed(2)}x (same pool; above 1x: Zephyr's front spends less)`,
    );
  if (front && ref)
    console.log(
      `the pool's share: pool CPU per heavy request, zephyr-piscina / zephyr-actors: ${(cpuMedian(front, 'pool') / cpuMedian(ref, 'pool')).toFixed(2)}x (same front; above 1x: the actor thread spends less)`,
    );
  if (paired.length === 2) {
    const { ratios, per } = await pairedRounds();
    const sorted = [...ratios].sort((a, b) => a - b);
    console.log(
      `\nat the same time, one server per core (cpus ${pairCpus.join(' and ')}, swapped every round; each wrk on its server's core), ${processes} process pairs × ${pairRounds} rounds of ${duration} s:`,
    );
    for (const p of per)
      console.log(
        `  ${p.name.padEnd(22)} heavy ${fmt(median(p.rps))} req/s (median), ${median(p.cpu.map((c) => c.total)).toFixed(2)} ms CPU/req (${split({ main: median(p.cpu.map((c) => c.main)), pool: median(p.cpu.map((c) => c.pool)), rest: median(p.cpu.map((c) => c.rest)) })})`,
      );
    console.log(
      `heavy throughput at the same time, ${paired[0]} / ${paired[1]}: ${median(ratios).toFixed(2)}x (median of ${ratios.length} rounds; range ${sorted[0].toFixed(2)}–${sorted.at(-1).toFixed(2)})` +
        (paired[0] === 'zephyr-actors' && paired[1] === 'fastify-piscina' ? ' (target ≥ 1x)' : ''),
    );
  }
} finally {
  for (const child of started) child.kill('SIGKILL');
}

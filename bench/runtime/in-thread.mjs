// In-thread contenders: tell throughput and ask round-trip latency.
import { EventEmitter } from 'node:events';
import { createActorSystem } from '@zephyr/runtime';
import nact from 'nact';
import { percentile } from './stats.mjs';

const MSG = { type: 'inc' };

/** Zephyr: tells to one actor; the rate covers enqueue and handling of all messages. */
export async function zephyrTell(n) {
  const system = await createActorSystem();
  let done;
  let target = 0;
  const ref = system.spawn({
    start: () => ({ n: 0 }),
    receive(s) {
      if (++s.n === target) done();
    },
  });
  const run = async () => {
    target += n;
    const finished = new Promise((r) => {
      done = r;
    });
    const t0 = performance.now();
    for (let i = 0; i < n; i++) ref.tell(MSG);
    await finished;
    return n / ((performance.now() - t0) / 1000);
  };
  return { run, close: () => system.shutdown() };
}

/** nact: dispatch to one actor (its mailbox is processed one message per setImmediate/await). */
export async function nactTell(n) {
  const system = nact.start();
  let done;
  let target = 0;
  let count = 0;
  const ref = nact.spawnStateless(system, () => {
    if (++count === target) done();
  });
  const run = async () => {
    target += n;
    const finished = new Promise((r) => {
      done = r;
    });
    const t0 = performance.now();
    for (let i = 0; i < n; i++) nact.dispatch(ref, MSG);
    await finished;
    return n / ((performance.now() - t0) / 1000);
  };
  return { run, close: () => nact.stop(system) };
}

/** Baseline: one queueMicrotask per message (no mailbox, no ordering guarantee beyond the queue's). */
export async function microtaskTell(n) {
  let done;
  let target = 0;
  let count = 0;
  const handle = () => {
    if (++count === target) done();
  };
  const run = async () => {
    target += n;
    const finished = new Promise((r) => {
      done = r;
    });
    const t0 = performance.now();
    for (let i = 0; i < n; i++) queueMicrotask(handle);
    await finished;
    return n / ((performance.now() - t0) / 1000);
  };
  return { run, close: async () => {} };
}

/** Baseline: EventEmitter.emit (a synchronous call: no queue at all). */
export async function emitterTell(n) {
  const ee = new EventEmitter();
  let count = 0;
  ee.on('msg', () => {
    count++;
  });
  const run = async () => {
    const t0 = performance.now();
    const before = count;
    for (let i = 0; i < n; i++) ee.emit('msg', MSG);
    if (count - before !== n) throw new Error('EventEmitter baseline lost messages');
    return n / ((performance.now() - t0) / 1000);
  };
  return { run, close: async () => {} };
}

/** Baseline: a bare ring-buffer mailbox drained in one microtask (the upper bound for a mailbox). */
export async function ringTell(n) {
  const size = 1 << 22;
  const ring = new Array(size);
  const mask = size - 1;
  let head = 0;
  let tail = 0;
  let scheduled = false;
  let count = 0;
  let target = 0;
  let done;
  const drain = () => {
    scheduled = false;
    while (head !== tail) {
      ring[head] = undefined;
      head = (head + 1) & mask;
      if (++count === target) done();
    }
  };
  const tell = (m) => {
    ring[tail] = m;
    tail = (tail + 1) & mask;
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(drain);
    }
  };
  const run = async () => {
    target += n;
    const finished = new Promise((r) => {
      done = r;
    });
    const t0 = performance.now();
    for (let i = 0; i < n; i++) tell(MSG);
    await finished;
    return n / ((performance.now() - t0) / 1000);
  };
  return { run, close: async () => {} };
}

/** Sequential asks; returns [p50, p99] in microseconds. */
async function latencies(n, askOnce) {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await askOnce();
    out[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  out.sort();
  return [percentile(out, 50), percentile(out, 99)];
}

export async function zephyrAsk(n) {
  const system = await createActorSystem();
  const ref = system.spawn({ start: () => ({ n: 0 }), receive: (s) => ++s.n });
  const get = { type: 'get' };
  return { run: () => latencies(n, () => ref.ask(get)), close: () => system.shutdown() };
}

export async function nactAsk(n) {
  const system = nact.start();
  let count = 0;
  const ref = nact.spawnStateless(system, (_msg, ctx) => nact.dispatch(ctx.sender, ++count));
  return {
    run: () => latencies(n, () => nact.query(ref, { type: 'get' }, 5000)),
    close: async () => nact.stop(system),
  };
}

/** Baseline: a promise settled from a microtask, the floor of any in-thread async round trip. */
export async function microtaskAsk(n) {
  let count = 0;
  const ask = () =>
    new Promise((resolve) => {
      queueMicrotask(() => resolve(++count));
    });
  return { run: () => latencies(n, ask), close: async () => {} };
}

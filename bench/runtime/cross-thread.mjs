// Cross-thread contenders: messages from the main thread to a worker, counted there.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { decode, Encoder } from '@msgpack/msgpack';
import { createActorSystem } from '@zephyr/runtime';
import { ShapeBuilders, ShapePacker } from '../../packages/runtime/dist/threads/record-shapes.js';
import { createRing, RingWriter } from './sab-ring.mjs';

/** A small nested message, as an application would send. */
export const message = (i) => ({ type: 'add', by: i, meta: { tags: ['a', 'b'], at: 1700000000, ok: true } });
const BATCH = 1024;
const ADDRESS = 'n1/1';

/** Zephyr: tell to an actor on a worker thread (batched msgpack frames over a MessagePort). */
export async function zephyrCrossThread(n) {
  const system = await createActorSystem({
    config: { actor_threads: 1 },
    modules: [new URL('./actors.mjs', import.meta.url)],
  });
  const { sink } = await import('./actors.mjs');
  const ref = system.spawn(sink);
  await ref.ask({ type: 'count' });
  const msgs = Array.from({ length: n }, (_, i) => message(i));
  const run = async () => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) ref.tell(msgs[i]);
    // Same link, same order: the reply comes after every tell was handled.
    await ref.ask({ type: 'count' }, { timeoutMs: 120_000 });
    return n / ((performance.now() - t0) / 1000);
  };
  return { run, close: () => system.shutdown() };
}

async function rawWorker(mode, extra = {}) {
  const worker = new Worker(new URL('./sink-worker.mjs', import.meta.url), {
    workerData: { mode, ...extra },
  });
  await once(worker, 'online');
  let total = 0;
  const finish = async (n) => {
    total += n;
    worker.postMessage({ target: total });
    await once(worker, 'message');
  };
  return { worker, finish };
}

/** Baseline: one postMessage (structured clone) per message. */
export async function cloneEach(n) {
  const { worker, finish } = await rawWorker('clone');
  const msgs = Array.from({ length: n }, (_, i) => message(i));
  const run = async () => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) worker.postMessage(msgs[i]);
    await finish(n);
    return n / ((performance.now() - t0) / 1000);
  };
  return { run, close: () => worker.terminate() };
}

/** Baseline: msgpack-encode each message and post it on its own (buffer transferred). */
export async function msgpackEach(n) {
  const { worker, finish } = await rawWorker('msgpack-each');
  const encoder = new Encoder();
  const msgs = Array.from({ length: n }, (_, i) => message(i));
  const run = async () => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const bytes = encoder.encode(msgs[i]);
      worker.postMessage(bytes, [bytes.buffer]);
    }
    await finish(n);
    return n / ((performance.now() - t0) / 1000);
  };
  return { run, close: () => worker.terminate() };
}

function batches(n, encoder, msgs, send) {
  const out = [];
  for (let i = 0; i < n; i++) {
    out.push(1, ADDRESS, msgs[i]);
    if (out.length === BATCH * 3 || i === n - 1) {
      send(encoder.encode(out));
      out.length = 0;
    }
  }
}

/** Transport candidate 1: batched msgpack frames over a MessagePort (what the runtime uses). */
export async function portBatch(n) {
  const { worker, finish } = await rawWorker('port-batch');
  const encoder = new Encoder();
  const msgs = Array.from({ length: n }, (_, i) => message(i));
  const run = async () => {
    const t0 = performance.now();
    batches(n, encoder, msgs, (frame) => worker.postMessage(frame, [frame.buffer]));
    await finish(n);
    return n / ((performance.now() - t0) / 1000);
  };
  return { run, close: () => worker.terminate() };
}

/** Transport candidate 2: the same frames through a SharedArrayBuffer ring. */
export async function sabBatch(n) {
  const ring = createRing(8 * 1024 * 1024);
  const { worker, finish } = await rawWorker('sab-batch', { ring });
  const writer = new RingWriter(ring);
  const encoder = new Encoder();
  const msgs = Array.from({ length: n }, (_, i) => message(i));
  const run = async () => {
    const t0 = performance.now();
    batches(n, encoder, msgs, (frame) => writer.write(frame));
    await finish(n);
    return n / ((performance.now() - t0) / 1000);
  };
  return { run, close: () => worker.terminate() };
}

/** Where the time goes: ns per message to encode and to decode a 1024-message frame, same thread. */
export function codecCost(n) {
  const encoder = new Encoder();
  const msgs = Array.from({ length: BATCH }, (_, i) => message(i));
  const out = [];
  for (const m of msgs) out.push(1, ADDRESS, m);
  const frame = encoder.encode(out);
  const rounds = Math.max(1, Math.floor(n / BATCH));
  let t0 = performance.now();
  for (let r = 0; r < rounds; r++) encoder.encode(out);
  const encodeNs = ((performance.now() - t0) * 1e6) / (rounds * BATCH);
  t0 = performance.now();
  for (let r = 0; r < rounds; r++) decode(frame);
  const decodeNs = ((performance.now() - t0) * 1e6) / (rounds * BATCH);
  t0 = performance.now();
  for (let r = 0; r < rounds; r++) structuredClone(msgs);
  const cloneNs = ((performance.now() - t0) * 1e6) / (rounds * BATCH);
  // The runtime's record encoding: shape id + leaf values, keys sent once (internal module).
  const packer = new ShapePacker();
  const builders = new ShapeBuilders();
  const packFrame = () => {
    const rec = [];
    for (const m of msgs) {
      const id = packer.pack(m, (sid, d) => builders.define(sid, d));
      rec.push(13, 0, id, ...packer.values);
    }
    return encoder.encode(rec);
  };
  const recFrame = packFrame();
  t0 = performance.now();
  for (let r = 0; r < rounds; r++) packFrame();
  const recordEncodeNs = ((performance.now() - t0) * 1e6) / (rounds * BATCH);
  t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    const ops = decode(recFrame);
    for (let i = 0; i < ops.length; ) {
      builders.build(ops[i + 2], ops, i + 3);
      i += 3 + builders.size(ops[i + 2]);
    }
  }
  const recordDecodeNs = ((performance.now() - t0) * 1e6) / (rounds * BATCH);
  return {
    encodeNs,
    decodeNs,
    cloneNs,
    recordEncodeNs,
    recordDecodeNs,
    frameBytesPerMsg: frame.length / BATCH,
    recordBytesPerMsg: recFrame.length / BATCH,
  };
}

// Zephyr's HTTP front with one bare `worker_threads` Worker behind it (opt-in diagnostic:
// `--servers zephyr-worker,...`): no pool library, no runtime, the floor of a worker round trip
// on this front. FRAMES=clone (default) posts plain objects (structured clone); FRAMES=transfer
// posts each message as bytes in a transferred ArrayBuffer, as the runtime's thread link did with
// every frame until 2026-12-02 (now only with frames of 4 KB and more): the two show what an
// ArrayBuffer per message costs a worker.
import { Worker } from 'node:worker_threads';
import { createApp } from '@zephyr/server';
import { z } from 'zod';
import { POOL_YOUNG_GEN_MB, PORT } from '../work.mjs';

const frames = process.env.FRAMES ?? 'clone';
if (frames !== 'clone' && frames !== 'transfer') throw new Error('FRAMES must be clone or transfer');
const body = z.object({ text: z.string().max(100) });
const app = createApp();
app.get('/light', (ctx) => ctx.text('light'));
const worker = new Worker(new URL(process.env.WORKER_FILE ?? '../bare-worker.mjs', import.meta.url), {
  workerData: { frames },
  ...(POOL_YOUNG_GEN_MB === undefined
    ? {}
    : { resourceLimits: { maxYoungGenerationSizeMb: POOL_YOUNG_GEN_MB } }),
});
const waiting = new Map();
let nextId = 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
worker.on('message', (message) => {
  const { id, digest } = frames === 'clone' ? message : JSON.parse(decoder.decode(message));
  const resolve = waiting.get(id);
  waiting.delete(id);
  resolve(digest);
});
app.post('/heavy', { body }, async (ctx) => {
  const id = nextId++;
  const digest = await new Promise((resolve) => {
    waiting.set(id, resolve);
    const message = { id, text: ctx.body.text };
    if (frames === 'clone') worker.postMessage(message);
    else {
      const frame = encoder.encode(JSON.stringify(message));
      worker.postMessage(frame, [frame.buffer]);
    }
  });
  return ctx.json({ digest });
});
const engine = process.env.ZEPHYR_IO_ENGINE || 'auto';
const server = await app.listen({ port: PORT, host: '127.0.0.1', engine });
console.log(`zephyr-worker (${frames}) listening on ${server.port} (${server.engine})`);

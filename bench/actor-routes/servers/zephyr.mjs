// Zephyr: the heavy route inline (MODE=inline) or served by actors on the actor threads
// (MODE=actors); the light route inline in both. Engine from ZEPHYR_IO_ENGINE (default auto).
import { createActorPool, createActorSystem } from '@zephyr/runtime';
import { actorRoute, createApp } from '@zephyr/server';
import { z } from 'zod';
import { hasher } from '../actor.mjs';
import { POOL_NICE, POOL_YOUNG_GEN_MB, PORT, ROUNDS, THREADS, work } from '../work.mjs';

const mode = process.env.MODE;
if (mode !== 'inline' && mode !== 'actors') throw new Error('MODE must be inline or actors');
const body = z.object({ text: z.string().max(100) });
const app = createApp();
app.get('/light', (ctx) => ctx.text('light'));
if (mode === 'actors') {
  const system = await createActorSystem({
    config: { actor_threads: THREADS },
    modules: [new URL('../actor.mjs', import.meta.url)],
    threads: {
      ...(POOL_YOUNG_GEN_MB === undefined ? {} : { maxYoungGenerationSizeMb: POOL_YOUNG_GEN_MB }),
      niceIncrement: POOL_NICE,
    },
  });
  // Room for every benchmark connection: the bench measures throughput, not 503s.
  const pool = createActorPool(system, hasher, { maxPendingPerActor: 1024 });
  app.post('/heavy', { body }, actorRoute(pool, { deadlineMs: 30_000 }));
} else {
  app.post('/heavy', { body }, (ctx) => ctx.json({ digest: work(ctx.body.text, ROUNDS) }));
}
const engine = process.env.ZEPHYR_IO_ENGINE || 'auto';
const server = await app.listen({ port: PORT, host: '127.0.0.1', engine });
console.log(`zephyr-${mode} listening on ${server.port} (${server.engine})`);

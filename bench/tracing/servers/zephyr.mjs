// The router benchmark's Zephyr app, with tracing set by ZEPHYR_BENCH_TRACING:
//   off        no subscriber: the seams cost one hasSubscribers check each
//   unsampled  setupTracing with sampleRate 0: channels subscribed, spans not recorded
//   sampled    setupTracing with sampleRate 1: every request recorded, batch-exported over OTLP/HTTP
import { createApp } from '@zephyr/server';
import { setupTracing } from '@zephyr/tracer';
import { z } from 'zod';
import { port, routes, user } from '../../router/routes.mjs';

const mode = process.env.ZEPHYR_BENCH_TRACING ?? 'off';
if (mode !== 'off') {
  setupTracing({
    serviceName: 'bench',
    endpoint: process.env.ZEPHYR_BENCH_COLLECTOR,
    sampleRate: mode === 'sampled' ? 1 : 0,
    // The ring is on by default; it is part of what tracing costs.
  });
}

const userSchema = z.object({ id: z.string(), name: z.string(), email: z.string(), active: z.boolean() });
const app = createApp();
for (const [path, kind] of routes) {
  if (kind === 'user') app.get(path, { response: userSchema }, (ctx) => ctx.json(user(ctx.params.id)));
  else app.get(path, (ctx) => ctx.text('ok'));
}
const server = await app.listen({
  port,
  host: '127.0.0.1',
  engine: process.env.ZEPHYR_BENCH_ENGINE ?? 'io_uring',
});
console.log(`zephyr (tracing ${mode}) on ${server.engine} listening on ${server.port}`);

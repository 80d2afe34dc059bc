// The router benchmark's Zephyr app, with tracing set by ZEPHYR_BENCH_TRACING:
//   off        no subscriber: the seams cost one hasSubscribers check each
//   unsampled  setupTracing with sampleRate 0: channels subscribed, spans not recorded
//   sampled    setupTracing with sampleRate 1: every request recorded, batch-exported over OTLP/HTTP
//   floor      tracing off, and the OTel SDK alone making per request the span `sampled` makes,
//              exported the same way: what the SDK itself costs a sampled request on this engine
// ZEPHYR_BENCH_RING=off turns the in-process ring off in `sampled` (paired.mjs reads its share).
import { createApp } from '@zephyr/server';
import { setupTracing } from '@zephyr/tracer';
import { z } from 'zod';
import { port, routes, user } from '../../router/routes.mjs';

const mode = process.env.ZEPHYR_BENCH_TRACING ?? 'off';
if (mode === 'unsampled' || mode === 'sampled') {
  setupTracing({
    serviceName: 'bench',
    endpoint: process.env.ZEPHYR_BENCH_COLLECTOR,
    sampleRate: mode === 'sampled' ? 1 : 0,
    // The ring is on by default; it is part of what tracing costs.
    ...(process.env.ZEPHYR_BENCH_RING === 'off' ? { ring: false } : {}),
  });
}

const userSchema = z.object({ id: z.string(), name: z.string(), email: z.string(), active: z.boolean() });
const app = createApp();
for (const [path, kind] of routes) {
  if (kind === 'user') app.get(path, { response: userSchema }, (ctx) => ctx.json(user(ctx.params.id)));
  else app.get(path, (ctx) => ctx.text('ok'));
}
const listenOptions = { port, host: '127.0.0.1', engine: process.env.ZEPHYR_BENCH_ENGINE ?? 'io_uring' };
let server;
if (mode === 'floor') {
  // The engine straight to app.handle, as app.listen does, inside the SDK's span.
  const { floorSpan, setupSdk } = await import('./otel-sdk.mjs');
  const { listen } = await import('@zephyr/uring');
  setupSdk();
  const handle = (req, res) =>
    floorSpan(
      {
        'http.request.method': req.method,
        'http.route': '/users/:id',
        'url.path': req.path,
        'url.scheme': 'http',
        'network.protocol.version': req.httpVersion,
        'client.address': req.remoteAddress,
        'user_agent.original': req.header('user-agent'),
      },
      app.handle,
      req,
      res,
    );
  server = await listen({ ...listenOptions, limits: { maxBodyBytes: app.maxBodyLimit } }, handle);
} else {
  server = await app.listen(listenOptions);
}
console.log(`zephyr (tracing ${mode}) on ${server.engine} listening on ${server.port}`);

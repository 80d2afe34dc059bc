// What tracing adds to one request, measured in-process (app.inject, no sockets), so a loaded
// machine still gives steady figures: CPU ns per request with tracing off, subscribed but not
// sampled, and 100% sampled (spans made and ended, no exporter), interleaved round by round; and
// beside them the OpenTelemetry SDK's own cost for one span carrying the same attributes, the
// floor any OTel-based tracer pays per sampled request.
//
//   NODE_ENV=production node tracing/in-process.mjs        (N=20000 ROUNDS=5 to tune)
import { context, SpanKind, trace } from '@opentelemetry/api';
import { createApp } from '@zephyr/server';
import { setupTracing } from '@zephyr/tracer';
import { z } from 'zod';
import { routes, user } from '../router/routes.mjs';

const N = Number(process.env.N ?? 20_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const modes = ['off', 'unsampled', 'sampled'];

const userSchema = z.object({ id: z.string(), name: z.string(), email: z.string(), active: z.boolean() });
const app = createApp();
for (const [path, kind] of routes) {
  if (kind === 'user') app.get(path, { response: userSchema }, (ctx) => ctx.json(user(ctx.params.id)));
  else app.get(path, (ctx) => ctx.text('ok'));
}
const request = { method: 'GET', url: '/users/42', headers: { host: 'bench', 'user-agent': 'wrk' } };

/** CPU nanoseconds per call of `fn` over `n` calls. */
async function cpuNs(n, fn) {
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn();
  const used = process.cpuUsage(before);
  return ((used.user + used.system) * 1000) / n;
}

function setup(mode) {
  if (mode === 'off') return undefined;
  return setupTracing({ serviceName: 'bench', exporter: 'none', sampleRate: mode === 'sampled' ? 1 : 0 });
}

const serve = () => app.inject(request);
const results = Object.fromEntries(modes.map((m) => [m, []]));
await cpuNs(N, serve); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  for (const mode of modes) {
    const tracing = setup(mode);
    await cpuNs(N / 4, serve);
    results[mode].push(await cpuNs(N, serve));
    await tracing?.shutdown();
  }
}

// The floor: the SDK alone, one SERVER span with the request span's attributes, current for a call.
const tracing = setupTracing({ serviceName: 'bench', exporter: 'none', ring: false });
const tracer = trace.getTracer('floor');
const attributes = () => ({
  'http.request.method': 'GET',
  'http.route': '/users/:id',
  'url.path': '/users/42',
  'url.scheme': 'http',
  'network.protocol.version': '1.1',
  'client.address': '127.0.0.1',
  'user_agent.original': 'wrk',
});
const bareSpan = async () => tracer.startSpan('GET /users/:id').end();
const fullSpan = async () => {
  const span = tracer.startSpan('GET /users/:id', { kind: SpanKind.SERVER, attributes: attributes() });
  context.with(trace.setSpan(context.active(), span), () => undefined);
  span.setAttribute('http.response.status_code', 200);
  span.end();
};
const floor = { bare: [], full: [] };
for (let r = 0; r < ROUNDS; r++) {
  floor.bare.push(await cpuNs(N, bareSpan));
  floor.full.push(await cpuNs(N, fullSpan));
}
await tracing.shutdown();

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const off = median(results.off);
console.log(`\nGET /users/42 through app.inject, ${N} requests x ${ROUNDS} rounds, median CPU ns/request`);
console.log('| variant | ns/request | rounds | added ns | vs off |');
console.log('|---|---:|---|---:|---:|');
for (const mode of modes) {
  const m = median(results[mode]);
  console.log(
    `| ${mode} | ${m.toFixed(0)} | ${results[mode].map((x) => x.toFixed(0)).join(', ')} | ${(m - off).toFixed(0)} | +${((m / off - 1) * 100).toFixed(1)}% |`,
  );
}
console.log(`| OTel SDK alone: bare span start+end | ${median(floor.bare).toFixed(0)} | | | |`);
console.log(
  `| OTel SDK alone: SERVER span, 8 attributes, current once | ${median(floor.full).toFixed(0)} | | | |`,
);
console.log(
  '\n"added ns" over the engine\'s own per-request CPU (the HTTP benchmark\'s figure) is what the traced\n' +
    'variants cost a real request; the SDK rows are the floor any OTel-based tracer pays per sampled span.',
);

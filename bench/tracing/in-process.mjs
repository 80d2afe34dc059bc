// What tracing adds to one request, measured in-process (app.inject, no sockets), so a loaded
// machine still gives steady figures: CPU ns per request with tracing off, subscribed but not
// sampled, and 100% sampled (spans made and ended, the ring on, no exporter), interleaved round
// by round. Beside them, the floor: the same request wrapped by the OpenTelemetry SDK alone in the
// span a sampled request makes, the least any OTel-based tracer pays per sampled request; "ours"
// is what Zephyr adds above it.
//
//   NODE_ENV=production node tracing/in-process.mjs        (N=20000 ROUNDS=7 to tune)
import { context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ParentBasedSampler, TraceIdRatioBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import { createApp } from '@zephyr/server';
import { setupTracing } from '@zephyr/tracer';
import { z } from 'zod';
import { routes, user } from '../router/routes.mjs';

const N = Number(process.env.N ?? 20_000);
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const modes = ['off', 'unsampled', 'sampled'];

const userSchema = z.object({ id: z.string(), name: z.string(), email: z.string(), active: z.boolean() });
const app = createApp();
for (const [path, kind] of routes) {
  if (kind === 'user') app.get(path, { response: userSchema }, (ctx) => ctx.json(user(ctx.params.id)));
  else app.get(path, (ctx) => ctx.text('ok'));
}
const request = { method: 'GET', url: '/users/42', headers: { host: 'bench', 'user-agent': 'wrk' } };
const serve = () => app.inject(request);

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

// The floor: the same request wrapped by the SDK alone in the span Zephyr makes for it (SERVER,
// the same 8 attributes, current for the request, status set, ended), with the provider, sampler
// and context manager setupTracing uses but no Zephyr subscription and no ring.
function sdkAlone() {
  const provider = new TracerProvider({
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(1) }),
  });
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  trace.setGlobalTracerProvider(provider);
  return {
    tracer: provider.getTracer('floor'),
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
}
const attributes = () => ({
  'http.request.method': 'GET',
  'http.route': '/users/:id',
  'url.path': '/users/42',
  'url.scheme': 'http',
  'network.protocol.version': '1.1',
  'client.address': '127.0.0.1',
  'user_agent.original': 'wrk',
});
const floors = {
  // As the OTel docs show it: attributes given at start, where a sampler may read them.
  'attributes at start': (tracer) => async () => {
    const span = tracer.startSpan('GET /users/:id', { kind: SpanKind.SERVER, attributes: attributes() });
    await context.with(trace.setSpan(ROOT_CONTEXT, span), serve);
    span.setAttribute('http.response.status_code', 200);
    span.end();
  },
  // The same span with its attributes set once started: the SDK checks each once there, not twice.
  'attributes after start': (tracer) => async () => {
    const span = tracer.startSpan('GET /users/:id', { kind: SpanKind.SERVER });
    span.setAttributes(attributes());
    await context.with(trace.setSpan(ROOT_CONTEXT, span), serve);
    span.setAttribute('http.response.status_code', 200);
    span.end();
  },
};

const results = Object.fromEntries(modes.map((m) => [m, []]));
const floor = Object.fromEntries(Object.keys(floors).map((f) => [f, []]));
await cpuNs(N, serve); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  for (const mode of modes) {
    const tracing = setup(mode);
    await cpuNs(N / 4, serve);
    results[mode].push(await cpuNs(N, serve));
    await tracing?.shutdown();
  }
  for (const [name, wrap] of Object.entries(floors)) {
    const sdk = sdkAlone();
    const traced = wrap(sdk.tracer);
    await cpuNs(N / 4, traced);
    floor[name].push(await cpuNs(N, traced));
    await sdk.shutdown();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const show = (xs) => xs.map((x) => x.toFixed(0)).join(', ');
const off = median(results.off);
console.log(`\nGET /users/42 through app.inject, ${N} requests x ${ROUNDS} rounds, median CPU ns/request`);
console.log('| variant | ns/request | rounds | added ns | vs off |');
console.log('|---|---:|---|---:|---:|');
for (const mode of modes) {
  const m = median(results[mode]);
  console.log(
    `| ${mode} | ${m.toFixed(0)} | ${show(results[mode])} | ${(m - off).toFixed(0)} | +${((m / off - 1) * 100).toFixed(1)}% |`,
  );
}
const added = median(results.sampled) - off;
console.log(
  '\nThe floor: the same request in the same span made by the OTel SDK alone (no Zephyr subscription, no ring)',
);
console.log('| SDK floor | ns/request | rounds | added ns |');
console.log('|---|---:|---|---:|');
for (const [name, xs] of Object.entries(floor))
  console.log(`| ${name} | ${median(xs).toFixed(0)} | ${show(xs)} | ${(median(xs) - off).toFixed(0)} |`);
const least = Math.min(...Object.values(floor).map(median)) - off;
console.log(
  `\n100% sampled adds ${added.toFixed(0)} ns/request, the SDK floor ${least.toFixed(0)} ns: ` +
    `ours (sampled - floor) = ${(added - least).toFixed(0)} ns/request.`,
);
console.log(
  '"added ns" over the engine\'s own per-request CPU (the HTTP benchmark\'s figure) is what the traced\n' +
    'variants cost a real request. "ours" is what Zephyr adds above the SDK: the channels, the\n' +
    'sampling decision, the attributes read from the request, the ring.',
);

// What tracing adds to one request at the seam, in CPU ns per request: `app.handle` called
// directly with one in-memory request/response pair (as the engine hands them over, no socket,
// no inject adapter), so an untraced request is a few hundred ns and the tracer's share stands
// out even on a loaded machine. Variants run interleaved in short rounds; each traced variant
// is read against the untraced one of the same round (the median of those paired differences is
// steadier than a difference of medians).
//
//   cd bench && NODE_ENV=production node tracing/seam.mjs   (N=20000 ROUNDS=31 REQUEST_US=5.16 to tune)
//
// Variants: off (no subscriber); the seam alone (a scope subscriber that declines every
// request); unsampled (setupTracing, sampleRate 0); unsampled with an incoming traceparent whose
// caller did not sample (the request runs in the caller's context); sampled (sampleRate 1, no
// exporter) with and without the ring; and the SDK alone making the same span around the same
// untraced request (the floor a sampled request cannot go below on the OTel SDK).
import { context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { createApp, requestScopeChannel } from '@zephyr/server';
import { setupTracing } from '@zephyr/tracer';
import { z } from 'zod';
import { routes, user } from '../router/routes.mjs';

const N = Number(process.env.N ?? 20_000);
const ROUNDS = Number(process.env.ROUNDS ?? 31);

const userSchema = z.object({ id: z.string(), name: z.string(), email: z.string(), active: z.boolean() });
const app = createApp();
for (const [path, kind] of routes) {
  if (kind === 'user') app.get(path, { response: userSchema }, (ctx) => ctx.json(user(ctx.params.id)));
  else app.get(path, (ctx) => ctx.text('ok'));
}

const lowered = new Map();

/** The engine's request as `app.handle` reads it: header lookups scan the fields, as the engine's do. */
class BenchRequest {
  method = 'GET';
  url = '/users/42';
  path = '/users/42';
  query = '';
  httpVersion = '1.1';
  remoteAddress = '127.0.0.1';
  constructor(fields) {
    this.fields = fields;
  }
  header(name) {
    // As the engines do: names asked for are lower-cased through a small cache.
    let wanted = lowered.get(name);
    if (wanted === undefined) {
      wanted = name.toLowerCase();
      lowered.set(name, wanted);
    }
    const f = this.fields;
    for (let i = 0; i < f.length; i += 2) if (f[i] === wanted) return f[i + 1];
    return undefined;
  }
  headers() {
    const out = [];
    for (let i = 0; i < this.fields.length; i += 2) out.push([this.fields[i], this.fields[i + 1]]);
    return out;
  }
  body() {
    return Promise.resolve(Buffer.alloc(0));
  }
  bodyStream() {
    return (async function* () {})();
  }
  onAbort() {}
}

/** A response that keeps nothing: the engine's work is not what is measured here. */
class BenchResponse {
  code = 200;
  headersSent = false;
  finished = false;
  bytes = 0;
  status(code) {
    this.code = code;
    return this;
  }
  setHeader() {
    return this;
  }
  setTrailer() {
    return this;
  }
  write(chunk) {
    this.bytes += chunk.length;
    return true;
  }
  onDrain() {}
  end(chunk) {
    if (chunk !== undefined) this.bytes += chunk.length;
  }
  sendFile() {
    return Promise.resolve();
  }
  destroy() {}
}

const plain = new BenchRequest(['host', '127.0.0.1:3500', 'user-agent', 'wrk']);
const continued = new BenchRequest([
  'host',
  '127.0.0.1:3500',
  'user-agent',
  'wrk',
  'traceparent',
  '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00',
]);
const res = new BenchResponse();

/**
 * CPU ns per request over `n` requests (each one synchronous: the route answers at once), the
 * event loop let turn every 256 requests as a server's does. No variant exports: a loop this
 * tight outruns a batch exporter, which then drops spans and looks cheaper than it is; the
 * exporter's cost is measured by run.mjs against a real server.
 */
async function cpuNs(n, handle) {
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    handle();
    if ((i & 255) === 255) await turn();
  }
  const used = process.cpuUsage(before);
  if (res.bytes === 0) throw new Error('no response was written');
  res.bytes = 0;
  return ((used.user + used.system) * 1000) / n;
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

const handleWith = (req) => () => {
  const pending = app.handle(req, res);
  if (pending !== undefined) throw new Error('the bench route must answer synchronously');
};

/** The SDK alone (setupTracing's provider, sampler and context manager; no Zephyr subscription, no ring). */
function sdkAlone() {
  const provider = new TracerProvider();
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  trace.setGlobalTracerProvider(provider);
  const tracer = provider.getTracer('floor');
  const SERVER = { kind: SpanKind.SERVER };
  return {
    // The span Zephyr makes for this request: SERVER, the same 8 attributes, current, ended.
    handle: () => {
      const span = tracer.startSpan('GET /users/:id', SERVER);
      span.setAttribute('http.request.method', plain.method);
      span.setAttribute('http.route', '/users/:id');
      span.setAttribute('url.path', plain.path);
      span.setAttribute('url.scheme', 'http');
      span.setAttribute('network.protocol.version', plain.httpVersion);
      span.setAttribute('client.address', plain.remoteAddress);
      span.setAttribute('user_agent.original', plain.header('user-agent'));
      context.with(trace.setSpan(ROOT_CONTEXT, span), app.handle, undefined, plain, res);
      span.setAttribute('http.response.status_code', res.code);
      span.end();
    },
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
}

/** A scope subscriber that declines every request: what the seam itself costs, with no tracer's decision. */
function declineAll() {
  const decline = () => {};
  requestScopeChannel.subscribe(decline);
  return { shutdown: async () => requestScopeChannel.unsubscribe(decline) };
}

const tracingWith = (options) => () =>
  setupTracing({ serviceName: 'bench', exporter: 'none', sampleRate: 1, ...options });
const SAMPLED = 'sampled (ring, no exporter)';
const FLOOR = 'the SDK alone, same span (floor)';
const variants = {
  'the seam alone (a scope subscriber declining all)': [declineAll, handleWith(plain)],
  unsampled: [tracingWith({ sampleRate: 0 }), handleWith(plain)],
  'unsampled, caller not sampled': [tracingWith({ sampleRate: 0 }), handleWith(continued)],
  [SAMPLED]: [tracingWith({}), handleWith(plain)],
  'sampled (no ring, no exporter)': [tracingWith({ ring: false }), handleWith(plain)],
  [FLOOR]: [() => sdkAlone(), undefined],
};
const offs = [];
const added = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
const handleOff = handleWith(plain);
await cpuNs(N, handleOff); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  const off = await cpuNs(N, handleOff);
  offs.push(off);
  for (const [name, [setup, handle]] of Object.entries(variants)) {
    const traced = setup();
    const run = handle ?? traced.handle;
    await cpuNs(N / 10, run);
    added[name].push((await cpuNs(N, run)) - off);
    await traced.shutdown();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const off = median(offs);
console.log(
  `\napp.handle(GET /users/42) with an in-memory request, ${N} requests x ${ROUNDS} rounds, CPU ns/request`,
);
console.log(`untraced: ${off.toFixed(0)} ns (median)\n`);
console.log('| variant | added ns (median of paired rounds) | IQR |');
console.log('|---|---:|---|');
for (const [name, xs] of Object.entries(added)) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.floor(p * (s.length - 1))].toFixed(0);
  console.log(`| ${name} | ${median(xs).toFixed(0)} | ${q(0.25)}…${q(0.75)} |`);
}
/** Median over rounds of `variant` − `floor`, each pair from the same round. */
const minus = (variant, floor) => median(added[variant].map((x, i) => x - added[floor][i]));
// A share of this in-memory request overstates what the seam costs a real one: REQUEST_US is
// an untraced request's server CPU over the engine (run.mjs's "tracing off" figure; default: the
// idle run of record, 5.16 µs).
const requestNs = Number(process.env.REQUEST_US ?? 5.16) * 1000;
const share = (ns) => `${((ns / requestNs) * 100).toFixed(1)}%`;
console.log(
  `\nAdded per request (medians of paired rounds), and as a share of an untraced engine request of ${requestNs} ns:`,
);
console.log('| what | ns/request | % of an engine request |');
console.log('|---|---:|---:|');
const unsampled = median(added.unsampled);
console.log(`| not sampled | ${unsampled.toFixed(0)} | ${share(unsampled)} |`);
for (const [ours, floor, label] of [
  [SAMPLED, FLOOR, 'ring'],
  ['sampled (no ring, no exporter)', FLOOR, 'no ring'],
]) {
  const f = median(added[floor]);
  const o = median(added[ours]);
  const d = minus(ours, floor);
  console.log(`| sampled, ${label}: the SDK alone (floor) | ${f.toFixed(0)} | ${share(f)} |`);
  console.log(`| sampled, ${label}: Zephyr (ours) | ${o.toFixed(0)} | ${share(o)} |`);
  console.log(`| sampled, ${label}: **ours − floor** | ${d.toFixed(0)} | ${share(d)} |`);
}

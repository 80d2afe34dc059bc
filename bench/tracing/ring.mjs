// What the ring of recent traces adds to a span, in CPU ns per span: the OTel SDK making and
// ending a request's span (SERVER, 8 attributes) with no span processor, beside the same with a
// `TraceRing` as its processor, and with a processor that only keeps each ended span in a
// 100-slot array (what keeping the SDK's span objects costs the collector, nothing else).
// Interleaved in short rounds; each variant read against the no-processor figure of its round.
//
//   cd bench && NODE_ENV=production node tracing/ring.mjs      (N=20000 ROUNDS=21 to tune)
//
// The ring here sees one span per trace, as the request bench does: each span is a new trace,
// which is its costliest case (a trace filed and the oldest evicted, per span).
import { SpanKind } from '@opentelemetry/api';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { TraceRing } from '@zephyr/tracer';

const N = Number(process.env.N ?? 20_000);
const ROUNDS = Number(process.env.ROUNDS ?? 21);
const SERVER = { kind: SpanKind.SERVER };

/** Keeps the last 100 ended spans themselves, as a ring that stored the SDK's objects would. */
class KeepSpans {
  spans = new Array(100).fill(undefined);
  next = 0;
  onStart() {}
  onEnd(span) {
    this.spans[this.next] = span;
    this.next = this.next === 99 ? 0 : this.next + 1;
  }
  forceFlush() {
    return Promise.resolve();
  }
  shutdown() {
    return Promise.resolve();
  }
}

const variants = {
  'no processor': () => [],
  'the SDK spans kept (100)': () => [new KeepSpans()],
  'TraceRing (100 traces)': () => [new TraceRing()],
};
const tracers = Object.fromEntries(
  Object.entries(variants).map(([name, processors]) => [
    name,
    new TracerProvider({ spanProcessors: processors() }).getTracer('ring-bench'),
  ]),
);

function cpuNs(tracer, n) {
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const span = tracer.startSpan('GET /users/:id', SERVER);
    span.setAttribute('http.request.method', 'GET');
    span.setAttribute('http.route', '/users/:id');
    span.setAttribute('url.path', '/users/42');
    span.setAttribute('url.scheme', 'http');
    span.setAttribute('network.protocol.version', '1.1');
    span.setAttribute('client.address', '127.0.0.1');
    span.setAttribute('user_agent.original', 'wrk');
    span.setAttribute('http.response.status_code', 200);
    span.end();
  }
  const used = process.cpuUsage(before);
  return ((used.user + used.system) * 1000) / n;
}

const runs = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
for (const tracer of Object.values(tracers)) cpuNs(tracer, N); // warm-up
for (let r = 0; r < ROUNDS; r++)
  for (const [name, tracer] of Object.entries(tracers)) runs[name].push(cpuNs(tracer, N));

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const q = (xs, p) => sorted(xs)[Math.floor(p * (xs.length - 1))];
const none = runs['no processor'];
console.log(`\nA request span made and ended by the OTel SDK, ${N} spans x ${ROUNDS} rounds, CPU ns/span`);
console.log('| processor | ns/span (median) | added ns (median of paired rounds) | IQR | ratio |');
console.log('|---|---:|---:|---|---:|');
for (const [name, xs] of Object.entries(runs)) {
  const added = xs.map((x, i) => x - none[i]);
  console.log(
    `| ${name} | ${q(xs, 0.5).toFixed(0)} | ${q(added, 0.5).toFixed(0)} | ${q(added, 0.25).toFixed(0)}…${q(added, 0.75).toFixed(0)} | ${(q(xs, 0.5) / q(none, 0.5)).toFixed(3)}x |`,
  );
}

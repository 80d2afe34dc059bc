// The floors: a bare node:http server answering GET /users/:id, with ZEPHYR_BENCH_TRACING=
//   sampled  wrapped by the official OpenTelemetry SDK and its HTTP instrumentation (100% sampled,
//            batch OTLP/HTTP export to the same collector): what OpenTelemetry itself costs in Node;
//   span     the SDK alone making, per request, the span Zephyr makes (SERVER, the same 8
//            attributes, current for the handler, ended), exported the same way and with no
//            instrumentation: the least any OTel-based tracer pays per sampled request.
import { createRequire } from 'node:module';
import { port, user } from '../../router/routes.mjs';

const mode = process.env.ZEPHYR_BENCH_TRACING ?? 'off';
/** Runs a request's handler: as is, or inside the floor's span. */
let serve = (req, res, handler) => handler(req, res);

if (mode === 'sampled' || mode === 'span') {
  const { context, propagation, ROOT_CONTEXT, SpanKind, trace } = await import('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const { W3CTraceContextPropagator } = await import('@opentelemetry/core');
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  const { BatchSpanProcessor, TracerProvider } = await import('@opentelemetry/sdk-trace');
  const provider = new TracerProvider({
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: process.env.ZEPHYR_BENCH_COLLECTOR }),
      }),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  if (mode === 'sampled') {
    const { registerInstrumentations } = await import('@opentelemetry/instrumentation');
    const { HttpInstrumentation } = await import('@opentelemetry/instrumentation-http');
    registerInstrumentations({ instrumentations: [new HttpInstrumentation()] });
  } else {
    const tracer = trace.getTracer('floor');
    const options = { kind: SpanKind.SERVER };
    serve = (req, res, handler) => {
      const span = tracer.startSpan('GET /users/:id', options);
      span.setAttributes({
        'http.request.method': req.method,
        'http.route': '/users/:id',
        'url.path': req.url,
        'url.scheme': 'http',
        'network.protocol.version': req.httpVersion,
        'client.address': req.socket.remoteAddress,
        'user_agent.original': req.headers['user-agent'],
      });
      context.with(trace.setSpan(ROOT_CONTEXT, span), handler, undefined, req, res);
      span.setAttribute('http.response.status_code', res.statusCode);
      span.end();
    };
  }
}

// Required after the instrumentation is registered, so its require hook patches the module.
const http = createRequire(import.meta.url)('node:http');
const USER = /^\/users\/([^/?]+)$/;
const handler = (req, res) => {
  const m = USER.exec(req.url ?? '');
  if (m === null) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(user(m[1])));
};
http
  .createServer((req, res) => serve(req, res, handler))
  .listen(port, '127.0.0.1', () => console.log(`node:http (tracing ${mode}) on ${port}`));

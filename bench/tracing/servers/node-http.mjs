// The floor: a bare node:http server answering GET /users/:id, with ZEPHYR_BENCH_TRACING=sampled
// wrapped by the official OpenTelemetry SDK and its HTTP instrumentation (100% sampled, batch
// OTLP/HTTP export to the same collector). Its ratio is what OpenTelemetry itself costs in Node.
import { createRequire } from 'node:module';
import { port, user } from '../../router/routes.mjs';

if (process.env.ZEPHYR_BENCH_TRACING === 'sampled') {
  const { context, propagation, trace } = await import('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const { W3CTraceContextPropagator } = await import('@opentelemetry/core');
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  const { registerInstrumentations } = await import('@opentelemetry/instrumentation');
  const { HttpInstrumentation } = await import('@opentelemetry/instrumentation-http');
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
  registerInstrumentations({ instrumentations: [new HttpInstrumentation()] });
}

// Required after the instrumentation is registered, so its require hook patches the module.
const http = createRequire(import.meta.url)('node:http');
const USER = /^\/users\/([^/?]+)$/;
http
  .createServer((req, res) => {
    const m = USER.exec(req.url ?? '');
    if (m === null) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(user(m[1])));
  })
  .listen(port, '127.0.0.1', () =>
    console.log(`node:http (tracing ${process.env.ZEPHYR_BENCH_TRACING ?? 'off'}) on ${port}`),
  );

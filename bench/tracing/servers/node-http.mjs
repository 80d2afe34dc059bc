// The comparison: a bare node:http server answering GET /users/:id, with ZEPHYR_BENCH_TRACING=
// sampled wrapped by the official OpenTelemetry SDK and its HTTP instrumentation (100% sampled,
// batch OTLP/HTTP export to the same collector): what OpenTelemetry's own HTTP tracing costs.
import { createRequire } from 'node:module';
import { port, user } from '../../router/routes.mjs';

const mode = process.env.ZEPHYR_BENCH_TRACING ?? 'off';
if (mode === 'sampled') {
  const { setupSdk } = await import('./otel-sdk.mjs');
  setupSdk();
  const { registerInstrumentations } = await import('@opentelemetry/instrumentation');
  const { HttpInstrumentation } = await import('@opentelemetry/instrumentation-http');
  registerInstrumentations({ instrumentations: [new HttpInstrumentation()] });
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
  .createServer(handler)
  .listen(port, '127.0.0.1', () => console.log(`node:http (tracing ${mode}) on ${port}`));

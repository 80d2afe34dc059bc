// The official OpenTelemetry SDK as the floor servers set it up: 100% sampled, a batch processor
// exporting OTLP/HTTP (protobuf, setupTracing's default) to the bench's collector, an AsyncLocalStorage context manager and W3C
// propagation, as setupTracing has them, with no Zephyr subscription.
import { context, propagation, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

/** Registers the SDK globally. */
export function setupSdk() {
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
}

const SERVER = { kind: SpanKind.SERVER };

/**
 * The span a sampled Zephyr request makes (SERVER, the same 8 attributes, status set at the end),
 * made by the SDK alone: `run(fn, ...args)` calls `fn` with it current and ends it when `fn`'s
 * result (a promise or not) settles. Attributes are set once the span exists, the cheaper way.
 */
export function floorSpan(attributes, run, ...args) {
  const span = trace.getTracer('floor').startSpan('GET /users/:id', SERVER);
  span.setAttributes(attributes);
  const end = () => {
    span.setAttribute('http.response.status_code', 200);
    span.end();
  };
  const result = context.with(trace.setSpan(ROOT_CONTEXT, span), run, undefined, ...args);
  if (result === undefined || typeof result.then !== 'function') end();
  else result.then(end, end);
  return result;
}

import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { context, type Span, SpanKind, type Tracer, trace } from '@opentelemetry/api';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions';
import { recordError } from './record-error.js';
import { recordSetter, w3cPropagator } from './w3c-propagator.js';

/** The parts of undici's request object its diagnostics channels hand out that are used here. */
interface UndiciRequest {
  readonly method: string;
  readonly origin: string | URL;
  readonly path: string;
  addHeader(name: string, value: string): unknown;
}

/**
 * CLIENT spans for outgoing `fetch` (and any undici request) made inside a trace, with W3C
 * `traceparent`/`tracestate`/`baggage` added to the request. Requests made outside a trace are
 * left untouched. Uses undici's diagnostics channels, so Node's built-in `fetch` is covered too.
 */
export function subscribeFetchSpans(tracer: Tracer): () => void {
  const spans = new WeakMap<object, Span>();
  const onCreate = (message: unknown): void => {
    const { request } = message as { request: UndiciRequest };
    const active = context.active();
    if (trace.getSpan(active) === undefined) return;
    let origin: URL;
    try {
      origin = new URL(String(request.origin));
    } catch {
      return; // A subscriber that throws would crash the process: leave such a request alone.
    }
    const span = tracer.startSpan(request.method, {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR_HTTP_REQUEST_METHOD]: request.method,
        [ATTR_URL_FULL]: `${origin.origin}${request.path.split('?')[0]}`,
        [ATTR_SERVER_ADDRESS]: origin.hostname,
        [ATTR_SERVER_PORT]: Number(origin.port || (origin.protocol === 'https:' ? 443 : 80)),
      },
    });
    spans.set(request, span);
    const headers: Record<string, string> = {};
    w3cPropagator.inject(trace.setSpan(active, span), headers, recordSetter);
    for (const [name, value] of Object.entries(headers)) request.addHeader(name, value);
  };
  const onHeaders = (message: unknown): void => {
    const { request, response } = message as { request: object; response: { statusCode: number } };
    const span = spans.get(request);
    if (span === undefined) return;
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.statusCode);
    if (response.statusCode >= 400) recordError(span, new Error(`HTTP ${response.statusCode}`));
  };
  const onDone = (message: unknown): void => {
    const { request } = message as { request: object };
    const span = spans.get(request);
    if (span === undefined) return;
    spans.delete(request);
    span.end();
  };
  const onError = (message: unknown): void => {
    const { request, error } = message as { request: object; error: unknown };
    const span = spans.get(request);
    if (span === undefined) return;
    spans.delete(request);
    recordError(span, error);
    span.end();
  };
  const subscriptions: [string, (message: unknown) => void][] = [
    ['undici:request:create', onCreate],
    ['undici:request:headers', onHeaders],
    ['undici:request:trailers', onDone],
    ['undici:request:error', onError],
  ];
  for (const [name, fn] of subscriptions) subscribe(name, fn);
  return () => {
    for (const [name, fn] of subscriptions) unsubscribe(name, fn);
  };
}

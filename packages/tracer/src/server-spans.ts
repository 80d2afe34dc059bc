import { tracingChannel } from 'node:diagnostics_channel';
import { type Context, ROOT_CONTEXT, type Span, SpanKind, type Tracer, trace } from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import { activeContextStore } from './active-context-store.js';
import { CHANNELS, type RequestChannelContext } from './channel-contexts.js';
import { recordError } from './record-error.js';
import { w3cPropagator } from './w3c-propagator.js';

const headerGetter = {
  keys: () => ['traceparent', 'tracestate', 'baggage'],
  get: (request: RequestChannelContext['request'], key: string) => request.header(key),
};

/**
 * HTTP server spans around every request: the parent comes from the incoming `traceparent`
 * (a request without one starts a trace), `baggage` rides along in the context, and the span is
 * current for the whole request so database and actor spans nest under it.
 */
export function subscribeServerSpans(tracer: Tracer): () => void {
  const channel = tracingChannel<Context, RequestChannelContext>(CHANNELS.request);
  const spans = new WeakMap<RequestChannelContext, Span>();
  const start = (data: RequestChannelContext): Context => {
    const req = data.request;
    const parent = w3cPropagator.extract(ROOT_CONTEXT, req, headerGetter);
    // Method and route are what samplers may look at; the rest is built only for recorded spans,
    // so a request that is not sampled costs little more than the context switch.
    const span = tracer.startSpan(
      data.route === '' ? req.method : `${req.method} ${data.route}`,
      {
        kind: SpanKind.SERVER,
        attributes:
          data.route === ''
            ? { [ATTR_HTTP_REQUEST_METHOD]: req.method }
            : { [ATTR_HTTP_REQUEST_METHOD]: req.method, [ATTR_HTTP_ROUTE]: data.route },
      },
      parent,
    );
    if (span.isRecording()) {
      span.setAttributes({
        [ATTR_URL_PATH]: req.path,
        [ATTR_URL_SCHEME]: 'http',
        [ATTR_NETWORK_PROTOCOL_VERSION]: req.httpVersion,
        [ATTR_CLIENT_ADDRESS]: req.remoteAddress,
        ...userAgent(req),
      });
    }
    spans.set(data, span);
    return trace.setSpan(parent, span);
  };
  const finish = (data: RequestChannelContext): void => {
    const span = spans.get(data);
    if (span === undefined) return;
    spans.delete(data);
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, data.status);
    // Server spans: only 5xx (or a failure with no status) is an error; a 4xx is the client's.
    if (data.status >= 500 || data.status === 0)
      recordError(span, data.error ?? new Error(`HTTP ${data.status}`));
    else if (data.error !== undefined) span.recordException(toError(data.error));
    span.end();
  };
  const handlers = {
    start() {},
    // A request that finished synchronously has its status set by `end`.
    end: (data: RequestChannelContext) => {
      if (data.status !== 0) finish(data);
    },
    asyncStart() {},
    asyncEnd: finish,
    error() {},
  };
  const store = activeContextStore;
  channel.start.bindStore(store, start);
  channel.subscribe(handlers);
  return () => {
    channel.unsubscribe(handlers);
    channel.start.unbindStore(store);
  };
}

function userAgent(req: RequestChannelContext['request']): Record<string, string> {
  const ua = req.header('user-agent');
  return ua === undefined ? {} : { [ATTR_USER_AGENT_ORIGINAL]: ua };
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
